// Field validation against the resource schema, as the API server does for
// custom resources: unknown fields are pruned, and reported according to
// fieldValidation (Strict: 400 listing all of them; Warn: Warning headers;
// Ignore), duplicate keys likewise; wrong types are 422 Invalid causes.
// Messages follow apiserver's strict decoding ("unknown field \"spec.x\"",
// "duplicate field \"x\"").
import { parseDocument } from 'yaml';
import type { Resource, Schema } from './kinds.js';
import { type Json, type KubeObject, isObject } from './object.js';
import { type StatusCause, badRequest, strictDecoding } from './status.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface Decoded {
  readonly value: Json;
  /** Duplicate keys in the body text, as field paths. */
  readonly duplicates: readonly string[];
}

const MAX_BODY_DEPTH = 64;

/** No aliases: a small body must not expand into a large object (billion laughs); one is a bad body, not a fault. */
function withoutAliases(doc: ReturnType<typeof parseDocument>): Json {
  try {
    return (doc.toJS({ maxAliasCount: 0 }) ?? null) as Json;
  } catch (err) {
    throw badRequest(`the body could not be decoded: ${(err as Error).message}`);
  }
}

/** Parses a JSON or YAML body; duplicate keys are noted rather than fatal, the last one wins. */
export function decodeBody(text: string): Decoded {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) throw badRequest(`the body could not be decoded: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
  const duplicates: string[] = [];
  const seenAt = (node: unknown, path: string, depth: number): void => {
    if (depth > MAX_BODY_DEPTH) throw badRequest(`the body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    const items = (node as { items?: unknown[] } | null)?.items;
    if (!Array.isArray(items)) return;
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const pair = item as { key?: { value?: unknown }; value?: unknown };
      if (pair && typeof pair === 'object' && 'key' in pair) {
        const name = String(pair.key?.value);
        const field = path ? `${path}.${name}` : name;
        if (seen.has(name)) duplicates.push(field);
        seen.add(name);
        seenAt(pair.value, field, depth + 1);
      } else seenAt(item, `${path}[${i}]`, depth + 1);
    });
  };
  seenAt(doc.contents, '', 0);
  return { value: withoutAliases(doc), duplicates };
}

interface Findings {
  unknown: string[];
  invalid: StatusCause[];
}

const typeOf = (v: Json): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v);

/** Returns `value` without the fields the schema does not know; notes them and type errors. */
function prune(value: Json, schema: Schema, path: string, found: Findings, partial: boolean): Json | undefined {
  if (schema.type && value !== null && typeOf(value) !== schema.type && !(schema.type === 'object' && isObject(value))) {
    found.invalid.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: "${typeOf(value)}": ${path} in body must be of type ${schema.type}: "${typeOf(value)}"`, field: path });
    return value;
  }
  if (schema.enum && typeof value === 'string' && !schema.enum.includes(value)) {
    found.invalid.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: "${value}": supported values: ${schema.enum.map((e) => `"${e}"`).join(', ')}`, field: path });
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    return value.map((v, i) => prune(v, items, `${path}[${i}]`, found, partial) ?? null);
  }
  if (!isObject(value) || schema.preserveUnknown || !schema.properties) return value;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) {
    const field = path ? `${path}.${k}` : k;
    // Own properties only: "__proto__" or "constructor" must not find Object.prototype's members.
    const child = Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
    if (!child) found.unknown.push(field);
    else out[k] = prune(v, child, field, found, partial) ?? null;
  }
  // An apply configuration is partial: required fields are checked on the merged object.
  for (const req of partial ? [] : (schema.required ?? [])) {
    if (value[req] === undefined) found.invalid.push({ reason: 'FieldValueRequired', message: 'Required value', field: path ? `${path}.${req}` : req });
  }
  return out;
}

export interface Checked {
  readonly object: KubeObject;
  readonly warnings: readonly string[];
  readonly invalid: readonly StatusCause[];
}

/** Prunes unknown fields; Strict throws 400 naming each unknown and duplicate field. */
export function checkFields(r: Resource, object: KubeObject, duplicates: readonly string[], mode: FieldValidation, partial = false): Checked {
  const found: Findings = { unknown: [], invalid: [] };
  const pruned = prune(object as unknown as Json, r.schema, '', found, partial) as unknown as KubeObject;
  const problems = [...found.unknown.map((f) => `unknown field "${f}"`), ...duplicates.map((f) => `duplicate field "${f}"`)];
  if (mode === 'Strict' && problems.length > 0) throw strictDecoding(problems);
  return { object: pruned, warnings: mode === 'Warn' ? problems : [], invalid: found.invalid };
}
