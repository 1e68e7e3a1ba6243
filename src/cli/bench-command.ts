import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseBenchFile, quick } from '../bench/scenarios.js';
import { runBench } from '../bench/run.js';
import { markdown, writeReports } from '../bench/report.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const BENCH: CommandSpec = {
  name: 'bench',
  summary: 'Run the failover benchmark on loopback: simulated mirrors, mirrorgate in its own process, baselines (bench/README.md).',
  usage: ['bench --scenarios FILE [--out DIR] [--quick]'],
  options: {
    scenarios: { type: 'string', value: 'FILE', help: 'the scenarios file (bench/scenarios.toml)' },
    out: { type: 'string', value: 'DIR', help: 'where the reports go (default bench/results)' },
    quick: { type: 'boolean', help: 'a short run of every scenario' },
  },
};

export async function benchCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const file = args.string('scenarios');
  if (!file || args.positionals.length > 0) throw new UsageError('--scenarios FILE is required');
  const parsed = parseBenchFile(await readFile(file, 'utf8'), file);
  const plan = args.flag('quick') ? quick(parsed) : parsed;
  const cliPath = fileURLToPath(new URL('./main.js', import.meta.url));
  const results = await runBench(plan, cliPath, (line) => io.out(`${line}\n`));
  const files = await writeReports(results, args.string('out') ?? 'bench/results');
  io.out(`\n${markdown(results)}\nwrote ${files.join(', ')}\n`);
  return EXIT.ok;
}
