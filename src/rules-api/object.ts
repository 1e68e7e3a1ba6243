// Kubernetes objects as JSON, and the metadata rules the API server applies:
// names are RFC 1123 subdomains (they also name files in the state
// directory, so nothing else may pass), server-owned fields are kept from the
// stored object, generation moves only when spec does.
import { isDeepStrictEqual } from 'node:util';
import type { Resource } from './kinds.js';
import { type StatusCause, badRequest } from './status.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

interface ObjectMeta {
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: Json[];
  [key: string]: Json | undefined;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Json;
  status?: Json;
  [key: string]: Json | ObjectMeta | undefined;
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery validation.IsDNS1123Subdomain, as NameIsDNSSubdomain reports it. */
export function nameProblems(name: unknown): StatusCause[] {
  if (typeof name !== 'string' || name === '') return [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }];
  if (name.length > 253 || !SUBDOMAIN.test(name)) {
    return [{ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`, field: 'metadata.name' }];
  }
  return [];
}

/** apimachinery TotalAnnotationSizeLimitB: keys and values of all annotations together. */
const MAX_ANNOTATION_BYTES = 256 * 1024;

/** ValidateAnnotationsSize: every watcher and the state file carry annotations, so their total is bounded. */
export function annotationProblems(annotations: unknown): StatusCause[] {
  if (!isObject(annotations)) return [];
  const size = Object.entries(annotations).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v)), 0);
  return size > MAX_ANNOTATION_BYTES ? [{ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${MAX_ANNOTATION_BYTES} bytes`, field: 'metadata.annotations' }] : [];
}

/** The body must be an object of this resource's kind; apiVersion and kind may be left out (the path says them). */
export function asObject(r: Resource, body: unknown): KubeObject {
  if (!isObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
  const apiVersion = body.apiVersion ?? `${r.group}/${r.version}`;
  const kind = body.kind ?? r.kind;
  if (apiVersion !== `${r.group}/${r.version}` || kind !== r.kind) throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${r.group}/${r.version}) or the kind (${String(kind)}) is not ${r.kind}`);
  const metadata = isObject(body.metadata) ? body.metadata : {};
  // Cluster-scoped: a namespace is dropped, as the API server does for cluster-scoped kinds.
  const { namespace: _ns, ...rest } = metadata;
  return { ...body, apiVersion, kind, metadata: rest as unknown as ObjectMeta } as KubeObject;
}

/** Server-owned metadata comes from the stored object; labels, annotations and the rest from the request. */
export function carryMetadata(next: KubeObject, stored: KubeObject): KubeObject {
  const m = stored.metadata;
  const specChanged = !isDeepStrictEqual(next.spec, stored.spec);
  return {
    ...next,
    metadata: {
      ...next.metadata,
      name: m.name,
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
      generation: (m.generation ?? 1) + (specChanged ? 1 : 0),
    },
  };
}

/** The stored object with only its status taken from `next` (the /status subresource). */
export const withStatusOf = (stored: KubeObject, next: KubeObject): KubeObject => {
  const { status: _s, ...rest } = stored;
  return next.status === undefined ? rest : { ...rest, status: next.status };
};

/** The stored object's status with everything else from `next` (the main resource ignores status). */
export const withoutStatusChange = (next: KubeObject, stored: KubeObject | undefined): KubeObject => {
  const { status: _s, ...rest } = next;
  return stored?.status === undefined ? rest : { ...rest, status: stored.status };
};

export const clone = <T>(v: T): T => structuredClone(v);
