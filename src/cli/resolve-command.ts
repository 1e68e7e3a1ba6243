import { InvalidReferenceError, explainPlan, planToJson, resolve } from '../core/index.js';
import { loadRules } from '../config/load-rules.js';
import { withoutSelf } from '../core/rules/self-mirrors.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const RESOLVE: CommandSpec = {
  name: 'resolve',
  summary: 'Print the plan of one pull: every repository in the order a node would try it, and why.',
  usage: ['resolve IMAGE --rules PATH [--rules PATH…] [--advertise HOST:PORT…] [--json]'],
  options: {
    rules: { type: 'string', multiple: true, value: 'PATH', help: 'a rule file or directory (YAML/JSON objects, registries.conf TOML)' },
    advertise: { type: 'string', multiple: true, value: 'HOST:PORT', help: "mirrorgate's own address, as server.advertise: mirrors there are left out" },
    json: { type: 'boolean', help: 'print the plan as one JSON object' },
  },
  notes: 'exit codes: 0 a plan, 2 invalid rules, 3 denied, 4 invalid image reference',
};

export async function resolveCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [image, ...extra] = args.positionals;
  if (image === undefined || extra.length > 0) throw new UsageError('expected one IMAGE');
  const rulePaths = args.strings('rules');
  if (rulePaths.length === 0) throw new UsageError('--rules is required');
  const rules = withoutSelf(await loadRules(rulePaths), args.strings('advertise'));
  for (const w of rules.warnings) io.err(`warning: ${w}\n`);
  let plan;
  try {
    plan = resolve(image, rules);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    io.err(`mirrorgate: ${err.message}\n`);
    return EXIT.invalidReference;
  }
  io.out(args.flag('json') ? `${JSON.stringify(planToJson(plan))}\n` : `${explainPlan(plan)}\n`);
  return plan.denied === undefined ? EXIT.ok : EXIT.denied;
}
