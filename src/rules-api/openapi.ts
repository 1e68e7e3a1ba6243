// OpenAPI v3 for the served groups, from the same schemas the validator
// uses. kubectl needs two things from it: `kubectl explain` finds a schema by
// its x-kubernetes-group-version-kind, and `kubectl apply` validates on the
// server (fieldValidation=Strict) once the PATCH operation of the kind lists
// the fieldValidation query parameter (cli-runtime
// resource/query_param_verifier_v3.go supportsQueryParamV3); otherwise it
// would fall back to client-side validation from /openapi/v2 in protobuf.
import { type Resource, type Schema, RESOURCES, groups, resourcesOf } from './kinds.js';

const schemaName = (r: Resource) => `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
const gvk = (r: Resource) => ({ group: r.group, version: r.version, kind: r.kind });

function toOpenApi(s: Schema): object {
  return {
    ...(s.type ? { type: s.type } : {}),
    ...(s.description ? { description: s.description } : {}),
    ...(s.properties ? { properties: Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toOpenApi(v)])) } : {}),
    ...(s.items ? { items: toOpenApi(s.items) } : {}),
    ...(s.required ? { required: s.required } : {}),
    ...(s.enum ? { enum: s.enum } : {}),
    ...(s.preserveUnknown ? { 'x-kubernetes-preserve-unknown-fields': true } : {}),
  };
}

const query = (name: string, description: string, type = 'string') => ({ name, in: 'query', description, schema: { type } });
const WRITE_PARAMS = [
  query('dryRun', 'When present (All), the request is validated but not persisted.'),
  query('fieldManager', 'A name for the actor making the change.'),
  query('fieldValidation', 'Ignore, Warn or Strict: how unknown and duplicate fields are answered.'),
  query('pretty', 'If true, the output is indented.'),
];
const LIST_PARAMS = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'watch', 'allowWatchBookmarks', 'timeoutSeconds', 'pretty'].map((n) => query(n, `Kubernetes list option ${n}.`));

function operations(r: Resource, action: string, verbs: Record<string, object[]>) {
  const ok = { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${schemaName(r)}` } } } } };
  return Object.fromEntries(
    Object.entries(verbs).map(([verb, parameters]) => [verb, { operationId: `${verb}${r.kind}${action}`, 'x-kubernetes-action': verb === 'put' ? 'put' : verb, 'x-kubernetes-group-version-kind': gvk(r), parameters, responses: ok }]),
  );
}

function paths(r: Resource) {
  const base = `/apis/${r.group}/${r.version}/${r.plural}`;
  const item = operations(r, '', { get: [query('pretty', 'indent')], put: WRITE_PARAMS, patch: [...WRITE_PARAMS, query('force', 'Force apply.', 'boolean')], delete: [query('dryRun', 'dry run'), query('gracePeriodSeconds', 'accepted', 'integer'), query('propagationPolicy', 'accepted')] });
  return {
    [base]: operations(r, 'List', { get: LIST_PARAMS, post: WRITE_PARAMS, delete: LIST_PARAMS }),
    [`${base}/{name}`]: { ...item, parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }] },
    ...(r.hasStatus ? { [`${base}/{name}/status`]: operations(r, 'Status', { get: [], put: WRITE_PARAMS, patch: WRITE_PARAMS }) } : {}),
  };
}

function schemas(r: Resource) {
  return {
    [schemaName(r)]: { ...toOpenApi(r.schema), 'x-kubernetes-group-version-kind': [gvk(r)] },
    [`${schemaName(r)}List`]: {
      type: 'object',
      description: `${r.kind}List is a list of ${r.kind}`,
      required: ['items'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, items: { type: 'array', items: { $ref: `#/components/schemas/${schemaName(r)}` } } },
      'x-kubernetes-group-version-kind': [{ ...gvk(r), kind: `${r.kind}List` }],
    },
  };
}

/** The OpenAPI v3 document at `path` (`/openapi/v3` or `/openapi/v3/apis/<group>/<version>`), or undefined. */
export function openApiV3(path: string): object | undefined {
  const gvs = [...new Set(RESOURCES.map((r) => `${r.group}/${r.version}`))];
  if (path === '/openapi/v3') return { paths: Object.fromEntries(gvs.map((gv) => [`apis/${gv}`, { serverRelativeURL: `/openapi/v3/apis/${gv}` }])) };
  const m = /^\/openapi\/v3\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m || !groups().includes(m[1] as string)) return undefined;
  const resources = resourcesOf(m[1] as string, m[2] as string);
  if (resources.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'mirrorgate rules API', version: m[2] },
    paths: Object.assign({}, ...resources.map(paths)),
    components: { schemas: Object.assign({}, ...resources.map(schemas)) },
  };
}
