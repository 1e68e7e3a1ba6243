// Errors as the Kubernetes API server writes them: a metav1.Status with a
// reason, a code, and details naming the object and each bad field. Shapes and
// messages follow k8s.io/apimachinery/pkg/api/errors/errors.go (NewNotFound,
// NewAlreadyExists, NewConflict, NewInvalid, NewBadRequest, NewUnauthorized,
// NewForbidden, NewResourceExpired, NewApplyConflict).
import type { Resource } from './kinds.js';

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusBody['details'],
  ) {
    super(message);
  }

  get body(): StatusBody {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

/** `imagedigestmirrorsets.config.openshift.io`: how the server names a resource in messages. */
const qualified = (r: Resource) => `${r.plural}.${r.group}`;
const ref = (r: Resource, name: string) => ({ name, group: r.group, kind: r.plural });

export const notFound = (r: Resource, name: string) => new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, ref(r, name));
export const alreadyExists = (r: Resource, name: string) => new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, ref(r, name));
export const conflict = (r: Resource, name: string, why: string) => new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, ref(r, name));
export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');
export const forbidden = (r: Resource | undefined, name: string, why: string) =>
  new ApiError(403, 'Forbidden', r ? `${qualified(r)} "${name}" is forbidden: ${why}` : `forbidden: ${why}`, r ? ref(r, name) : undefined);
export const expired = (message: string) => new ApiError(410, 'Expired', message);
export const methodNotAllowed = (method: string) => new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
export const unsupportedMedia = (type: string) => new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${type})`);
export const notFoundPath = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');

/** 422 with one cause per bad field; the message lists them as NewInvalid does. */
export function invalid(r: Resource, name: string, causes: readonly StatusCause[]): ApiError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const message = `${r.kind}.${r.group} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', message, { name, group: r.group, kind: r.kind, causes: [...causes] });
}

/** Strict field validation: 400 BadRequest naming every unknown or duplicate field (fieldmanager strict decoding). */
export function strictDecoding(problems: readonly string[]): ApiError {
  return new ApiError(400, 'BadRequest', `strict decoding error: ${problems.join(', ')}`);
}

/** Server-side apply conflicts: 409 Conflict, one cause per contested field (NewApplyConflict). */
export function applyConflict(conflicts: readonly { field: string; manager: string }[]): ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.field }));
  const message = `Apply failed with ${causes.length} conflict${causes.length === 1 ? '' : 's'}: ${causes.map((c) => `${c.message}: ${c.field}`).join('\n')}`;
  return new ApiError(409, 'Conflict', message, { causes });
}
