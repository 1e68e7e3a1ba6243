// Real parts for end-to-end tests: the Debian docker-registry (CNCF
// distribution) and containerd, each in its own temp dir on loopback.
import { spawn, spawnSync } from 'node:child_process';
import { freePort, stopChild } from '../../../src/bench/processes.js';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp.js';

/** Fails loudly when a binary the e2e suite needs is missing (CI installs them in .ci/run). */
export function requireBinary(name: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} is not installed: the e2e tests need the Debian package ${debianPackage} (.ci/run installs it: apt-get install ${debianPackage})`);
  return found;
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

export interface Running {
  readonly host: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export async function startDockerRegistry(): Promise<Running> {
  const binary = requireBinary('docker-registry', 'docker-registry');
  const dir = tempDir('registry');
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn(binary, ['serve', config], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`http://${host}/v2/`).catch(() => undefined))?.status === 200, `docker-registry on ${host}`);
  return { host, dir, stop: () => stopChild(child) };
}

export async function startContainerd(): Promise<Running & { socket: string }> {
  const binary = requireBinary('containerd', 'containerd');
  const dir = tempDir('containerd');
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      // Only the content store is needed to fetch; the CRI and exotic snapshotters are not.
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
      `[grpc]\n  address = "${socket}"`,
      `[ttrpc]\n  address = "${dir}/ttrpc.sock"`,
    ].join('\n'),
  );
  const child = spawn(binary, ['--config', config], { stdio: 'ignore' });
  await waitFor(() => existsSync(socket), `containerd socket ${socket}`);
  return { host: '', dir, socket, stop: () => stopChild(child) };
}
