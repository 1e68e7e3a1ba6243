// containers-registries.conf(5) version 2, parsed with smol-toml.
import { TomlError, parse } from 'smol-toml';
import type { DiagnosticSink } from '../rules/diagnostics.js';
import type { Origin } from '../rules/model.js';
import { type Json, quote, readBoolean, readList, readObject, readString, readStringList } from './fields.js';
import type { RawRegistry, RegistriesConfFile } from './objects.js';

const REGISTRY_KEYS = ['prefix', 'location', 'insecure', 'blocked', 'mirror-by-digest-only', 'pull-from-mirror', 'mirror'];
const MIRROR_KEYS = ['location', 'insecure', 'pull-from-mirror'];
// Keys containers/image reads for things a proxy does not do (short-name
// prompts, credential helpers); accepted and ignored, as unknown keys are there.
const IGNORED_TOP_KEYS = ['short-name-mode', 'credential-helpers', 'aliases', 'additional-layer-store-auth-helper'];

export function decodeRegistriesConf(text: string, origin: Origin, sink: DiagnosticSink): RegistriesConfFile | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    const where = err instanceof TomlError ? `line ${err.line}, column ${err.column}` : '';
    sink.error(where, `invalid TOML: ${firstLine(err)}`);
    return undefined;
  }
  if ('registries' in doc) {
    sink.error('registries', 'the v1 format ([registries.search], [registries.insecure], [registries.block]) is not supported: use [[registry]] tables (containers-registries.conf v2)');
  }
  for (const key of Object.keys(doc)) {
    if (!['registry', 'registries', 'unqualified-search-registries', ...IGNORED_TOP_KEYS].includes(key)) {
      sink.warn(key, `unknown key ${quote(key)} ignored`);
    }
  }
  const searchRegistries = readStringList(sink, doc['unqualified-search-registries'], 'unqualified-search-registries');
  const tables = readList(sink, doc.registry, 'registry') ?? [];
  const registries = tables.flatMap((table, i) => decodeRegistry(table, `registry[${i}]`, sink) ?? []);
  return { kind: 'registries.conf', origin, registries, ...(searchRegistries === undefined ? {} : { searchRegistries }) };
}

function decodeRegistry(table: Json, path: string, sink: DiagnosticSink): RawRegistry | undefined {
  const obj = readObject(sink, table, path);
  if (!obj) return undefined;
  warnUnknown(sink, obj, path, REGISTRY_KEYS);
  const mirrors = (readList(sink, obj.mirror, `${path}.mirror`) ?? []).flatMap((m, j) => {
    const at = `${path}.mirror[${j}]`;
    const mirror = readObject(sink, m, at);
    if (!mirror) return [];
    warnUnknown(sink, mirror, at, MIRROR_KEYS);
    return [{
      location: readString(sink, mirror.location, `${at}.location`) ?? '',
      insecure: readBoolean(sink, mirror.insecure, `${at}.insecure`) ?? false,
      pullFromMirror: readString(sink, mirror['pull-from-mirror'], `${at}.pull-from-mirror`) ?? '',
    }];
  });
  return {
    prefix: readString(sink, obj.prefix, `${path}.prefix`) ?? '',
    location: readString(sink, obj.location, `${path}.location`) ?? '',
    insecure: readBoolean(sink, obj.insecure, `${path}.insecure`) ?? false,
    blocked: readBoolean(sink, obj.blocked, `${path}.blocked`) ?? false,
    mirrorByDigestOnly: readBoolean(sink, obj['mirror-by-digest-only'], `${path}.mirror-by-digest-only`) ?? false,
    pullFromMirror: readString(sink, obj['pull-from-mirror'], `${path}.pull-from-mirror`) ?? '',
    mirrors,
  };
}

function warnUnknown(sink: DiagnosticSink, obj: Readonly<Record<string, unknown>>, path: string, known: readonly string[]): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) sink.warn(`${path}.${key}`, `unknown key ${quote(key)} ignored`);
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
