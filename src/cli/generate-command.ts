import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderClientRegistriesConf, renderHostsToml } from '../core/render/client-config.js';
import { renderOpenShift } from '../core/render/openshift.js';
import { loadRules } from '../config/load-rules.js';
import { loadSettings, type Settings } from '../config/settings.js';
import type { RuleSet } from '../core/rules/model.js';
import { UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

export const GENERATE: CommandSpec = {
  name: 'generate',
  summary: 'Write the client configuration that sends pulls of every source the rules name through mirrorgate.',
  usage: [
    'generate hosts-toml --proxy URL --out DIR (--config FILE | --rules PATH…)',
    'generate registries-conf --proxy URL (--config FILE | --rules PATH…)',
    'generate openshift --proxy URL (--config FILE | --rules PATH…)',
  ],
  options: {
    proxy: { type: 'string', value: 'URL', help: 'mirrorgate as the nodes reach it, e.g. http://127.0.0.1:5000' },
    out: { type: 'string', value: 'DIR', help: 'hosts-toml: the certs.d directory to write' },
    config: { type: 'string', value: 'FILE', help: "mirrorgate's settings file: its rules and aliases" },
    rules: { type: 'string', multiple: true, value: 'PATH', help: 'rule files or directories, when no --config' },
  },
  notes: `targets:
  hosts-toml       containerd: one <host>/hosts.toml per source host
  registries-conf  CRI-O, podman, skopeo: a registries.conf.d drop-in
  openshift        an ImageDigestMirrorSet and an ImageTagMirrorSet with mirrorgate first among
                   the mirrors of every source (policies kept), and for a plain-HTTP mirrorgate a
                   MachineConfig marking its address insecure; for \`oc apply -f -\`. Set
                   server.advertise to the --proxy address so mirrorgate never follows itself.`,
};

interface Inputs {
  readonly proxy: URL;
  readonly rules: RuleSet;
  readonly settings: Settings | undefined;
}

const TARGETS: Readonly<Record<string, (inputs: Inputs, args: ParsedArgs, io: CliIO) => Promise<void>>> = {
  'hosts-toml': writeHostsToml,
  'registries-conf': async ({ rules, proxy, settings }, _args, io) => io.out(renderClientRegistriesConf(rules, proxy, settings?.aliases ?? new Map())),
  openshift: async ({ rules, proxy, settings }, _args, io) => io.out(renderOpenShift(rules, proxy, settings?.aliases ?? new Map())),
};

export async function generateCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [target, ...extra] = args.positionals;
  const write = target === undefined ? undefined : TARGETS[target];
  if (!write || extra.length > 0) throw new UsageError(target === undefined ? 'expected a target' : `unknown generate target ${JSON.stringify(target)}`);
  const proxyArg = args.string('proxy');
  if (!proxyArg) throw new UsageError('--proxy URL is required');
  let proxy: URL;
  try {
    proxy = new URL(proxyArg);
  } catch {
    throw new UsageError(`--proxy must be a URL such as http://mirrorgate.example:5000, got ${JSON.stringify(proxyArg)}`);
  }
  const configFile = args.string('config');
  const settings = configFile ? await loadSettings(configFile) : undefined;
  const rulePaths = settings?.rulePaths ?? args.strings('rules');
  if (rulePaths.length === 0) throw new UsageError('--config or --rules is required');
  await write({ proxy, rules: await loadRules(rulePaths), settings }, args, io);
  return EXIT.ok;
}

async function writeHostsToml({ rules, proxy }: Inputs, args: ParsedArgs, io: CliIO): Promise<void> {
  const out = args.string('out');
  if (!out) throw new UsageError('--out DIR is required for hosts-toml');
  for (const [host, text] of renderHostsToml(rules, proxy)) {
    await mkdir(join(out, host), { recursive: true });
    await writeFile(join(out, host, 'hosts.toml'), text);
    io.out(`${join(out, host, 'hosts.toml')}\n`);
  }
}
