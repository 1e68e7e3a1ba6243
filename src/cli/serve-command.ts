import { loadSettings } from '../config/settings.js';
import { UsageError, parseArgs } from './args.js';
import type { CliIO } from './io.js';
import { startProxy, type Proxy } from './start-proxy.js';
import { EXIT } from './exit-codes.js';

export const SERVE_USAGE = 'mirrorgate serve --config FILE';

/** Runs until SIGINT or SIGTERM; SIGHUP reloads the rules (so do changes to the rule files). */
export async function serveCommand(argv: readonly string[], _io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: ['config'], booleans: [] });
  const file = args.values.get('config')?.at(-1);
  if (file === undefined || args.positional.length > 0) throw new UsageError(`--config is required\nusage: ${SERVE_USAGE}`);
  const settings = await loadSettings(file);
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
      stopping = (proxy?.close() ?? Promise.resolve()).then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  proxy = await startProxy(settings);
  if (stopping) await proxy.close();
  await stopped;
  return EXIT.ok;
}
