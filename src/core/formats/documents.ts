// One rule file's text -> decoded rule objects. YAML multi-document files,
// JSON, `kind: List` and `*List` wrappers as `oc get -o yaml` and oc-mirror
// write them, and registries.conf TOML.
import { type Document, LineCounter, parseAllDocuments, visit } from 'yaml';
import type { DiagnosticSink } from '../rules/diagnostics.js';
import { type Json, type JsonObject, isObject, quote, readList, readObject, readString } from './fields.js';
import { decodeMirrorSet } from './mirror-sets.js';
import { decodeImageConfig } from './image-config.js';
import { decodeClusterVersion, decodeConfigMap } from './cluster-objects.js';
import { decodeRegistriesConf } from './registries-conf.js';
import { nearestKind } from './kind-hint.js';
import type { MirrorSetKind, RuleObject } from './objects.js';

const API_VERSIONS: Readonly<Record<string, string>> = {
  ImageDigestMirrorSet: 'config.openshift.io/v1',
  ImageTagMirrorSet: 'config.openshift.io/v1',
  ImageContentPolicy: 'config.openshift.io/v1',
  ImageContentSourcePolicy: 'operator.openshift.io/v1alpha1',
  Image: 'config.openshift.io/v1',
  ClusterVersion: 'config.openshift.io/v1',
  ConfigMap: 'v1',
};

/** The groups of the kinds above: an unknown kind in one of these is checked for a typo. */
const KNOWN_GROUPS = new Set(Object.values(API_VERSIONS).filter((v) => v.includes('/')).map((v) => v.split('/')[0]));

/** Every file name a rules directory is read for; the one list, also used by the loader. */
export const RULE_FILE_EXTENSIONS = ['.yaml', '.yml', '.json', '.toml', '.conf'] as const;

/** registries.conf is TOML, whether named `*.toml` or, as on a node, `*.conf`. */
const isToml = (file: string): boolean => file.endsWith('.toml') || file.endsWith('.conf');

/** Aliases expanded past this are refused (a "billion laughs" document), as yaml's own default. */
const MAX_ALIAS_COUNT = 100;

/** Decodes one file; problems go to `sink`, which is rooted at the file. */
export function parseRuleFile(file: string, text: string, sink: DiagnosticSink): RuleObject[] {
  const fileSink = sink.withOrigin({ file });
  if (isToml(file)) {
    const conf = decodeRegistriesConf(text, { file }, fileSink);
    return conf ? [conf] : [];
  }
  const objects: RuleObject[] = [];
  const lines = new LineCounter();
  parseAllDocuments(text, { prettyErrors: false, lineCounter: lines }).forEach((doc, i) => {
    const where = `document ${i + 1}`;
    const at = (offset: number | undefined) => {
      const pos = lines.linePos(offset ?? 0);
      return `${where}, line ${pos.line}, column ${pos.col}`;
    };
    if (doc.errors.length > 0) {
      for (const e of doc.errors) fileSink.error(at(e.pos[0]), `invalid YAML: ${e.message.split('\n')[0]}`);
      return;
    }
    let value: Json;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // An alias without its anchor, or too many aliases: found only when the document is built.
      fileSink.error(at(unresolvedAlias(doc) ?? doc.range[0]), `invalid YAML: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    if (value === null || value === undefined) return;
    objects.push(...decodeItem(file, value, where, fileSink));
  });
  return objects;
}

/** Where the first alias without an anchor is, if any. */
function unresolvedAlias(doc: Document.Parsed): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

function decodeItem(file: string, value: Json, where: string, sink: DiagnosticSink): RuleObject[] {
  if (!isObject(value)) {
    sink.error(where, 'expected a Kubernetes object with apiVersion and kind');
    return [];
  }
  const kind = readString(sink, value.kind, `${where}: kind`);
  if (!kind) {
    if (value.kind === undefined) sink.error(where, 'missing kind: expected a Kubernetes object with apiVersion and kind');
    return [];
  }
  if (kind === 'List' || kind.endsWith('List')) {
    const items = readList(sink, value.items, `${where}: items`) ?? [];
    return items.flatMap((item, i) => decodeItem(file, item, `${where}: items[${i}]`, sink));
  }
  const metadata = readObject(sink, value.metadata, `${where}: metadata`) ?? {};
  const name = typeof metadata.name === 'string' ? metadata.name : undefined;
  const origin = { file, object: `${kind}/${name ?? `(unnamed, ${where})`}` };
  const objSink = sink.withOrigin(origin);
  const expected = API_VERSIONS[kind];
  if (expected === undefined) {
    unknownKind(kind, value.apiVersion, objSink);
    return [];
  }
  if (value.apiVersion !== expected) {
    objSink.error('apiVersion', `expected ${quote(expected)} for kind ${kind}, got ${quote(value.apiVersion)}`);
    return [];
  }
  return [decodeKind(kind, name, value, metadata, origin, objSink)];
}

/** A typo of a known kind in a known group is an error (a plan silently without its mirrors otherwise); other kinds are ignored. */
function unknownKind(kind: string, apiVersion: unknown, sink: DiagnosticSink): void {
  const group = typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0] : undefined;
  const near = group !== undefined && KNOWN_GROUPS.has(group) ? nearestKind(kind, Object.keys(API_VERSIONS)) : undefined;
  if (near) sink.error('kind', `unknown kind ${quote(kind)} in ${group}: did you mean ${quote(near)}?`);
  else sink.warn('', `ignored: kind ${quote(kind)} holds no mirror rules`);
}

function decodeKind(kind: string, name: string | undefined, doc: JsonObject, metadata: JsonObject, origin: { file: string; object: string }, sink: DiagnosticSink): RuleObject {
  if (name === undefined) sink.error('metadata.name', 'required field is missing');
  switch (kind) {
    case 'Image':
      return decodeImageConfig(name, doc.spec, origin, sink);
    case 'ConfigMap':
      return decodeConfigMap(metadata, doc, origin, sink);
    case 'ClusterVersion':
      return decodeClusterVersion(doc, origin, sink);
    default:
      return decodeMirrorSet(kind as MirrorSetKind, doc.spec, origin, sink);
  }
}
