// `mirrorgate healthcheck`: the container HEALTHCHECK. It reads the same
// settings as `serve` (file and MIRRORGATE_* variables) so it probes the
// listener that really answers /healthz: the admin listener when one is set,
// else the first pull listener, over HTTPS when the probed one serves TLS.
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { loadSettings, type Settings } from '../config/settings.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { CONFIG_OPTION, configFile } from './config-option.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const HEALTHCHECK: CommandSpec = {
  name: 'healthcheck',
  summary: 'Probe /healthz of the mirrorgate running with these settings on this host; exit 0 when it answers 200, else 1.',
  usage: ['healthcheck [--config FILE] [--timeout-ms N]'],
  options: {
    config: CONFIG_OPTION,
    'timeout-ms': { type: 'string', value: 'N', help: 'give up after N milliseconds (default 3000)' },
  },
};

/** A wildcard listen address is reached on the loopback of the same family. */
const LOOPBACK: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1' };

export function healthUrl(settings: Settings): URL {
  const admin = settings.adminListen[0];
  const { host, port } = admin ?? (settings.listen[0] as { host: string; port: number });
  const scheme = (admin === undefined ? settings.tls : settings.adminTls) ? 'https' : 'http';
  const reach = LOOPBACK[host] ?? host;
  return new URL(`${scheme}://${reach.includes(':') ? `[${reach}]` : reach}:${port}/healthz`);
}

export async function healthcheckCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const file = configFile(args);
  const timeoutMs = Number(args.string('timeout-ms') ?? '3000');
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout-ms must be a positive integer, got ${JSON.stringify(args.string('timeout-ms'))}`);
  const url = healthUrl(await loadSettings(file));
  const problem = await probe(url, timeoutMs);
  if (problem === undefined) return EXIT.ok;
  io.err(`mirrorgate: ${url}: ${problem}\n`);
  return EXIT.unhealthy;
}

/** GET the URL once; undefined when it answered 200, else what went wrong. Bounded by timeoutMs in total. */
function probe(url: URL, timeoutMs: number): Promise<string | undefined> {
  return new Promise((done) => {
    // Our own listener on this host: its certificate names the address clients use, not loopback,
    // and the probe sends nothing secret, so the certificate is not checked.
    const options = { signal: AbortSignal.timeout(timeoutMs), rejectUnauthorized: false, agent: false };
    const req = (url.protocol === 'https:' ? httpsGet : httpGet)(url, options, (res) => {
      res.resume();
      res.once('end', () => done(res.statusCode === 200 ? undefined : `answered ${res.statusCode}`));
      // A promise settles once: after 'end' this is a no-op; without it, an aborted body would leave no answer.
      res.once('close', () => done(res.complete ? undefined : 'the answer broke off'));
    });
    req.once('error', (err) => done(err.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : err.message));
  });
}
