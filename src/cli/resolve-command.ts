import { InvalidReferenceError, explainPlan, planToJson, resolve } from '../core/index.js';
import { loadRules } from '../config/load-rules.js';
import { UsageError, parseArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const RESOLVE_USAGE = 'mirrorgate resolve IMAGE --rules PATH [--rules PATH…] [--json]';

export async function resolveCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: ['rules'], booleans: ['json'] });
  const [image, ...extra] = args.positional;
  if (image === undefined || extra.length > 0) throw new UsageError(`expected one IMAGE\nusage: ${RESOLVE_USAGE}`);
  const rulePaths = args.values.get('rules') ?? [];
  if (rulePaths.length === 0) throw new UsageError(`--rules is required\nusage: ${RESOLVE_USAGE}`);
  const rules = await loadRules(rulePaths);
  for (const w of rules.warnings) io.err(`warning: ${w}\n`);
  let plan;
  try {
    plan = resolve(image, rules);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    io.err(`mirrorgate: ${err.message}\n`);
    return EXIT.invalidReference;
  }
  io.out(args.booleans.has('json') ? `${JSON.stringify(planToJson(plan))}\n` : `${explainPlan(plan)}\n`);
  return plan.denied === undefined ? EXIT.ok : EXIT.denied;
}
