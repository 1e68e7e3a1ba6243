import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseBenchFile, quick } from '../bench/scenarios.js';
import { runBench } from '../bench/run.js';
import { markdown, writeReports } from '../bench/report.js';
import { UsageError, parseArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const BENCH_USAGE = 'mirrorgate bench --scenarios FILE [--out DIR] [--quick]';

/** Runs the failover benchmark on loopback: simulated mirrors, mirrorgate in its own process, baselines. */
export async function benchCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: ['scenarios', 'out'], booleans: ['quick'] });
  const file = args.values.get('scenarios')?.at(-1);
  if (!file || args.positional.length > 0) throw new UsageError(`usage: ${BENCH_USAGE}`);
  const parsed = parseBenchFile(await readFile(file, 'utf8'), file);
  const plan = args.booleans.has('quick') ? quick(parsed) : parsed;
  const cliPath = fileURLToPath(new URL('./main.js', import.meta.url));
  const results = await runBench(plan, cliPath, (line) => io.out(`${line}\n`));
  const files = await writeReports(results, args.values.get('out')?.at(-1) ?? 'bench/results');
  io.out(`\n${markdown(results)}\nwrote ${files.join(', ')}\n`);
  return EXIT.ok;
}
