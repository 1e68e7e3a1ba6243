// A test image whose layer is a real tar (gzip), with the config's diff_ids
// filled in: what a container runtime such as podman unpacks into its store.
// (makeImage's layers are gzip of random bytes: fine for skopeo and ctr,
// which only copy blobs.)
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { OCI_MANIFEST, type TestImage } from '../../../src/bench/test-image.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** One regular file in a ustar archive (POSIX.1-1988 header fields, octal numbers, checksum). */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${content.length.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 8, 'ustar\u000000');
  const sum = header.reduce((a, b) => a + b, 0);
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export function makeTarImage(seed: number): TestImage {
  const tar = tarOf(`seed-${seed}.txt`, Buffer.from(`mirrorgate e2e image ${seed}\n`));
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [digestOf(tar)] } }));
  const layers = [{ content: layer, digest: digestOf(layer) }];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.content.length })),
    }),
  );
  return { manifest, manifestDigest: digestOf(manifest), layers, config: { content: config, digest: digestOf(config) } };
}
