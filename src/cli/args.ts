// A small argv parser: positional arguments plus `--flag value`, repeatable
// flags and booleans. Unknown flags are usage errors.
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly values: Map<string, string[]>;
  readonly booleans: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: { values: readonly string[]; booleans: readonly string[] }): ParsedArgs {
  const positional: string[] = [];
  const values = new Map<string, string[]>();
  const booleans = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (spec.booleans.includes(flag)) booleans.add(flag);
    else if (spec.values.includes(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${flag} needs a value`);
      values.set(flag, [...(values.get(flag) ?? []), value]);
    } else throw new UsageError(`unknown option --${flag}`);
  }
  return { positional, values, booleans };
}
