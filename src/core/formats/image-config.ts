// The cluster `Image` config (config.openshift.io/v1), spec §8 and §14.
import type { DiagnosticSink } from '../rules/diagnostics.js';
import type { Origin } from '../rules/model.js';
import { SCOPE_MAX_LENGTH, isValidRegistriesConfScope, isValidSourceScope } from '../rules/scope.js';
import { type Json, quote, readBoolean, readList, readObject, readString, readStringList, rejectUnknownKeys } from './fields.js';
import type { ImageConfigObject } from './objects.js';

const SCOPE_LISTS = {
  allowedRegistries: 'allowed',
  blockedRegistries: 'blocked',
  insecureRegistries: 'insecure',
} as const;
type ScopeList = keyof typeof SCOPE_LISTS;

// RFC 1123 hostname, the `Format=hostname` of containerRuntimeSearchRegistries.
const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function decodeImageConfig(name: string | undefined, spec: Json, origin: Origin, sink: DiagnosticSink): ImageConfigObject {
  if (name !== 'cluster') {
    sink.error('metadata.name', `the cluster reads only the Image object named "cluster", got ${quote(name)}`);
  }
  const specObj = readObject(sink, spec, 'spec') ?? {};
  const sources = readObject(sink, specObj.registrySources, 'spec.registrySources') ?? {};
  rejectUnknownKeys(sink, sources, 'spec.registrySources', [...Object.keys(SCOPE_LISTS), 'containerRuntimeSearchRegistries']);
  const scopes = (field: ScopeList) => readScopes(sink, sources[field], field);
  const allowedRegistries = scopes('allowedRegistries');
  const blockedRegistries = scopes('blockedRegistries');
  if (allowedRegistries !== undefined && blockedRegistries !== undefined) {
    sink.error('spec.registrySources', 'Only one of blockedRegistries or allowedRegistries may be set');
  }
  const searchRegistries = readSearchRegistries(sink, sources.containerRuntimeSearchRegistries);
  const importAllow = readImportAllow(sink, specObj.allowedRegistriesForImport);
  const caRef = readObject(sink, specObj.additionalTrustedCA, 'spec.additionalTrustedCA');
  const additionalTrustedCA = caRef && readString(sink, caRef.name, 'spec.additionalTrustedCA.name');
  return {
    kind: 'Image',
    origin,
    insecureRegistries: scopes('insecureRegistries') ?? [],
    ...(allowedRegistries === undefined ? {} : { allowedRegistries }),
    ...(blockedRegistries === undefined ? {} : { blockedRegistries }),
    ...(searchRegistries === undefined ? {} : { searchRegistries }),
    ...(importAllow === undefined ? {} : { importAllow }),
    ...(additionalTrustedCA ? { additionalTrustedCA } : {}),
  };
}

function readScopes(sink: DiagnosticSink, value: Json, field: ScopeList): string[] | undefined {
  const path = `spec.registrySources.${field}`;
  const list = readStringList(sink, value, path, { maxItems: 1024 });
  list?.forEach((scope, i) => {
    const at = `${path}[${i}]`;
    if (scope.length < 1 || scope.length > SCOPE_MAX_LENGTH) sink.error(at, `must be 1 to ${SCOPE_MAX_LENGTH} characters long`);
    else if (!isValidRegistriesConfScope(scope)) sink.error(at, `invalid entry for ${SCOPE_LISTS[field]} registries ${quote(scope)}`);
    else if (!isValidSourceScope(scope)) sink.error(at, `invalid entry for ${SCOPE_LISTS[field]} registries ${quote(scope)}: expected host[:port][/namespace…] or *.host`);
  });
  return list;
}

function readSearchRegistries(sink: DiagnosticSink, value: Json): string[] | undefined {
  const path = 'spec.registrySources.containerRuntimeSearchRegistries';
  const list = readStringList(sink, value, path, { unique: true, minItems: 1 });
  list?.forEach((host, i) => {
    if (!HOSTNAME_RE.test(host)) sink.error(`${path}[${i}]`, `${quote(host)} is not a hostname`);
  });
  return list;
}

function readImportAllow(sink: DiagnosticSink, value: Json): { domainName: string; insecure: boolean }[] | undefined {
  const path = 'spec.allowedRegistriesForImport';
  const list = readList(sink, value, path);
  if (list === undefined) return undefined;
  const out: { domainName: string; insecure: boolean }[] = [];
  list.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const obj = readObject(sink, item, at);
    if (!obj) return;
    rejectUnknownKeys(sink, obj, at, ['domainName', 'insecure']);
    const domainName = readString(sink, obj.domainName, `${at}.domainName`);
    const insecure = readBoolean(sink, obj.insecure, `${at}.insecure`) ?? false;
    if (!domainName) return sink.error(`${at}.domainName`, 'required field is missing');
    if (domainName.split(':').length > 2) return sink.error(`${at}.domainName`, `${quote(domainName)}: too many colons`);
    out.push({ domainName, insecure });
  });
  return out;
}
