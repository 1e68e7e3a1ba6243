// metadata.managedFields and server-side apply, for types whose lists are
// all atomic (so a list is one field, owned whole). Each manager owns the
// leaf fields it set; an Update takes the fields it changed; an Apply owns
// exactly the fields of its configuration, drops the ones it no longer sets
// (unless another manager owns them too), and conflicts with another owner
// holding a different value unless forced (structured-merge-diff semantics,
// k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager).
import { isDeepStrictEqual } from 'node:util';
import { type Json, type JsonObject, type KubeObject, clone, isObject } from './object.js';
import { applyConflict } from './status.js';

type Path = readonly string[];
const show = (p: Path) => `.${p.join('.')}`;

interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** Leaf field paths of an object: metadata only through labels and annotations; lists and scalars are leaves. */
function leafPaths(object: JsonObject, subresource?: string): Path[] {
  const out: Path[] = [];
  const walk = (v: Json, path: string[]) => {
    if (isObject(v) && Object.keys(v).length > 0) for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
    else out.push(path);
  };
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if ((k === 'status') !== (subresource === 'status')) continue;
    if (k === 'metadata' && isObject(v)) {
      for (const m of ['labels', 'annotations']) if (isObject(v[m])) walk(v[m] as Json, ['metadata', m]);
    } else walk(v, [k]);
  }
  return out;
}

function toFields(paths: readonly Path[]): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let node = root;
    for (const k of p) node = (node[`f:${k}`] ??= {}) as JsonObject;
  }
  return root;
}

function fromFields(fields: Json): Path[] {
  const out: Path[] = [];
  const walk = (node: Json, path: string[]) => {
    const children = isObject(node) ? Object.entries(node).filter(([k]) => k.startsWith('f:')) : [];
    if (children.length === 0) out.push(path);
    for (const [k, c] of children) walk(c, [...path, k.slice(2)]);
  };
  if (isObject(fields)) for (const [k, c] of Object.entries(fields)) if (k.startsWith('f:')) walk(c, [k.slice(2)]);
  return out;
}

const at = (o: Json, p: Path): Json | undefined => p.reduce<Json | undefined>((n, k) => (isObject(n) ? n[k] : undefined), o);

function setAt(o: JsonObject, p: Path, v: Json): void {
  let node = o;
  for (const k of p.slice(0, -1)) node = (isObject(node[k]) ? node[k] : (node[k] = {})) as JsonObject;
  node[p[p.length - 1] as string] = clone(v);
}

function deleteAt(o: JsonObject, p: Path): void {
  const parent = at(o, p.slice(0, -1));
  if (isObject(parent)) delete parent[p[p.length - 1] as string];
}

const key = (p: Path) => p.join('\u0000');

interface Owned {
  entry: Entry;
  paths: Path[];
}

function ownersOf(object: KubeObject | undefined): Owned[] {
  const raw = (object?.metadata.managedFields ?? []) as unknown as Entry[];
  return raw.map((entry) => ({ entry, paths: fromFields(entry.fieldsV1) }));
}

function write(owners: Owned[]): Json[] {
  return owners.filter((o) => o.paths.length > 0).map((o) => ({ ...o.entry, fieldsV1: toFields(o.paths) }) as unknown as Json);
}

const same = (e: Entry, manager: string, operation: string, subresource?: string) => e.manager === manager && e.operation === operation && e.subresource === subresource;

/** `manager` owns `paths`; other owners lose `removed` (an Update's changes, an Apply's forced conflicts). */
function take(owners: Owned[], manager: string, operation: 'Apply' | 'Update', paths: readonly Path[], meta: { apiVersion: string; time: string; subresource?: string }, removed: readonly Path[] = paths): Owned[] {
  const taken = new Set(removed.map(key));
  const rest = owners.filter((o) => !same(o.entry, manager, operation, meta.subresource)).map((o) => ({ ...o, paths: o.paths.filter((p) => !taken.has(key(p))) }));
  const mine = owners.find((o) => same(o.entry, manager, operation, meta.subresource));
  const kept = operation === 'Update' ? (mine?.paths ?? []).filter((p) => !taken.has(key(p))) : [];
  const entry: Entry = { manager, operation, apiVersion: meta.apiVersion, time: meta.time, fieldsType: 'FieldsV1', fieldsV1: {}, ...(meta.subresource ? { subresource: meta.subresource } : {}) };
  return [...rest, { entry, paths: [...kept, ...paths] }];
}

