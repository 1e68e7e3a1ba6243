// Command lines parsed by node:util parseArgs in strict mode, from one
// declaration per command that also writes its `--help`.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** The placeholder shown in help, e.g. FILE. */
  readonly value?: string;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Synopsis lines, without the leading `mirrorgate`. */
  readonly usage: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra paragraphs for `--help`. */
  readonly notes?: string;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** The last value of a string option (a repeated single option: the last one wins). */
  string(name: string): string | undefined;
  strings(name: string): readonly string[];
  flag(name: string): boolean;
  readonly help: boolean;
}

const HELP: OptionSpec = { type: 'boolean', help: 'show this help' };

/** Parses a command's arguments; an unknown option or a missing value is a UsageError naming it. */
export function parseCommandArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => [name, { type: o.type, multiple: true, ...(name === 'help' ? { short: 'h' } : {}) }]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(describeParseError(err as Error & { code?: string }));
  }
  const values = parsed.values as Record<string, string[] | boolean[] | undefined>;
  const strings = (name: string) => (values[name] as string[] | undefined) ?? [];
  return {
    positionals: parsed.positionals,
    string: (name) => strings(name).at(-1),
    strings,
    flag: (name) => ((values[name] as boolean[] | undefined) ?? []).length > 0,
    help: ((values.help as boolean[] | undefined) ?? []).length > 0,
  };
}

// parseArgs's own messages explain '--' escaping at length; say what was wrong in our words.
function describeParseError(err: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return err.message.includes('argument missing') ? `${option} needs a value` : `${option} takes no value`;
    default:
      return err.message;
  }
}

/** `mirrorgate COMMAND --help`. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => {
    const left = `${name === 'help' ? '-h, ' : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [left, `${o.help}${o.multiple ? ' (repeatable)' : ''}`] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `usage:\n${usageLines(spec)}`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    ...(spec.notes ? ['', spec.notes] : []),
    '',
  ].join('\n');
}

export const usageLines = (spec: CommandSpec): string => spec.usage.map((u) => `  mirrorgate ${u}`).join('\n');
