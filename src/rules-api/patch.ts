// PATCH bodies: JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386).
// Strategic merge patch is answered as a merge patch: every list in these
// types is atomic (no x-kubernetes-list-type map or set in openshift/api), so
// a strategic merge replaces lists whole, as a merge patch does; its
// directives ($patch, $retainKeys, $deleteFromPrimitiveList…) are refused.
import { type Json, type JsonObject, clone, isObject } from './object.js';
import { MAX_BODY_BYTES } from './http.js';
import { badRequest, ApiError } from './status.js';

/**
 * Keys that reach an object's prototype when assigned or read: a patch naming one could change
 * Object.prototype for the whole process. None is a field of these kinds, so they are refused.
 */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function safeKey(key: string): string {
  if (UNSAFE_KEYS.has(key)) throw badRequest(`the patch names the field ${JSON.stringify(key)}, which no object of this API has`);
  return key;
}

/** An own property only: never one inherited from a prototype. */
const own = (o: JsonObject, key: string): Json | undefined => (Object.hasOwn(o, key) ? o[key] : undefined);

/** RFC 7386 §2 MergePatch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[safeKey(k)];
    else out[safeKey(k)] = mergePatch(own(out, k) ?? null, v);
  }
  return out;
}

export function strategicMergePatch(target: Json, patch: Json): Json {
  const directive = findDirective(patch);
  if (directive) throw badRequest(`strategic merge patch directive ${directive} is not supported: every list of these types is atomic`);
  return mergePatch(target, patch);
}

function findDirective(v: Json): string | undefined {
  if (Array.isArray(v)) return v.map(findDirective).find(Boolean);
  if (!isObject(v)) return undefined;
  for (const [k, child] of Object.entries(v)) {
    if (k.startsWith('$')) return k;
    const found = findDirective(child);
    if (found) return found;
  }
  return undefined;
}

const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

function pointer(path: unknown): string[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw badRequest(`json patch: invalid path ${JSON.stringify(path)}`);
  return path === '' ? [] : path.slice(1).split('/').map((t) => safeKey(unescape(t)));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; last: string } {
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? (node[Number(t)] ?? null) : isObject(node) ? (own(node, t) ?? null) : null;
    if (node === null || typeof node !== 'object') throw unprocessable(`doc is missing path: "${path}"`);
  }
  return { parent: node as JsonObject | Json[], last: tokens[tokens.length - 1] as string };
}

const unprocessable = (message: string) => new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);

function get(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path);
  const v = Array.isArray(parent) ? parent[Number(last)] : own(parent, last);
  if (v === undefined) throw unprocessable(`doc is missing key: "${path}"`);
  return v;
}

function arrayIndex(arr: Json[], last: string, path: string, adding: boolean): number {
  if (adding && last === '-') return arr.length;
  const i = Number(last);
  if (!/^(0|[1-9][0-9]*)$/.test(last) || i > arr.length - (adding ? 0 : 1)) throw unprocessable(`index out of range: "${path}"`);
  return i;
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, true), 0, value);
  else parent[last] = value;
  return doc;
}

function remove(doc: Json, path: string): Json {
  const tokens = pointer(path);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, false), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw unprocessable(`doc is missing key: "${path}"`);
  return doc;
}

/** apiserver's maxJSONPatchOperations (endpoints/handlers/patch.go): kubectl sends a handful. */
const MAX_OPERATIONS = 10_000;

const jsonSize = (v: Json | undefined): number => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v)));

const tooLarge = () => new ApiError(413, 'RequestEntityTooLarge', `the patched object is larger than ${MAX_BODY_BYTES} bytes, the limit on a request body`);

/** What an "add" at `path` overwrites: the whole document, an object's member, never an array's element (it is inserted before). */
function displaced(doc: Json, path: string): Json | undefined {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path);
  return Array.isArray(parent) ? undefined : own(parent, last);
}

/** Applies one operation; returns the new document and how many bytes it grew by (an estimate). */
function apply(doc: Json, op: JsonObject & { op: string; path: string }): { doc: Json; grew: number } {
  const { path } = op;
  const value = op.value === undefined ? null : clone(op.value);
  switch (op.op) {
    case 'add':
      return { grew: jsonSize(value) - jsonSize(displaced(doc, path)), doc: add(doc, path, value) };
    case 'remove':
      return { grew: -jsonSize(get(doc, path)), doc: remove(doc, path) };
    case 'replace': {
      const old = get(doc, path);
      return { grew: jsonSize(value) - jsonSize(old), doc: add(remove(doc, path), path, value) };
    }
    case 'move':
    case 'copy': {
      const from = String(op.from);
      const moved = clone(get(doc, from));
      const base = op.op === 'move' ? remove(doc, from) : doc;
      return { grew: (op.op === 'move' ? 0 : jsonSize(moved)) - jsonSize(displaced(base, path)), doc: add(base, path, moved) };
    }
    case 'test':
      if (JSON.stringify(get(doc, path)) !== JSON.stringify(value)) throw unprocessable(`testing value ${path} failed`);
      return { grew: 0, doc };
    default:
      throw badRequest(`json patch: unknown operation ${JSON.stringify(op.op)}`);
  }
}

/**
 * RFC 6902 §4: add, remove, replace, move, copy, test, applied in order to a copy. A "copy" of
 * a container into itself doubles the document, so the size is followed after every operation
 * and a result past the body limit is 413 before it grows further, as the API server refuses a
 * patched object too large to have been sent (endpoints/handlers/patch.go).
 */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch: the body must be a list of operations');
  if (ops.length > MAX_OPERATIONS) throw new ApiError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${ops.length}`);
  let doc = clone(target);
  let size = jsonSize(doc);
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw badRequest('json patch: each operation needs "op" and "path"');
    const step = apply(doc, op as JsonObject & { op: string; path: string });
    doc = step.doc;
    size += step.grew;
    if (size > MAX_BODY_BYTES) throw tooLarge();
  }
  if (jsonSize(doc) > MAX_BODY_BYTES) throw tooLarge();
  return doc;
}
