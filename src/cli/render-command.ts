import { renderRegistriesConf } from '../core/index.js';
import { loadRules } from '../config/load-rules.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const RENDER: CommandSpec = {
  name: 'render',
  summary: 'Print the registries.conf the machine-config operator would write for the rules.',
  usage: ['render registries-conf --rules PATH [--rules PATH…]'],
  options: {
    rules: { type: 'string', multiple: true, value: 'PATH', help: 'a rule file or directory' },
  },
};

export async function renderCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  if (args.positionals.join(' ') !== 'registries-conf') throw new UsageError('unknown render target (expected registries-conf)');
  const rulePaths = args.strings('rules');
  if (rulePaths.length === 0) throw new UsageError('--rules is required');
  const rules = await loadRules(rulePaths);
  for (const w of rules.warnings) io.err(`warning: ${w}\n`);
  io.out(renderRegistriesConf(rules));
  return EXIT.ok;
}
