// Real clients pulling through mirrorgate: skopeo, ctr (containerd) and
// podman, each with its configuration in a temp dir. Each run resolves with
// the exit code and output instead of throwing, and never blocks the event
// loop the in-process proxy answers on.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export interface Outcome {
  readonly code: number;
  readonly out: string;
}

export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', timeout: 90_000, env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

/** skopeo copy of `ref` into an OCI layout, with `registriesConf` as the only registries.conf. */
export function skopeoCopy(dir: string, registriesConf: string, ref: string): Promise<Outcome> {
  const conf = join(dir, 'skopeo-registries.conf');
  writeFileSync(conf, registriesConf);
  return run('skopeo', ['--registries-conf', conf, 'copy', `docker://${ref}`, `oci:${join(dir, 'skopeo-out')}:copied`]);
}

// podman refuses a runroot longer than 50 characters, longer than the test run's temp root
// allows, and records it in its store: one short runroot under /tmp per store, removed after
// the test file (registered at import, as test/helpers/temp.ts does).
const runroots = new Map<string, string>();
afterAll(() => {
  for (const runroot of runroots.values()) rmSync(runroot, { recursive: true, force: true });
  runroots.clear();
});

/** podman as root with a private store under `dir` (vfs, so no overlay mount is needed). */
export function podman(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  let runroot = runroots.get(dir);
  if (!runroot) runroots.set(dir, (runroot = mkdtempSync('/tmp/mg-podman-')));
  return run('podman', ['--root', join(dir, 'podman-root'), '--runroot', runroot, '--storage-driver', 'vfs', ...args], env);
}

/** `podman pull` with `registriesConf` as the only registries.conf. */
export function podmanPull(dir: string, registriesConf: string, ref: string): Promise<Outcome> {
  const conf = join(dir, 'podman-registries.conf');
  writeFileSync(conf, registriesConf);
  return podman(dir, ['pull', ref], { ...process.env, CONTAINERS_REGISTRIES_CONF: conf });
}

/** Writes one hosts.toml per host into a fresh certs.d under `dir`. */
export function hostsDir(dir: string, files: ReadonlyMap<string, string>): string {
  const root = mkdtempSync(join(dir, 'certs.d-'));
  for (const [host, text] of files) {
    mkdirSync(join(root, host), { recursive: true });
    writeFileSync(join(root, host, 'hosts.toml'), text);
  }
  return root;
}

/** `ctr content fetch` through a certs.d directory. */
export function ctrFetch(socket: string, certsDir: string, ref: string): Promise<Outcome> {
  return run('ctr', ['--address', socket, 'content', 'fetch', '--hosts-dir', certsDir, ref]);
}

const README_PROXY = 'mirrorgate.example:5000';

/** A fenced block that follows `<!-- snippet: NAME -->` in the README, with the proxy address put in. */
export function readmeSnippet(name: string, proxyHost: string): string {
  const m = new RegExp(`<!-- snippet: ${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readFileSync('README.md', 'utf8'));
  if (!m?.[1]) throw new Error(`README.md has no snippet ${name}`);
  return m[1].replaceAll(README_PROXY, proxyHost);
}
