// Decoded rule objects -> one RuleSet, the way the cluster does it
// (spec §16): validate everything, merge the mirror sets, edit the base
// registries.conf as runtime-utils does, load it as containers/image does,
// then policy.json, search registries and CA bundles. All or nothing: any
// error fails the whole set, so a reload keeps the rules already in force.
import type { ClusterVersionObject, ConfigMapObject, ImageConfigObject, MirrorSetKind, MirrorSetObject, RegistriesConfFile, RuleObject } from '../formats/objects.js';
import { DiagnosticSink, InvalidRulesError, formatDiagnostic } from './diagnostics.js';
import { warnHostSpellings } from './host-case.js';
import { EditRegistriesError, type RegistryEdits, type ScopeRule, editRegistries } from './edit-registries.js';
import { checkMirrorSourcePolicies } from './mco-validation.js';
import { type MirrorList, mergeMirrorLists } from './mirror-merge.js';
import type { Origin, RuleSet } from './model.js';
import { type LoadedRegistries, RegistriesConfError, overlay, postProcess, registriesFromFile } from './post-process.js';
import { applyPayloadException, policyFor, releasePayload } from './registry-sources.js';
import { trustedCAs } from './trusted-cas.js';

const RENDERED: Origin = { file: '(registries.conf rendered from the rules)' };

interface Inputs {
  readonly sets: Readonly<Record<MirrorSetKind, MirrorSetObject[]>>;
  readonly image?: ImageConfigObject;
  readonly configMaps: ConfigMapObject[];
  readonly clusterVersion?: ClusterVersionObject;
  readonly confFiles: RegistriesConfFile[];
}

/** Throws InvalidRulesError carrying every error; `warnings` from decoding are kept on the result. */
export function compileRules(objects: readonly RuleObject[], decodeSink?: DiagnosticSink): RuleSet {
  const sink = decodeSink ?? new DiagnosticSink(RENDERED);
  const inputs = groupInputs(objects, sink);
  const { sets, image } = inputs;
  checkMirrorSourcePolicies([...sets.ImageDigestMirrorSet, ...sets.ImageContentSourcePolicy, ...sets.ImageContentPolicy, ...sets.ImageTagMirrorSet], sink);
  const base = loadConfFiles(inputs.confFiles, sink);
  const allBlocked = scopeRules(image, image?.blockedRegistries);
  const edits: RegistryEdits = {
    digestSets: mergeMirrorLists(digestLists(sets)),
    tagSets: mergeMirrorLists(tagLists(sets)),
    insecure: scopeRules(image, image?.insecureRegistries),
    blocked: allBlocked,
  };
  const payload = releasePayload(inputs.clusterVersion, sink);
  const trial = payload ? renderRegistries(base, edits, image, new DiagnosticSink(RENDERED)) : base;
  const blocked = applyPayloadException(allBlocked, payload, trial.registries, sink);
  const rendered = renderRegistries(base, { ...edits, blocked: blocked.registriesBlocked }, image, sink);
  const cas = trustedCAs(image, inputs.configMaps, sink);
  if (sink.errors.length > 0) throw new InvalidRulesError(sink.errors);
  const policy = policyFor(image, blocked);
  warnHostSpellings(rendered.registries, policy, rendered.searchRegistries ?? [], sink.withOrigin(RENDERED));
  return {
    registries: rendered.registries,
    searchRegistries: rendered.searchRegistries ?? [],
    policy,
    trustedCAs: cas,
    importAllow: image?.importAllow,
    objects: objects.map((o) => ({ kind: o.kind, origin: o.origin })),
    warnings: sink.warnings.map(formatDiagnostic),
  };
}

