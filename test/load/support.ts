// What the load test pulls and how: images of seeded bytes (an index, a
// manifest, a config, layers), a pull as a runtime does it with every body
// hashed by the client, and the process figures the test reports.
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import type { FakeRegistry } from '../../src/bench/simulated-registry.js';
import { seededBytes } from '../../src/bench/random.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT = `${OCI_MANIFEST}, ${OCI_INDEX}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface LoadImage {
  readonly name: string;
  readonly index: Buffer;
  readonly manifest: Buffer;
  readonly blobs: readonly Buffer[];
}

export function loadImage(name: string, seed: number, layerSizes: readonly number[]): LoadImage {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', name, seed }));
  const layers = layerSizes.map((size, i) => seededBytes(size, seed * 100 + i));
  const descriptor = (mediaType: string, b: Buffer) => ({ mediaType, digest: sha(b), size: b.length });
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor('application/vnd.oci.image.config.v1+json', config), layers: layers.map((l) => descriptor('application/vnd.oci.image.layer.v1.tar', l)) }));
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...descriptor(OCI_MANIFEST, manifest), platform: { architecture: 'amd64', os: 'linux' } }] }));
  return { name, index, manifest, blobs: [config, ...layers] };
}

export function pushLoadImage(registry: FakeRegistry, image: LoadImage): void {
  for (const b of image.blobs) registry.putBlob(b);
  registry.putManifest(image.name, image.manifest, OCI_MANIFEST);
  registry.putManifest(image.name, image.index, OCI_INDEX, 'v1');
}

export interface PullOutcome {
  readonly ok: boolean;
  /** Complete 200 bodies whose hash did not match what was asked for: must stay 0. */
  readonly corruptAccepted: number;
  readonly bytes: number;
  readonly failure?: string;
  /** Each blob's tries in order, by the X-Request-Id sent (the proxy logs it as reqId). */
  readonly blobTries: readonly (readonly Try[])[];
}

/** One request of a pull: `broken` when the body broke after a 200 began (never a clean end). */
interface Try {
  readonly id: string;
  readonly ok: boolean;
  readonly broken: boolean;
}

/** GET, the body hashed as it streams; a body that ends cleanly is checked against `digest`. */
async function fetchVerified(url: string, digest: string | undefined, dispatcher: Dispatcher, id: string, accept?: string): Promise<{ ok: boolean; corrupt: boolean; broken: boolean; body?: Buffer; bytes: number; failure?: string }> {
  let status = 0;
  try {
    const res = await request(url, { dispatcher, headers: { 'x-request-id': id, ...(accept ? { accept } : {}) } });
    status = res.statusCode;
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      if (accept) kept.push(chunk);
    }
    if (res.statusCode !== 200) return { ok: false, corrupt: false, broken: false, bytes, failure: `status ${res.statusCode}` };
    const actual = `sha256:${hash.digest('hex')}`;
    const expected = digest ?? (res.headers['docker-content-digest'] as string | undefined);
    if (expected !== undefined && actual !== expected) return { ok: false, corrupt: true, broken: false, bytes, failure: `digest ${actual} for ${expected}` };
    return { ok: true, corrupt: false, broken: false, bytes, ...(accept ? { body: Buffer.concat(kept) } : {}) };
  } catch (err) {
    // A broken body: the clean failure a client must see instead of wrong bytes.
    return { ok: false, corrupt: false, broken: status === 200, bytes: 0, failure: (err as Error).message };
  }
}

/** Up to `tries` attempts, as runtimes retry a failed blob; `run` gets the id of its try. */
async function withRetries<T extends { ok: boolean; corrupt: boolean; broken: boolean }>(tries: number, idOf: (i: number) => string, run: (id: string) => Promise<T>): Promise<T & { corruptSeen: number; tries: Try[] }> {
  let corruptSeen = 0;
  const made: Try[] = [];
  let last: T | undefined;
  for (let i = 0; i < tries && !last?.ok; i++) {
    const id = idOf(i);
    last = await run(id);
    corruptSeen += last.corrupt ? 1 : 0;
    made.push({ id, ok: last.ok, broken: last.broken });
  }
  return { ...(last as T), corruptSeen, tries: made };
}

let pulls = 0;

/** A pull as containers/image does it: the index by tag, the manifest by digest, then config and layers in parallel. */
export async function pull(base: string, image: LoadImage, dispatcher: Dispatcher, tries: number): Promise<PullOutcome> {
  let corrupt = 0;
  const pullNo = pulls++;
  const step = async (path: string, digest: string | undefined, accept?: string) => {
    const r = await withRetries(tries, (i) => `load-${pullNo}-${(digest ?? 'tag').slice(-12)}-${i}`, (id) => fetchVerified(`${base}/${image.name}/${path}`, digest, dispatcher, id, accept));
    corrupt += r.corruptSeen;
    return r;
  };
  const index = await step('manifests/v1', undefined, ACCEPT);
  if (!index.ok || !index.body) return { ok: false, corruptAccepted: corrupt, bytes: 0, failure: `index: ${index.failure}`, blobTries: [] };
  const child = (JSON.parse(index.body.toString()) as { manifests: { digest: string }[] }).manifests[0]?.digest as string;
  const manifest = await step(`manifests/${child}`, child, ACCEPT);
  if (!manifest.ok || !manifest.body) return { ok: false, corruptAccepted: corrupt, bytes: 0, failure: `manifest: ${manifest.failure}`, blobTries: [] };
  const doc = JSON.parse(manifest.body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const parts = await Promise.all([doc.config, ...doc.layers].map((d) => step(`blobs/${d.digest}`, d.digest)));
  const failed = parts.find((p) => !p.ok);
  return { ok: !failed, corruptAccepted: corrupt, bytes: parts.reduce((n, p) => n + p.bytes, 0), ...(failed ? { failure: `blob: ${failed.failure}` } : {}), blobTries: parts.map((p) => p.tries) };
}

export const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * What each open descriptor points at, to name a leak. One that is gone by the time it is read (the
 * listing's own directory descriptor, which takes whatever number is free) is left out.
 */
export const fdTargets = (): string[] =>
  readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [`${fd}:${readlinkSync(`/proc/self/fd/${fd}`)}`];
    } catch {
      return [];
    }
  });
