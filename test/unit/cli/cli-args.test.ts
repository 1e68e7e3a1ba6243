// The CLI's parsing, help and usage errors, in process: argv -> exit code and output.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/run.js';
import { healthUrl } from '../../../src/cli/healthcheck-command.js';
import { settingsFrom } from '../../../src/config/settings.js';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

// The usage cases expect no settings file from the environment.
delete process.env.MIRRORGATE_CONFIG;

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const COMMANDS = ['serve', 'resolve', 'render', 'generate', 'healthcheck', 'bench'];

describe('mirrorgate help and version', () => {
  it.each([
    { argv: ['--help'], out: 'commands:' },
    { argv: ['-h'], out: 'commands:' },
    { argv: ['help'], out: 'commands:' },
    { argv: ['help', 'resolve'], out: 'mirrorgate resolve IMAGE --rules PATH' },
    { argv: ['--version'], out: `mirrorgate ${version}\n` },
    ...COMMANDS.map((name) => ({ argv: [name, '--help'], out: `usage:\n  mirrorgate ${name}` })),
    ...COMMANDS.map((name) => ({ argv: [name, '-h'], out: '-h, --help' })),
    // --help wins over missing or wrong arguments
    { argv: ['resolve', '--json', '--help'], out: '--rules PATH' },
  ])('$argv exits 0 with help on stdout', async ({ argv, out }) => {
    const r = await cli(argv);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(out);
  });

  it('the top-level help lists every command', async () => {
    const { out } = await cli(['--help']);
    for (const name of COMMANDS) expect(out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it('every option of a command is in its help', async () => {
    const { out } = await cli(['generate', '--help']);
    for (const option of ['--proxy URL', '--out DIR', '--config FILE', '--rules PATH', '(repeatable)']) expect(out).toContain(option);
  });
});

describe('mirrorgate usage errors exit 1 with a message naming the problem, on stderr', () => {
  it.each([
    { argv: [], err: 'usage: mirrorgate COMMAND' },
    { argv: ['frobnicate'], err: 'unknown command "frobnicate"' },
    { argv: ['--bogus'], err: 'unknown option --bogus' },
    { argv: ['help', 'frobnicate'], err: 'unknown command "frobnicate"' },
    { argv: ['resolve', 'busybox', '--rules', 'r', '--bogus'], err: 'mirrorgate resolve: unknown option --bogus' },
    { argv: ['resolve', 'busybox', '-x'], err: 'unknown option -x' },
    { argv: ['resolve', 'busybox', '--rules'], err: '--rules needs a value' },
    { argv: ['resolve', 'busybox', '--json=yes', '--rules', 'r'], err: '--json takes no value' },
    { argv: ['resolve', 'busybox'], err: '--rules is required' },
    { argv: ['resolve', '--rules', 'r'], err: 'expected one IMAGE' },
    { argv: ['resolve', 'a', 'b', '--rules', 'r'], err: 'expected one IMAGE' },
    { argv: ['render', 'hosts', '--rules', 'r'], err: 'unknown render target' },
    { argv: ['generate', '--proxy', 'http://x'], err: 'expected a target' },
    { argv: ['generate', 'nginx-conf', '--proxy', 'http://x', '--rules', 'r'], err: 'unknown generate target "nginx-conf"' },
    { argv: ['generate', 'registries-conf', '--rules', 'r'], err: '--proxy URL is required' },
    { argv: ['generate', 'registries-conf', '--proxy', 'not a url', '--rules', 'r'], err: '--proxy must be a URL' },
    { argv: ['generate', 'registries-conf', '--proxy', 'http://x'], err: '--config or --rules is required' },
    { argv: ['serve'], err: '--config FILE (or MIRRORGATE_CONFIG) is required' },
    { argv: ['serve', '--config', 'a.toml', 'extra'], err: '--config FILE (or MIRRORGATE_CONFIG) is required' },
    { argv: ['healthcheck'], err: '--config FILE (or MIRRORGATE_CONFIG) is required' },
    { argv: ['healthcheck', '--config', 'x', '--timeout-ms', 'soon'], err: '--timeout-ms must be a positive integer, got "soon"' },
    { argv: ['bench'], err: '--scenarios FILE is required' },
  ])('$argv', async ({ argv, err }) => {
    const r = await cli(argv);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(err);
  });

  it('a command usage error shows that command usage and points to its --help', async () => {
    const { err } = await cli(['resolve', 'busybox']);
    expect(err).toBe(
      "mirrorgate resolve: --rules is required\nusage:\n  mirrorgate resolve IMAGE --rules PATH [--rules PATH…] [--advertise HOST:PORT…] [--json]\nrun 'mirrorgate resolve --help' for every option\n",
    );
  });

  it('options may repeat, take --name=value, and come before positionals', async () => {
    const r = await cli(['resolve', '--rules=config/rules/image-config.yaml', '--json', '--rules', 'config/rules/idms-oc-mirror.yaml', 'quay.io/x/app:v1']);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ image: 'quay.io/x/app:v1', pullBy: 'tag' });
  });
});

describe('mirrorgate healthcheck probes the listener that serves /healthz', () => {
  const settings = (doc: Record<string, unknown>) => settingsFrom({ rules: { paths: ['r'] }, ...doc }, {}, '/etc/mirrorgate', 't');
  it.each([
    { name: 'default', doc: {}, url: 'http://127.0.0.1:5000/healthz' },
    { name: 'wildcard IPv4', doc: { server: { listen: ['0.0.0.0:5000'] } }, url: 'http://127.0.0.1:5000/healthz' },
    { name: 'wildcard IPv6', doc: { server: { listen: ['[::]:5000'] } }, url: 'http://[::1]:5000/healthz' },
    { name: 'a named address', doc: { server: { listen: ['10.0.0.7:5001', '127.0.0.1:5002'] } }, url: 'http://10.0.0.7:5001/healthz' },
    { name: 'TLS on the pull port', doc: { server: { listen: ['0.0.0.0:5443'], tls_cert: 'c.pem', tls_key: 'k.pem' } }, url: 'https://127.0.0.1:5443/healthz' },
    { name: 'an admin listener (the Kubernetes settings)', doc: { server: { listen: ['0.0.0.0:5000'] }, admin: { listen: ['0.0.0.0:9090'] } }, url: 'http://127.0.0.1:9090/healthz' },
    { name: 'TLS on the admin listener', doc: { server: { listen: ['0.0.0.0:5000'] }, admin: { listen: ['0.0.0.0:9090'], tls_cert: 'c.pem', tls_key: 'k.pem' } }, url: 'https://127.0.0.1:9090/healthz' },
    { name: 'TLS on the pull listener only (the admin listener stays plain HTTP)', doc: { server: { listen: ['0.0.0.0:5443'], tls_cert: 'c.pem', tls_key: 'k.pem' }, admin: { listen: ['[::]:9090'] } }, url: 'http://[::1]:9090/healthz' },
  ])('$name', ({ doc, url }) => {
    expect(healthUrl(settings(doc)).href).toBe(url);
  });
});
