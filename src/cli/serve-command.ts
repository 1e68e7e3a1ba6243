import { constants } from 'node:os';
import { loadSettings } from '../config/settings.js';
import type { CommandSpec, ParsedArgs } from './args.js';
import { CONFIG_OPTION, configFile } from './config-option.js';
import type { CliIO } from './io.js';
import { startProxy, type Proxy } from './start-proxy.js';
import { EXIT } from './exit-codes.js';

export const SERVE: CommandSpec = {
  name: 'serve',
  summary: 'Run the proxy. SIGHUP (and any change to the rule files) reloads the rules; SIGINT and SIGTERM stop it.',
  usage: ['serve [--config FILE]'],
  options: {
    config: CONFIG_OPTION,
  },
  notes: 'exit codes: 0 stopped by a signal, 2 invalid settings or rules, 128+signal (130 SIGINT, 143 SIGTERM) when a second signal cut a graceful stop short',
};

/** Runs until SIGINT or SIGTERM; SIGHUP reloads the rules (so do changes to the rule files). */
export async function serveCommand(args: ParsedArgs, _io: CliIO): Promise<number> {
  const settings = await loadSettings(configFile(args));
  // Handlers go in before the proxy starts: a SIGHUP right after "listening" must reload, not
  // terminate (its default action), and one during start-up has nothing to reload yet.
  let proxy: Proxy | undefined;
  const reload = () => void proxy?.holder.reload();
  process.on('SIGHUP', reload);
  let stopping: Promise<void> | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', reload);
      whileStopping('on');
      stopping = (proxy?.close() ?? Promise.resolve()).then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  proxy = await startProxy(settings);
  if (stopping) await proxy.close();
  await stopped;
  whileStopping('off');
  return EXIT.ok;
}

/**
 * While in-flight requests finish, a signal's default action would end the
 * process without its 'exit' handlers, and the log lines still buffered
 * (observability/line-sink.ts) with them: a second SIGINT or SIGTERM ends
 * it at once through process.exit, which runs them; SIGHUP is ignored
 * (there is nothing to reload). Pulls still in flight are cut then, so the
 * status is not success but the shell's for a death by that signal
 * (128 + its number), what a supervisor expects of a forced stop.
 */
function whileStopping(turn: 'on' | 'off'): void {
  process[turn]('SIGINT', exitNow);
  process[turn]('SIGTERM', exitNow);
  process[turn]('SIGHUP', ignore);
}

const exitNow = (signal: NodeJS.Signals): never => process.exit(128 + constants.signals[signal]);
const ignore = (): void => undefined;
