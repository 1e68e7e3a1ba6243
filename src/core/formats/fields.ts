// Typed reads of decoded YAML/JSON/TOML values. Each read reports a wrong
// type at its field path and returns undefined, so one pass finds every error.
import type { DiagnosticSink } from '../rules/diagnostics.js';

export type Json = unknown;
export type JsonObject = Readonly<Record<string, unknown>>;

export const quote = (value: unknown): string => JSON.stringify(value) ?? String(value);

export const isObject = (value: Json): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string => (Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`);

export function readObject(sink: DiagnosticSink, value: Json, path: string): JsonObject | undefined {
  if (value === undefined) return undefined;
  if (isObject(value)) return value;
  sink.error(path, `expected an object, got ${describe(value)}`);
  return undefined;
}

export function readString(sink: DiagnosticSink, value: Json, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  sink.error(path, `expected a string, got ${describe(value)} ${quote(value)}`);
  return undefined;
}

export function readBoolean(sink: DiagnosticSink, value: Json, path: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  sink.error(path, `expected true or false, got ${quote(value)}`);
  return undefined;
}

export function readList(sink: DiagnosticSink, value: Json, path: string): readonly Json[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  sink.error(path, `expected a list, got ${describe(value)}`);
  return undefined;
}

/** A list of strings; `unique` rejects duplicates as a Kubernetes `listType=set` does. */
export function readStringList(
  sink: DiagnosticSink,
  value: Json,
  path: string,
  options: { unique?: boolean; minItems?: number; maxItems?: number } = {},
): string[] | undefined {
  const list = readList(sink, value, path);
  if (list === undefined) return undefined;
  if (options.minItems !== undefined && list.length < options.minItems) {
    sink.error(path, `must have at least ${options.minItems} item${options.minItems === 1 ? '' : 's'}`);
  }
  if (options.maxItems !== undefined && list.length > options.maxItems) {
    sink.error(path, `must have at most ${options.maxItems} items, got ${list.length}`);
  }
  const seen = new Set<string>();
  const out: string[] = [];
  list.forEach((item, i) => {
    const s = readString(sink, item, `${path}[${i}]`);
    if (s === undefined) return;
    if (options.unique && seen.has(s)) sink.error(`${path}[${i}]`, `duplicate value ${quote(s)}`);
    seen.add(s);
    out.push(s);
  });
  return out;
}

/** Reports keys the schema does not know, as `oc apply --validate=strict` would. */
export function rejectUnknownKeys(sink: DiagnosticSink, obj: JsonObject, path: string, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) sink.error(path ? `${path}.${key}` : key, `unknown field ${quote(key)}`);
  }
}
