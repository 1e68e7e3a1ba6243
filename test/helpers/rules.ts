import { readFileSync, existsSync } from 'node:fs';
import { DiagnosticSink, compileRules, parseRuleFile, type RuleObject, type RuleSet } from '../../src/core/index.js';

/** Decodes rule texts keyed by file name; decoding errors are returned, not thrown. */
export function decode(files: Record<string, string>): { objects: RuleObject[]; sink: DiagnosticSink } {
  const sink = new DiagnosticSink({ file: '(test)' });
  const objects = Object.entries(files).flatMap(([name, text]) => parseRuleFile(name, text, sink));
  return { objects, sink };
}

/** Decodes and compiles; throws InvalidRulesError like the loader does. */
export function rulesFrom(files: Record<string, string>): RuleSet {
  const { objects, sink } = decode(files);
  return compileRules(objects, sink);
}

/** The fixture files (`.yaml` CRs and/or `.toml` registries.conf) of one spec vector. */
export function vectorFiles(dir: string, id: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const ext of ['.yaml', '.toml']) {
    const path = `${dir}/${id}${ext}`;
    if (existsSync(path)) files[path] = readFileSync(path, 'utf8');
  }
  return files;
}
