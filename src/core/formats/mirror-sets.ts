// ImageDigestMirrorSet, ImageTagMirrorSet (config.openshift.io/v1),
// ImageContentPolicy (config.openshift.io/v1) and ImageContentSourcePolicy
// (operator.openshift.io/v1alpha1): field shapes and CRD patterns (spec §8).
import type { DiagnosticSink } from '../rules/diagnostics.js';
import type { Origin } from '../rules/model.js';
import { isValidMirrorScope, isValidSourceScope } from '../rules/scope.js';
import { type Json, quote, readBoolean, readList, readObject, readString, readStringList, rejectUnknownKeys } from './fields.js';
import type { MirrorSetEntry, MirrorSetKind, MirrorSetObject, MirrorSourcePolicy } from './objects.js';

interface Shape {
  readonly listField: string;
  readonly entryFields: readonly string[];
  /** `listType=set` on mirrors: the API server refuses duplicates (ICSP has no such marker). */
  readonly uniqueMirrors: boolean;
}

const SHAPES: Readonly<Record<MirrorSetKind, Shape>> = {
  ImageDigestMirrorSet: { listField: 'imageDigestMirrors', entryFields: ['source', 'mirrors', 'mirrorSourcePolicy'], uniqueMirrors: true },
  ImageTagMirrorSet: { listField: 'imageTagMirrors', entryFields: ['source', 'mirrors', 'mirrorSourcePolicy'], uniqueMirrors: true },
  ImageContentSourcePolicy: { listField: 'repositoryDigestMirrors', entryFields: ['source', 'mirrors'], uniqueMirrors: false },
  ImageContentPolicy: { listField: 'repositoryDigestMirrors', entryFields: ['source', 'mirrors', 'allowMirrorByTags'], uniqueMirrors: true },
};

const POLICIES: readonly MirrorSourcePolicy[] = ['NeverContactSource', 'AllowContactingSource'];

export function decodeMirrorSet(kind: MirrorSetKind, spec: Json, origin: Origin, sink: DiagnosticSink): MirrorSetObject {
  const shape = SHAPES[kind];
  const specObj = readObject(sink, spec, 'spec') ?? {};
  rejectUnknownKeys(sink, specObj, 'spec', [shape.listField]);
  const listPath = `spec.${shape.listField}`;
  const list = readList(sink, specObj[shape.listField], listPath) ?? [];
  const entries: MirrorSetEntry[] = [];
  const sources = new Set<string>();
  list.forEach((item, i) => {
    const entry = decodeEntry(kind, shape, item, `${listPath}[${i}]`, origin, sink);
    if (!entry) return;
    // ImageContentPolicy lists are `listType=map` keyed by source.
    if (kind === 'ImageContentPolicy' && sources.has(entry.source)) {
      sink.error(`${entry.path}.source`, `duplicate source ${quote(entry.source)}`);
    }
    sources.add(entry.source);
    entries.push(entry);
  });
  return { kind, origin, entries };
}

function decodeEntry(kind: MirrorSetKind, shape: Shape, item: Json, path: string, origin: Origin, sink: DiagnosticSink): MirrorSetEntry | undefined {
  const obj = readObject(sink, item, path);
  if (!obj) return undefined;
  rejectUnknownKeys(sink, obj, path, shape.entryFields);
  const source = readString(sink, obj.source, `${path}.source`);
  if (source === undefined) sink.error(`${path}.source`, 'required field is missing');
  const sourceOk = source !== undefined && checkSource(kind, source, `${path}.source`, sink);
  // What is reported here is left out of the object, so that nothing later reports it again without its field.
  const listed = readStringList(sink, obj.mirrors, `${path}.mirrors`, { unique: shape.uniqueMirrors }) ?? [];
  const mirrors = listed.filter((m, j) => checkMirror(m, `${path}.mirrors[${j}]`, sink));
  const policy = decodePolicy(obj.mirrorSourcePolicy, `${path}.mirrorSourcePolicy`, sink);
  if (policy !== undefined && mirrors.length === 0) {
    // The API calls this invalid, yet the cluster accepts and ignores it
    // (runtime-utils `addMirrorSet`; vector V050): warn, keep going.
    sink.warn(`${path}.mirrorSourcePolicy`, `${policy} has no effect without mirrors and is ignored, as the cluster ignores it`);
  }
  const allowMirrorByTags = readBoolean(sink, obj.allowMirrorByTags, `${path}.allowMirrorByTags`);
  if (!sourceOk) return undefined;
  return {
    source,
    mirrors,
    origin,
    path,
    ...(policy === undefined ? {} : { policy }),
    ...(allowMirrorByTags === undefined ? {} : { allowMirrorByTags }),
  };
}

function decodePolicy(value: Json, path: string, sink: DiagnosticSink): MirrorSourcePolicy | undefined {
  const policy = readString(sink, value, path);
  if (policy === undefined || policy === '') return undefined;
  if ((POLICIES as readonly string[]).includes(policy)) return policy as MirrorSourcePolicy;
  sink.error(path, `unsupported value ${quote(policy)}: must be one of ${POLICIES.join(', ')}`);
  return undefined;
}

// MCO `validateRegistriesConfScopes` messages; ICSP and ICP get the same
// checks, because the cluster renders them into the same registries.conf.
/** True when valid; otherwise reported. */
function checkSource(kind: MirrorSetKind, source: string, path: string, sink: DiagnosticSink): boolean {
  if (!isValidSourceScope(source)) sink.error(path, `invalid format for source ${quote(source)}${scopeHint(source)}`);
  else if (kind === 'ImageContentPolicy' && source.startsWith('*.')) {
    sink.error(path, `invalid format for source ${quote(source)}: ImageContentPolicy sources cannot be wildcards`);
  } else return true;
  return false;
}

/** True when valid; otherwise reported. */
function checkMirror(mirror: string, path: string, sink: DiagnosticSink): boolean {
  if (isValidMirrorScope(mirror)) return true;
  sink.error(path, `invalid format for mirror ${quote(mirror)}${scopeHint(mirror)}`);
  return false;
}

function scopeHint(scope: string): string {
  if (scope === '') return ': must not be empty';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(scope)) return ': a scope has no URI scheme: write host[:port][/namespace…] (plain HTTP is set by Image spec.registrySources.insecureRegistries)';
  if (scope.includes('@')) return ': a scope cannot contain a digest';
  if (/\/[^/]*:/.test(scope)) return ': a scope cannot contain a tag';
  if (scope.includes('*')) return ': a wildcard is only allowed as a whole leading "*." label of a source, with no port or path';
  if (/\/.*[A-Z]/.test(scope)) return ': repository paths must be lowercase';
  return ': expected host[:port][/namespace…][/repo]';
}
