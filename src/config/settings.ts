// mirrorgate.toml -> validated, frozen Settings. Every key is declared once in
// settings-schema.ts; MIRRORGATE_<SECTION>_<KEY> environment variables
// override the file; every bad setting is reported at once.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { SETTINGS, envName, type DeclaredSettings, type Kind, type KeyDecl } from './settings-schema.js';

type TlsFiles = { readonly certFile: string; readonly keyFile: string };

export type Settings = Omit<DeclaredSettings, 'tlsCertFile' | 'tlsKeyFile' | 'adminTlsCertFile' | 'adminTlsKeyFile'> & {
  /** `server.tls_cert` and `server.tls_key`, set together or not at all. */
  readonly tls?: TlsFiles;
  /** `admin.tls_cert` and `admin.tls_key`: TLS for the admin listener (and the rules API on it). */
  readonly adminTls?: TlsFiles;
  /** Timeout overrides per upstream host[:port] (`[endpoint_timeouts."host:port"]`). */
  readonly endpointTimeouts: ReadonlyMap<string, EndpointTimeouts>;
};

interface EndpointTimeouts {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
}

export class InvalidSettingsError extends Error {
  override readonly name = 'InvalidSettingsError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid settings in ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

const EXPECTED: Readonly<Record<Kind, string>> = { string: 'a string', boolean: 'a boolean', integer: 'an integer', list: 'a list of strings', map: 'a table of strings' };

/** Converts an environment string to the key's type; lists are comma-separated, maps `a=b,c=d`. */
function fromEnv(kind: Kind, text: string): unknown {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  switch (kind) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case 'list':
      return items;
    case 'map':
      return Object.fromEntries(items.map((i) => i.split('=', 2)));
    default:
      return text;
  }
}

function typeOk(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'map':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  }
}

/** Validates a parsed TOML document plus environment overrides; relative paths are resolved against `baseDir`. */
export function settingsFrom(doc: Record<string, unknown>, env: NodeJS.ProcessEnv, baseDir: string, file: string): Settings {
  const problems: string[] = [];
  const values = new Map<KeyDecl, unknown>();
  // A dotted section is a sub-table: `cache.blobs` is [cache.blobs] in the file, reached key by key. A key
  // holding a dot itself (`["cache.blobs"]`, `"blobs.max_bytes" = 1`) names nothing and is refused by name,
  // at any depth: it was once taken for the section and every key in it dropped in silence (red team).
  for (const section of Object.keys(doc)) {
    if (!(section in SETTINGS && !section.includes('.')) && section !== 'endpoint_timeouts') problems.push(`${quotedIfDotted(section)}: unknown section`);
  }
  for (const [section, keys] of Object.entries(SETTINGS) as [string, Record<string, KeyDecl>][]) {
    const table = sectionTable(doc, section, problems);
    for (const name of Object.keys(table)) if (!(name in keys) && !isSubsection(section, name)) problems.push(`${section}.${quotedIfDotted(name)}: unknown setting`);
    for (const [name, decl] of Object.entries(keys)) {
      const variable = envName(section, name);
      const fromVariable = env[variable] !== undefined;
      const raw = fromVariable ? fromEnv(decl.kind, env[variable] as string) : (table[name] ?? decl.default);
      const where = fromVariable ? `${section}.${name} (from ${variable})` : `${section}.${name}`;
      if (!typeOk(decl.kind, raw)) {
        problems.push(`${where}: expected ${EXPECTED[decl.kind]}, got ${JSON.stringify(raw)}`);
        continue;
      }
      const problem = decl.check?.(raw as never);
      if (problem) problems.push(`${where}: ${problem}`);
      values.set(decl, raw);
    }
  }
  // Unset keys of an endpoint take the upstream values.
  const upstream = Object.fromEntries(Object.keys(TIMEOUT_KEYS).map((name) => [name, values.get((SETTINGS.upstream as Record<string, KeyDecl>)[name] as KeyDecl) as number]));
  const endpointTimeouts = readEndpointTimeouts(doc.endpoint_timeouts, upstream, problems);
  // Rules come from files or from a followed cluster; with neither there is nothing to serve by.
  if ((values.get(SETTINGS.rules.paths) as string[] | undefined)?.length === 0 && values.get(SETTINGS.rules.kubernetes) === '') {
    problems.push('rules.paths: needs at least one rules file or directory, or rules.kubernetes to follow a cluster');
  }
  if (problems.length > 0) throw new InvalidSettingsError(file, problems);
  return freeze(values, endpointTimeouts, baseDir, file);
}

const isSubsection = (section: string, name: string): boolean => `${section}.${name}` in SETTINGS;

