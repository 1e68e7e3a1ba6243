// The API's objects as a rule source, and the read-only rule files' objects
// as API objects (listed, never written).
import { createHash } from 'node:crypto';
import { parseAllDocuments, stringify } from 'yaml';
import type { RuleDocument, RuleSource } from '../config/rule-sources.js';
import type { Resource } from './kinds.js';
import { type KubeObject, isObject } from './object.js';
import type { ObjectStore } from './store.js';

export const API_SOURCE = 'api';
export const READ_ONLY_ANNOTATION = 'mirrorgate.io/read-only';
export const SOURCE_ANNOTATION = 'mirrorgate.io/source';

/** Objects as rule documents, labelled by their place in the state directory (never its absolute path). */
export const documentsOf = (entries: readonly (readonly [string, KubeObject])[]): RuleDocument[] => entries.map(([key, object]) => ({ label: `api/${key}.yaml`, text: textOf(object) }));

/** Stored objects are never changed in place (a write makes a new one), so each is rendered once. */
const rendered = new WeakMap<KubeObject, string>();
function textOf(object: KubeObject): string {
  let text = rendered.get(object);
  if (text === undefined) rendered.set(object, (text = stringify(object)));
  return text;
}

export function apiSource(store: ObjectStore): RuleSource {
  return { name: API_SOURCE, readOnly: false, read: async () => documentsOf(store.entries()) };
}

function flatten(value: unknown): unknown[] {
  if (isObject(value) && Array.isArray(value.items) && typeof value.kind === 'string' && value.kind.endsWith('List')) return value.items.flatMap(flatten);
  return [value];
}

/** The objects of `r` in read-only documents, annotated with where they come from. */
export function readOnlyObjects(r: Resource, documents: readonly RuleDocument[], source: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of documents) {
    if (doc.label.endsWith('.toml')) continue;
    for (const parsed of parseAllDocuments(doc.text)) {
      if (parsed.errors.length > 0) continue;
      for (const item of flatten(parsed.toJS({ maxAliasCount: 0 }))) {
        if (!isObject(item) || item.kind !== r.kind || item.apiVersion !== `${r.group}/${r.version}` || !isObject(item.metadata) || typeof item.metadata.name !== 'string') continue;
        const metadata = item.metadata as KubeObject['metadata'];
        const uid = createHash('sha256').update(`${source}\0${doc.label}\0${r.kind}\0${metadata.name}`).digest('hex');
        const annotations = { ...(metadata.annotations ?? {}), [READ_ONLY_ANNOTATION]: 'true', [SOURCE_ANNOTATION]: `${source}:${doc.label}` };
        out.push({ ...(item as unknown as KubeObject), metadata: { ...metadata, uid: `${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`, annotations } });
      }
    }
  }
  return out;
}
