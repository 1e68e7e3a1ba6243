import type { Origin } from './model.js';

/** One problem in the rule inputs, pinned to a file, an object and a field path. */
export interface RuleDiagnostic {
  readonly origin: Origin;
  readonly path: string;
  readonly message: string;
}

export const formatDiagnostic = (d: RuleDiagnostic): string =>
  [d.origin.file, d.origin.object, d.path].filter((part) => part !== undefined && part !== '').join(': ') + `: ${d.message}`;

/** Every error of a rule set, reported together; the previous rules stay in force. */
export class InvalidRulesError extends Error {
  override readonly name = 'InvalidRulesError';
  constructor(readonly diagnostics: readonly RuleDiagnostic[]) {
    super(`invalid rules (${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}):\n` + diagnostics.map(formatDiagnostic).join('\n'));
  }
}

/** Collects diagnostics so that all of them are reported, not just the first; children share the lists. */
export class DiagnosticSink {
  constructor(
    readonly origin: Origin,
    readonly errors: RuleDiagnostic[] = [],
    readonly warnings: RuleDiagnostic[] = [],
  ) {}

  error(path: string, message: string): void {
    this.errors.push({ origin: this.origin, path, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ origin: this.origin, path, message });
  }

  withOrigin(origin: Origin): DiagnosticSink {
    return new DiagnosticSink(origin, this.errors, this.warnings);
  }
}