/** managedFields after an Update (create, PUT, PATCH) by `manager`: it owns the fields it changed. */
export function recordUpdate(prev: KubeObject | undefined, next: KubeObject, manager: string, time: string, subresource?: string): KubeObject {
  const changed = leafPaths(next as unknown as JsonObject, subresource).filter((p) => !isDeepStrictEqual(at(next as unknown as Json, p), at(prev as unknown as Json, p)));
  const owners = take(ownersOf(prev), manager, 'Update', changed, { apiVersion: next.apiVersion, time, ...(subresource ? { subresource } : {}) });
  const present = owners.map((o) => ({ ...o, paths: o.paths.filter((p) => at(next as unknown as Json, p) !== undefined) }));
  return { ...next, metadata: { ...next.metadata, managedFields: write(present) } };
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Fields `kubectl apply --server-side` may take from client-side apply without a conflict: those
 * of the last-applied-configuration annotation, for the manager "kubectl" only (apiserver
 * fieldmanager/internal/lastappliedmanager.go allowedConflictsFromLastApplied), so that switching
 * from `kubectl apply` to `kubectl apply --server-side` transfers ownership quietly.
 */
function upgradable(live: KubeObject | undefined, manager: string): Set<string> {
  const text = live?.metadata.annotations?.[LAST_APPLIED];
  if (manager !== 'kubectl' || text === undefined) return new Set();
  try {
    const applied = JSON.parse(text) as Json;
    return isObject(applied) ? new Set(leafPaths(applied).map(key)) : new Set();
  } catch {
    return new Set();
  }
}

/** Server-side apply of `config` by `manager` onto `live` (undefined: create). */
export function serverSideApply(live: KubeObject | undefined, config: KubeObject, manager: string, force: boolean, time: string, subresource?: string): KubeObject {
  const mine = leafPaths(config as unknown as JsonObject, subresource);
  const owners = ownersOf(live);
  const contested = owners
    .filter((o) => o.entry.manager !== manager && o.entry.subresource === subresource)
    .flatMap((o) => o.paths.filter((p) => mine.some((m) => key(m) === key(p)) && !isDeepStrictEqual(at(live as unknown as Json, p), at(config as unknown as Json, p))).map((p) => ({ p, manager: o.entry.manager })));
  const blocking = contested.filter((c) => !upgradable(live, manager).has(key(c.p)));
  if (blocking.length > 0 && !force) throw applyConflict(blocking.map((c) => ({ field: show(c.p), manager: c.manager })));
  const result = clone((live ?? { apiVersion: config.apiVersion, kind: config.kind, metadata: { name: config.metadata.name } }) as unknown as JsonObject);
  const previously = owners.find((o) => same(o.entry, manager, 'Apply', subresource))?.paths ?? [];
  const mineKeys = new Set(mine.map(key));
  const othersKeys = new Set(owners.filter((o) => !same(o.entry, manager, 'Apply', subresource)).flatMap((o) => o.paths.map(key)));
  for (const p of previously) if (!mineKeys.has(key(p)) && !othersKeys.has(key(p))) deleteAt(result, p);
  for (const p of mine) setAt(result, p, at(config as unknown as Json, p) ?? null);
  const next = result as unknown as KubeObject;
  // Equal values are shared with their other owners; forced ones are taken from them.
  const taken = take(owners, manager, 'Apply', mine, { apiVersion: config.apiVersion, time, ...(subresource ? { subresource } : {}) }, contested.map((c) => c.p));
  return { ...next, metadata: { ...next.metadata, managedFields: write(taken) } };
}
