import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderClientRegistriesConf, renderHostsToml } from '../core/render/client-config.js';
import { loadRules } from '../config/load-rules.js';
import { loadSettings } from '../config/settings.js';
import { UsageError, parseArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const GENERATE_USAGE = `mirrorgate generate hosts-toml --proxy URL --out DIR (--config FILE | --rules PATH…)
  mirrorgate generate registries-conf --proxy URL (--config FILE | --rules PATH…)`;

export async function generateCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: ['proxy', 'out', 'rules', 'config'], booleans: [] });
  const [target, ...extra] = args.positional;
  const proxyArg = args.values.get('proxy')?.at(-1);
  if (!target || extra.length > 0 || !['hosts-toml', 'registries-conf'].includes(target) || !proxyArg) throw new UsageError(`usage: ${GENERATE_USAGE}`);
  let proxy: URL;
  try {
    proxy = new URL(proxyArg);
  } catch {
    throw new UsageError(`--proxy must be a URL such as http://mirrorgate.example:5000, got ${JSON.stringify(proxyArg)}`);
  }
  const configFile = args.values.get('config')?.at(-1);
  const settings = configFile ? await loadSettings(configFile) : undefined;
  const rulePaths = settings?.rulePaths ?? args.values.get('rules') ?? [];
  if (rulePaths.length === 0) throw new UsageError(`--config or --rules is required\nusage: ${GENERATE_USAGE}`);
  const rules = await loadRules(rulePaths);
  if (target === 'registries-conf') {
    io.out(renderClientRegistriesConf(rules, proxy, settings?.aliases ?? new Map()));
    return EXIT.ok;
  }
  const out = args.values.get('out')?.at(-1);
  if (!out) throw new UsageError(`--out DIR is required for hosts-toml\nusage: ${GENERATE_USAGE}`);
  for (const [host, text] of renderHostsToml(rules, proxy)) {
    await mkdir(join(out, host), { recursive: true });
    await writeFile(join(out, host, 'hosts.toml'), text);
    io.out(`${join(out, host, 'hosts.toml')}\n`);
  }
  return EXIT.ok;
}
