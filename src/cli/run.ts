import { InvalidRulesError } from '../core/index.js';
import { UsageError, commandHelp, parseCommandArgs, usageLines, type CommandSpec, type ParsedArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';
import { RENDER, renderCommand } from './render-command.js';
import { RESOLVE, resolveCommand } from './resolve-command.js';
import { SERVE, serveCommand } from './serve-command.js';
import { GENERATE, generateCommand } from './generate-command.js';
import { BENCH, benchCommand } from './bench-command.js';
import { HEALTHCHECK, healthcheckCommand } from './healthcheck-command.js';
import { packageVersion } from './version.js';
import { InvalidBenchFileError } from '../bench/scenarios.js';
import { InvalidSettingsError } from '../config/settings.js';
import { InvalidCredentialsFileError } from '../upstream/auth/credentials.js';
import { UnsafeCacheDirError } from '../store/disk-trust.js';

interface Command {
  readonly spec: CommandSpec;
  readonly run: (args: ParsedArgs, io: CliIO) => Promise<number>;
}

const COMMANDS: readonly Command[] = [
  { spec: SERVE, run: serveCommand },
  { spec: RESOLVE, run: resolveCommand },
  { spec: RENDER, run: renderCommand },
  { spec: GENERATE, run: generateCommand },
  { spec: HEALTHCHECK, run: healthcheckCommand },
  { spec: BENCH, run: benchCommand },
];

const USAGE = `usage: mirrorgate COMMAND [OPTIONS]   (mirrorgate COMMAND --help for its options)

mirrorgate is a pull-through container registry proxy that applies OpenShift mirror rules.

commands:
${COMMANDS.map((c) => `  ${c.spec.name.padEnd(12)}${c.spec.summary}`).join('\n')}

  mirrorgate --help | --version

exit codes: 0 ok, 1 usage error, 2 invalid rules or settings, 3 denied, 4 invalid image reference
`;

/** Errors that mean "your input is wrong": their message says where, so no stack is printed. */
const INVALID_INPUT = [InvalidSettingsError, InvalidCredentialsFileError, InvalidBenchFileError, InvalidRulesError, UnsafeCacheDirError];

/** Runs one CLI invocation and returns its exit code; expected failures never throw. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') return help(rest[0], io);
  if (name === '--version') {
    io.out(`mirrorgate ${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (name === undefined) {
    io.err(USAGE);
    return EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    io.err(`mirrorgate: ${name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`}\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    const args = parseCommandArgs(rest, command.spec);
    if (args.help) return help(name, io);
    return await command.run(args, io);
  } catch (err) {
    if (INVALID_INPUT.some((type) => err instanceof type)) {
      io.err(`mirrorgate: ${(err as Error).message}\n`);
      return EXIT.invalidRules;
    }
    if (err instanceof UsageError) {
      io.err(`mirrorgate ${name}: ${err.message}\nusage:\n${usageLines(command.spec)}\nrun 'mirrorgate ${name} --help' for every option\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

function help(name: string | undefined, io: CliIO): number {
  if (name === undefined) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    io.err(`mirrorgate: unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return EXIT.usage;
  }
  io.out(commandHelp(command.spec));
  return EXIT.ok;
}
