import { renderRegistriesConf } from '../core/index.js';
import { loadRules } from '../config/load-rules.js';
import { UsageError, parseArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const RENDER_USAGE = 'mirrorgate render registries-conf --rules PATH [--rules PATH…]';

export async function renderCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: ['rules'], booleans: [] });
  if (args.positional.join(' ') !== 'registries-conf') throw new UsageError(`unknown render target\nusage: ${RENDER_USAGE}`);
  const rulePaths = args.values.get('rules') ?? [];
  if (rulePaths.length === 0) throw new UsageError(`--rules is required\nusage: ${RENDER_USAGE}`);
  const rules = await loadRules(rulePaths);
  for (const w of rules.warnings) io.err(`warning: ${w}\n`);
  io.out(renderRegistriesConf(rules));
  return EXIT.ok;
}
