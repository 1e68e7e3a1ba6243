// The pure core's public face for the CLI and the edges: parse, validate, merge, resolve.
// No I/O, no clock. Other modules import what they need from its files directly.
export * from './reference/index.js';
export * from './rules/model.js';
export { InvalidRulesError, DiagnosticSink, formatDiagnostic, type RuleDiagnostic } from './rules/diagnostics.js';
export { compileRules } from './rules/compile.js';
export { isImportAllowed } from './rules/import-allow.js';
export { parseRuleFile, RULE_FILE_EXTENSIONS } from './formats/documents.js';
export type { RuleObject } from './formats/objects.js';
export { resolve, resolveReference } from './resolve/resolve.js';
export type { Plan } from './resolve/plan.js';
export { explainPlan, planToJson } from './resolve/explain.js';
export { renderRegistriesConf } from './render/registries-conf.js';
