// The other cluster objects the rules refer to: the ConfigMap behind
// `additionalTrustedCA`, and the ClusterVersion that names the release image.
import type { DiagnosticSink } from '../rules/diagnostics.js';
import type { Origin } from '../rules/model.js';
import { type Json, type JsonObject, readObject, readString } from './fields.js';
import type { ClusterVersionObject, ConfigMapObject } from './objects.js';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The machine-config operator decodes `binaryData`, and also a `data` value
 * that happens to be valid base64 (MCO pkg/operator/sync.go `getImageRegistryBundles`).
 */
export function decodeConfigMap(metadata: JsonObject, doc: JsonObject, origin: Origin, sink: DiagnosticSink): ConfigMapObject {
  const entries = new Map<string, string>();
  const read = (field: 'data' | 'binaryData', decode: boolean) => {
    const values = readObject(sink, doc[field], field) ?? {};
    for (const [key, value] of Object.entries(values)) {
      const text = readString(sink, value, `${field}.${key}`);
      if (text === undefined) continue;
      const base64 = text.replace(/\s+/g, '');
      entries.set(key, decode || (base64 !== '' && BASE64_RE.test(base64)) ? decodeBase64(base64) : text);
    }
  };
  read('data', false);
  read('binaryData', true);
  const namespace = readString(sink, metadata.namespace, 'metadata.namespace');
  return {
    kind: 'ConfigMap',
    origin,
    name: readString(sink, metadata.name, 'metadata.name') ?? '',
    ...(namespace === undefined ? {} : { namespace }),
    entries,
  };
}

const decodeBase64 = (b64: string): string => new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));

export function decodeClusterVersion(doc: JsonObject, origin: Origin, sink: DiagnosticSink): ClusterVersionObject {
  const status = readObject(sink, doc.status, 'status');
  const desired: Json = status && readObject(sink, status.desired, 'status.desired');
  const releaseImage = desired ? readString(sink, (desired as JsonObject).image, 'status.desired.image') : undefined;
  return { kind: 'ClusterVersion', origin, ...(releaseImage ? { releaseImage } : {}) };
}
