// The pure core: parse, validate, merge, resolve. No I/O, no clock.
export * from './reference/index.js';
export * from './rules/model.js';
export { InvalidRulesError, DiagnosticSink, formatDiagnostic, type RuleDiagnostic } from './rules/diagnostics.js';
export { compileRules } from './rules/compile.js';
export { evaluatePolicy, type PolicyDecision } from './rules/policy.js';
export { isImportAllowed } from './rules/import-allow.js';
export { parseRuleFile, RULE_FILE_EXTENSIONS } from './formats/documents.js';
export type { RuleObject } from './formats/objects.js';
export { resolve, resolveReference } from './resolve/resolve.js';
export type { Plan, Attempt } from './resolve/plan.js';
export { explainPlan, planToJson, type PlanJson } from './resolve/explain.js';
export { renderRegistriesConf } from './render/registries-conf.js';
export { namedRegistries, registryMatches } from './rules/named-registries.js';
export { OciError, OCI_ERRORS, type OciErrorCode } from './oci/errors.js';
export { parseRoute, type Route, type RouteOptions } from './oci/route.js';
export { parseRange, type RangeSpec } from './oci/range.js';
export { acceptedTypes, DEFAULT_ACCEPT, MEDIA_TYPES } from './oci/accept.js';
