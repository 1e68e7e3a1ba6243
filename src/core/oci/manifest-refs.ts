// The digests a manifest references: what a client pulls next from the
// endpoint that served it (config, layers, blobs, schema-1 fsLayers, and an
// index's child manifests).

export function referencedDigests(body: Buffer): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null) return [];
  const d = doc as Record<string, unknown>;
  const out: string[] = [];
  const take = (v: unknown, field = 'digest') => {
    const digest = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[field] : undefined;
    if (typeof digest === 'string') out.push(digest);
  };
  const each = (list: unknown, field?: string) => {
    if (Array.isArray(list)) for (const v of list) take(v, field);
  };
  take(d.config);
  each(d.layers);
  each(d.blobs);
  each(d.manifests);
  each(d.fsLayers, 'blobSum');
  return out;
}
