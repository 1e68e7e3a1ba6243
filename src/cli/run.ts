import { InvalidRulesError } from '../core/index.js';
import { UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';
import { RENDER_USAGE, renderCommand } from './render-command.js';
import { RESOLVE_USAGE, resolveCommand } from './resolve-command.js';
import { SERVE_USAGE, serveCommand } from './serve-command.js';
import { GENERATE_USAGE, generateCommand } from './generate-command.js';
import { BENCH_USAGE, benchCommand } from './bench-command.js';
import { InvalidBenchFileError } from '../bench/scenarios.js';
import { InvalidSettingsError } from '../config/settings.js';
import { InvalidCredentialsFileError } from '../upstream/auth/credentials.js';

const USAGE = `usage:
  ${SERVE_USAGE}
  ${RESOLVE_USAGE}
  ${RENDER_USAGE}
  ${GENERATE_USAGE}
  ${BENCH_USAGE}

exit codes: 0 plan, 1 usage, 2 invalid rules or settings, 3 denied, 4 invalid image reference`;

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIO) => Promise<number>>> = {
  serve: serveCommand,
  resolve: resolveCommand,
  render: renderCommand,
  generate: generateCommand,
  bench: benchCommand,
};

/** Runs one CLI invocation and returns its exit code; expected failures never throw. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help') {
    io.out(`${USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    return await command(rest, io);
  } catch (err) {
    if (err instanceof InvalidSettingsError || err instanceof InvalidCredentialsFileError || err instanceof InvalidBenchFileError) {
      io.err(`mirrorgate: ${err.message}\n`);
      return EXIT.invalidRules;
    }
    if (err instanceof InvalidRulesError) {
      io.err(`mirrorgate: ${err.message}\n`);
      return EXIT.invalidRules;
    }
    if (err instanceof UsageError) {
      io.err(`mirrorgate: ${err.message}\n${err.message.includes('usage:') ? '' : `${USAGE}\n`}`);
      return EXIT.usage;
    }
    throw err;
  }
}
