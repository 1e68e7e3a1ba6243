// The settings file of `serve` and `healthcheck`: --config, else $MIRRORGATE_CONFIG, so a
// container's HEALTHCHECK reads the very file its `serve` runs with when the image sets it once.
import { UsageError, type OptionSpec, type ParsedArgs } from './args.js';

export const CONFIG_OPTION: OptionSpec = {
  type: 'string',
  value: 'FILE',
  help: 'the settings file (default: $MIRRORGATE_CONFIG); MIRRORGATE_<SECTION>_<KEY> variables override it',
};

export function configFile(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): string {
  const file = args.string('config') ?? (env.MIRRORGATE_CONFIG || undefined);
  if (file === undefined || args.positionals.length > 0) throw new UsageError('--config FILE (or MIRRORGATE_CONFIG) is required');
  return file;
}