function groupInputs(objects: readonly RuleObject[], sink: DiagnosticSink): Inputs {
  const sets: Record<MirrorSetKind, MirrorSetObject[]> = {
    ImageDigestMirrorSet: [],
    ImageTagMirrorSet: [],
    ImageContentSourcePolicy: [],
    ImageContentPolicy: [],
  };
  const images: ImageConfigObject[] = [];
  const configMaps: ConfigMapObject[] = [];
  const clusterVersions: ClusterVersionObject[] = [];
  const confFiles: RegistriesConfFile[] = [];
  for (const o of objects) {
    if (o.kind === 'Image') images.push(o);
    else if (o.kind === 'ConfigMap') configMaps.push(o);
    else if (o.kind === 'ClusterVersion') clusterVersions.push(o);
    else if (o.kind === 'registries.conf') confFiles.push(o);
    else sets[o.kind].push(o);
  }
  for (const extra of [...images.slice(1), ...clusterVersions.slice(1)]) {
    sink.withOrigin(extra.origin).error('', `only one ${extra.kind} object may be given; the first is in ${images[0]?.origin.file ?? clusterVersions[0]?.origin.file}`);
  }
  return {
    sets,
    configMaps,
    confFiles,
    ...(images[0] ? { image: images[0] } : {}),
    ...(clusterVersions[0] ? { clusterVersion: clusterVersions[0] } : {}),
  };
}

// Files in the order given: the first is the main file, later ones act as
// registries.conf.d drop-ins.
function loadConfFiles(files: readonly RegistriesConfFile[], sink: DiagnosticSink): LoadedRegistries {
  let merged: LoadedRegistries = { registries: [] };
  for (const file of files) {
    try {
      merged = overlay(merged, postProcess(registriesFromFile(file.registries, file.origin), file.searchRegistries));
    } catch (err) {
      if (!(err instanceof RegistriesConfError)) throw err;
      sink.withOrigin(file.origin).error('', err.message);
    }
  }
  return merged;
}

function mirrorList(set: MirrorSetObject, neverAllowed: boolean): MirrorList[] {
  return set.entries.map((e) => ({ source: e.source, mirrors: e.mirrors, neverContactSource: neverAllowed && e.policy === 'NeverContactSource', origin: e.origin }));
}

// IDMS then ICSP (MCO converts ICSPs and appends them), then ICP as a
// mirrorgate extension; the merge does not depend on this order (spec §11).
const digestLists = (sets: Inputs['sets']): MirrorList[] => [
  ...sets.ImageDigestMirrorSet.flatMap((s) => mirrorList(s, true)),
  ...sets.ImageContentSourcePolicy.flatMap((s) => mirrorList(s, false)),
  ...sets.ImageContentPolicy.flatMap((s) => mirrorList(s, false)),
];

// ImageContentPolicy with allowMirrorByTags also serves tag pulls, as its API
// documents; the cluster itself ignores ICP (spec §12).
const tagLists = (sets: Inputs['sets']): MirrorList[] => [
  ...sets.ImageTagMirrorSet.flatMap((s) => mirrorList(s, true)),
  ...sets.ImageContentPolicy.flatMap((s) => mirrorList({ ...s, entries: s.entries.filter((e) => e.allowMirrorByTags === true) }, false)),
];

const scopeRules = (image: ImageConfigObject | undefined, scopes: readonly string[] | undefined): ScopeRule[] =>
  image ? (scopes ?? []).map((scope) => ({ scope, origin: image.origin })) : [];

function renderRegistries(base: LoadedRegistries, edits: RegistryEdits, image: ImageConfigObject | undefined, sink: DiagnosticSink): LoadedRegistries {
  const registries = base.registries.map((r) => ({ ...r, mirrors: r.mirrors.map((m) => ({ ...m })), notes: [...r.notes] }));
  try {
    editRegistries(registries, edits);
    return postProcess(registries, image?.searchRegistries ?? base.searchRegistries);
  } catch (err) {
    if (!(err instanceof EditRegistriesError || err instanceof RegistriesConfError)) throw err;
    sink.withOrigin(image?.origin ?? RENDERED).error('', err.message);
    return { registries: [] };
  }
}
