// Writes a generated test image as an OCI image layout, the form skopeo
// copies from (`oci:DIR:TAG`).
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { OCI_MANIFEST, type TestImage } from '../../../src/bench/test-image.js';
import { tempDir } from '../../helpers/temp.js';

const blobFile = (dir: string, digest: string) => join(dir, 'blobs', ...digest.split(':'));

export function writeLayout(image: TestImage, tag: string): string {
  const dir = tempDir('layout');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  for (const { digest, content } of [image.config, ...image.layers]) writeFileSync(blobFile(dir, digest), content);
  writeFileSync(blobFile(dir, image.manifestDigest), image.manifest);
  const index = { schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: image.manifestDigest, size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': tag } }] };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

/** The blobs of `image` that a copy wrote into `dir`, byte-compared. */
export function layoutHolds(dir: string, image: TestImage): boolean {
  return [image.config, ...image.layers].every(({ digest, content }) => existsSync(blobFile(dir, digest)) && readFileSync(blobFile(dir, digest)).equals(content));
}
