// One rule file's text -> decoded rule objects. YAML multi-document files,
// JSON, `kind: List` and `*List` wrappers as `oc get -o yaml` and oc-mirror
// write them, and registries.conf TOML.
import { parseAllDocuments } from 'yaml';
import type { DiagnosticSink } from '../rules/diagnostics.js';
import { type Json, type JsonObject, isObject, quote, readList, readObject, readString } from './fields.js';
import { decodeMirrorSet } from './mirror-sets.js';
import { decodeImageConfig } from './image-config.js';
import { decodeClusterVersion, decodeConfigMap } from './cluster-objects.js';
import { decodeRegistriesConf } from './registries-conf.js';
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

export const RULE_FILE_EXTENSIONS = ['.yaml', '.yml', '.json', '.toml'] as const;

/** Decodes one file; problems go to `sink`, which is rooted at the file. */
export function parseRuleFile(file: string, text: string, sink: DiagnosticSink): RuleObject[] {
  const fileSink = sink.withOrigin({ file });
  if (file.endsWith('.toml')) {
    const conf = decodeRegistriesConf(text, { file }, fileSink);
    return conf ? [conf] : [];
  }
  const objects: RuleObject[] = [];
  parseAllDocuments(text, { prettyErrors: false }).forEach((doc, i) => {
    const where = `document ${i + 1}`;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) fileSink.error(where, `invalid YAML: ${e.message.split('\n')[0]}`);
      return;
    }
    const value: Json = doc.toJS();
    if (value === null || value === undefined) return;
    objects.push(...decodeItem(file, value, where, fileSink));
  });
  return objects;
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
    objSink.warn('', `ignored: kind ${quote(kind)} holds no mirror rules`);
    return [];
  }
  if (value.apiVersion !== expected) {
    objSink.error('apiVersion', `expected ${quote(expected)} for kind ${kind}, got ${quote(value.apiVersion)}`);
    return [];
  }
  return [decodeKind(kind, name, value, metadata, origin, objSink)];
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
