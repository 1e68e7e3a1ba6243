// Generated images (never checked in): a config, layers of seeded random
// bytes, an OCI manifest and an index; pushed into fake registries.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FakeRegistry } from './simulated-registry.js';
import { seededRandom } from './random.js';

export interface TestImage {
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  readonly layers: readonly { digest: string; content: Buffer }[];
  readonly config: { digest: string; content: Buffer };
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export function makeImage(seed: number, layerSizes: readonly number[] = [4096, 70_000]): TestImage {
  const rand = seededRandom(seed);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const config = { content: Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed })), digest: '' };
  // Real gzip streams, so that clients such as skopeo copy them as compressed layers, unchanged.
  const layers = layerSizes.map((n) => ({ content: gzipSync(bytes(n), { level: 1 }), digest: '' }));
  const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  config.digest = digestOf(config.content);
  for (const l of layers) l.digest = digestOf(l.content);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.content.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.content.length })),
    }),
  );
  return { manifest, manifestDigest: digestOf(manifest), layers, config };
}

export function pushImage(registry: FakeRegistry, name: string, image: TestImage, tag?: string): void {
  registry.putBlob(image.config.content);
  for (const l of image.layers) registry.putBlob(l.content);
  registry.putManifest(name, image.manifest, OCI_MANIFEST, tag);
}
