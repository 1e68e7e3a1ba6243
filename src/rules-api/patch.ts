// PATCH bodies: JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386).
// Strategic merge patch is answered as a merge patch: every list in these
// types is atomic (no x-kubernetes-list-type map or set in openshift/api), so
// a strategic merge replaces lists whole, as a merge patch does; its
// directives ($patch, $retainKeys, $deleteFromPrimitiveList…) are refused.
import { type Json, type JsonObject, clone, isObject } from './object.js';
import { badRequest, ApiError } from './status.js';

/** RFC 7386 §2 MergePatch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
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
  return path === '' ? [] : path.slice(1).split('/').map(unescape);
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; last: string } {
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? (node[Number(t)] ?? null) : isObject(node) ? (node[t] ?? null) : null;
    if (node === null || typeof node !== 'object') throw unprocessable(`doc is missing path: "${path}"`);
  }
  return { parent: node as JsonObject | Json[], last: tokens[tokens.length - 1] as string };
}

const unprocessable = (message: string) => new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);

function get(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = parentOf(doc, tokens, path);
  const v = Array.isArray(parent) ? parent[Number(last)] : parent[last];
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
  else if (last in parent) delete parent[last];
  else throw unprocessable(`doc is missing key: "${path}"`);
  return doc;
}

/** RFC 6902 §4: add, remove, replace, move, copy, test, applied in order to a copy. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch: the body must be a list of operations');
  let doc = clone(target);
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw badRequest('json patch: each operation needs "op" and "path"');
    const { path } = op;
    const value = op.value === undefined ? null : clone(op.value);
    switch (op.op) {
      case 'add':
        doc = add(doc, path, value);
        break;
      case 'remove':
        doc = remove(doc, path);
        break;
      case 'replace':
        get(doc, path);
        doc = add(remove(doc, path), path, value);
        break;
      case 'move':
      case 'copy': {
        const from = String(op.from);
        const moved = clone(get(doc, from));
        if (op.op === 'move') doc = remove(doc, from);
        doc = add(doc, path, moved);
        break;
      }
      case 'test':
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(value)) throw unprocessable(`testing value ${path} failed`);
        break;
      default:
        throw badRequest(`json patch: unknown operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
