// Upstream credentials from a containers auth.json or Docker config.json
// (containers/image pkg/docker/config: keys are a host or a host/namespace,
// the most specific key wins; Docker Hub keys normalize to docker.io).
import { readFile } from 'node:fs/promises';

export interface Credential {
  readonly username: string;
  readonly password: string;
}

/** A credentials file that cannot be used; a startup error naming the file. */
export class InvalidCredentialsFileError extends Error {
  override readonly name = 'InvalidCredentialsFileError';
}

/** The `Authorization` value for HTTP Basic auth. */
export const basicAuthorization = (c: Credential): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

export type CredentialLookup = (reference: { domain: string; path: string }) => Credential | undefined;

const DOCKER_HUB_KEYS = ['index.docker.io', 'registry-1.docker.io', 'docker.io'];

function normalizeKey(key: string): string {
  const bare = key.replace(/^https?:\/\//, '').replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  const slash = bare.indexOf('/');
  const host = slash === -1 ? bare : bare.slice(0, slash);
  return (DOCKER_HUB_KEYS.includes(host) ? 'docker.io' : host) + (slash === -1 ? '' : bare.slice(slash));
}

function decodeAuth(entry: { auth?: string; username?: string; password?: string; identitytoken?: string }): Credential | undefined {
  if (entry.identitytoken) return { username: '<token>', password: entry.identitytoken };
  if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon === -1 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export function credentialsFrom(json: string, file: string): CredentialLookup {
  let doc: { auths?: Record<string, Parameters<typeof decodeAuth>[0]> };
  try {
    doc = JSON.parse(json) as typeof doc;
  } catch (err) {
    throw new InvalidCredentialsFileError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  const table = new Map<string, Credential>();
  for (const [key, entry] of Object.entries(doc.auths ?? {})) {
    const cred = decodeAuth(entry ?? {});
    if (cred) table.set(normalizeKey(key), cred);
  }
  return ({ domain, path }) => {
    const parts = `${DOCKER_HUB_KEYS.includes(domain) ? 'docker.io' : domain}/${path}`.split('/');
    for (let n = parts.length; n > 0; n--) {
      const cred = table.get(parts.slice(0, n).join('/'));
      if (cred) return cred;
    }
    return undefined;
  };
}

export async function loadCredentials(file: string | undefined): Promise<CredentialLookup> {
  if (!file) return () => undefined;
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new InvalidCredentialsFileError(`${file}: cannot read: ${err.code ?? String(err)}`);
  });
  return credentialsFrom(text, file);
}