/** A key as TOML spells it in an error: quoted when it holds a dot, so `"cache.blobs"` is not read as [cache.blobs]. */
const quotedIfDotted = (key: string): string => (key.includes('.') ? JSON.stringify(key) : key);

/** The table of a (dotted) section, reached key by key; {} when absent, and a problem when it is not a table. */
function sectionTable(doc: Record<string, unknown>, section: string, problems: string[]): Record<string, unknown> {
  const found = section.split('.').reduce<unknown>((t, name) => (isTable(t) ? t[name] : undefined), doc);
  if (found === undefined || isTable(found)) return found ?? {};
  problems.push(`${section}: expected a table, got ${JSON.stringify(found)}`);
  return {};
}

const isTable = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const TIMEOUT_KEYS = { connect_timeout_ms: 'connectTimeoutMs', headers_timeout_ms: 'headersTimeoutMs', body_idle_timeout_ms: 'bodyIdleTimeoutMs' } as const;

/** `[endpoint_timeouts."host:port"]` tables; unset keys take the upstream defaults. */
function readEndpointTimeouts(raw: unknown, upstream: Record<string, number>, problems: string[]): Map<string, EndpointTimeouts> {
  const out = new Map<string, EndpointTimeouts>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('endpoint_timeouts: expected tables keyed by "host:port"');
    return out;
  }
  for (const [host, table] of Object.entries(raw as Record<string, unknown>)) {
    const t = (table ?? {}) as Record<string, unknown>;
    const timeouts: Record<string, number> = {};
    for (const [key, field] of Object.entries(TIMEOUT_KEYS)) {
      const value = t[key] ?? upstream[key];
      if (!Number.isInteger(value) || (value as number) <= 0) problems.push(`endpoint_timeouts."${host}".${key}: expected an integer greater than 0, got ${JSON.stringify(t[key])}`);
      timeouts[field] = value as number;
    }
    for (const key of Object.keys(t)) if (!(key in TIMEOUT_KEYS)) problems.push(`endpoint_timeouts."${host}".${key}: unknown setting`);
    out.set(host, timeouts as unknown as EndpointTimeouts);
  }
  return out;
}

/** A certificate and its key, set together or not at all. */
function tlsPair(section: string, certFile: string | undefined, keyFile: string | undefined, file: string): TlsFiles | undefined {
  if ((certFile === undefined) !== (keyFile === undefined)) throw new InvalidSettingsError(file, [`${section}.tls_cert and ${section}.tls_key: set both or neither`]);
  return certFile && keyFile ? { certFile, keyFile } : undefined;
}

/** Each key's converted value at its field (`group.field` nested), then the settings made of two keys. */
function freeze(values: Map<KeyDecl, unknown>, endpointTimeouts: Map<string, EndpointTimeouts>, baseDir: string, file: string): Settings {
  const convert = { path: (p: string) => resolve(baseDir, p) };
  const out: Record<string, unknown> = {};
  for (const [decl, raw] of values) {
    const [group, field] = decl.field.includes('.') ? (decl.field.split('.', 2) as [string, string]) : [undefined, decl.field];
    const into = group === undefined ? out : ((out[group] ??= {}) as Record<string, unknown>);
    into[field] = decl.to(raw as never, convert);
  }
  const { tlsCertFile, tlsKeyFile, adminTlsCertFile, adminTlsKeyFile, ...rest } = out as Record<string, string | undefined>;
  const tls = tlsPair('server', tlsCertFile, tlsKeyFile, file);
  const adminTls = tlsPair('admin', adminTlsCertFile, adminTlsKeyFile, file);
  const settings = Object.freeze({ ...rest, ...(tls ? { tls } : {}), ...(adminTls ? { adminTls } : {}), endpointTimeouts }) as unknown as Settings;
  // Reported together, like every other bad setting.
  const apiProblems = settings.api.enabled
    ? [
        ...(!settings.api.stateDir || !settings.api.tokensFile ? ['api.state_dir and api.tokens: both are required when api.enabled is true'] : []),
        ...(settings.adminListen.length === 0 ? ['api.enabled: the rules API is served on the admin listener; set admin.listen'] : []),
      ]
    : [];
  if (apiProblems.length > 0) throw new InvalidSettingsError(file, apiProblems);
  return settings;
}

export async function loadSettings(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InvalidSettingsError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return settingsFromText(text, env, dirname(resolve(file)), file);
}

/** The TOML text of a settings file -> Settings, or InvalidSettingsError. */
export function settingsFromText(text: string, env: NodeJS.ProcessEnv, baseDir: string, file: string): Settings {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    throw new InvalidSettingsError(file, [`invalid TOML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return settingsFrom(doc, env, baseDir, file);
}
