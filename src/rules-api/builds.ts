// The next object for each kind of write, built from the request and the
// stored object the way the API server's registry does it: create sets the
// server-owned metadata, update keeps it and checks resourceVersion, the
// status subresource changes status only, patches apply to the stored
// object and then update it.
import { randomUUID } from 'node:crypto';
import type { Resource } from './kinds.js';
import { type Checked, type FieldValidation, checkFields } from './fields.js';
import { recordUpdate, serverSideApply } from './managed-fields.js';
import { type Json, type KubeObject, annotationProblems, asObject, carryMetadata, nameProblems, withStatusOf, withoutStatusChange } from './object.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { alreadyExists, badRequest, conflict, invalid, notFound, unsupportedMedia } from './status.js';
import type { Build } from './writes.js';

export interface WriteContext {
  readonly r: Resource;
  readonly name: string;
  readonly manager: string;
  readonly validation: FieldValidation;
  readonly duplicates: readonly string[];
  readonly now: string;
  readonly subresource?: 'status';
  /** Warnings for the answer's Warning headers, filled while building. */
  readonly warnings: string[];
}

/** Field validation of a would-be object; type errors are 422 with every cause. */
function checked(c: WriteContext, object: KubeObject, partial = false): KubeObject {
  const result: Checked = checkFields(c.r, object, c.duplicates, c.validation, partial);
  c.warnings.push(...result.warnings);
  const problems = [...result.invalid, ...annotationProblems(result.object.metadata?.annotations)];
  if (problems.length > 0) throw invalid(c.r, c.name, problems);
  return result.object;
}

const STALE = 'the object has been modified; please apply your changes to the latest version and try again';

function fresh(c: WriteContext, object: KubeObject): KubeObject {
  const problems = nameProblems(object.metadata.name);
  if (problems.length > 0) throw invalid(c.r, String(object.metadata.name ?? ''), problems);
  if (!c.r.schema.properties?.spec || object.spec === undefined) throw invalid(c.r, c.name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }]);
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = object.metadata;
  // Status is not set on create when the kind has a status subresource (registry PrepareForCreate).
  const { status: _status, ...rest } = object;
  const created: KubeObject = { ...(c.r.hasStatus ? rest : object), metadata: { ...metadata, uid: randomUUID(), creationTimestamp: c.now, generation: 1 } };
  return recordUpdate(undefined, created, c.manager, c.now);
}

export function createBuild(c: WriteContext, body: Json): Build {
  return (current) => {
    if (current) throw alreadyExists(c.r, c.name);
    return fresh(c, checked(c, asObject(c.r, body)));
  };
}

function updated(c: WriteContext, next: KubeObject, current: KubeObject): KubeObject {
  if (next.metadata.name !== undefined && next.metadata.name !== c.name) throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${c.name})`);
  const rv = next.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion) throw conflict(c.r, c.name, STALE);
  const merged = c.subresource === 'status' ? withStatusOf(current, next) : carryMetadata(withoutStatusChange(next, current), current);
  // managedFields a client sends are taken as given (kubectl rewrites them when it migrates to server-side apply).
  const managed = next.metadata.managedFields ?? current.metadata.managedFields ?? [];
  const base = c.subresource === 'status' ? merged : { ...merged, metadata: { ...merged.metadata, managedFields: managed } };
  return recordUpdate(current, base, c.manager, c.now, c.subresource);
}

export function updateBuild(c: WriteContext, body: Json): Build {
  return (current) => {
    if (!current) throw notFound(c.r, c.name);
    return updated(c, checked(c, asObject(c.r, body)), current);
  };
}

const PATCHES: Readonly<Record<string, (target: Json, patch: Json) => Json>> = {
  'application/json-patch+json': jsonPatch,
  'application/merge-patch+json': mergePatch,
  'application/strategic-merge-patch+json': strategicMergePatch,
};

export const APPLY = 'application/apply-patch+yaml';

export function patchBuild(c: WriteContext, contentType: string, body: Json, force: boolean): Build {
  const patch = PATCHES[contentType];
  if (!patch && contentType !== APPLY) throw unsupportedMedia(contentType);
  return (current) => {
    if (patch) {
      if (!current) throw notFound(c.r, c.name);
      return updated(c, checked(c, asObject(c.r, patch(current as unknown as Json, body))), current);
    }
    const config = checked(c, asObject(c.r, body), true);
    if (config.metadata.name !== undefined && config.metadata.name !== c.name) throw badRequest(`the name of the object (${String(config.metadata.name)}) does not match the name on the URL (${c.name})`);
    const applied = serverSideApply(current, { ...config, metadata: { ...config.metadata, name: c.name } }, c.manager, force, c.now, c.subresource);
    if (!current) {
      const made = fresh(c, applied);
      return { ...made, metadata: { ...made.metadata, managedFields: applied.metadata.managedFields ?? [] } };
    }
    const next = c.subresource === 'status' ? withStatusOf(current, applied) : carryMetadata(withoutStatusChange(applied, current), current);
    return { ...next, metadata: { ...next.metadata, managedFields: applied.metadata.managedFields ?? [] } };
  };
}

export function deleteBuild(c: WriteContext, preconditions: { uid?: string; resourceVersion?: string }): Build {
  return (current) => {
    if (!current) throw notFound(c.r, c.name);
    if (preconditions.uid && preconditions.uid !== current.metadata.uid) throw conflict(c.r, c.name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
    if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) throw conflict(c.r, c.name, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`);
    return undefined;
  };
}
