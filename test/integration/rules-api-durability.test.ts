// A mirrorgate child process killed with SIGKILL at pseudo-random instants
// during a stream of API writes: after a restart on the same state directory,
// every acknowledged write is there, every file is whole, and an
// unacknowledged write is either fully there or not at all.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parse } from 'yaml';
import { IDMS, RW, idms } from '../helpers/rules-api.js';
import { tempDir } from '../helpers/temp.js';

const ROUNDS = 5;

interface Child {
  readonly process: ChildProcess;
  readonly adminUrl: string;
}

/** Starts `mirrorgate serve` (the built CLI) and waits, bounded, for its admin URL in the log. */
async function start(config: string): Promise<Child> {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const adminUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no admin URL in 15 s: ${out}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"adminUrls":\["([^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { process: child, adminUrl };
}

async function stop(child: Child): Promise<void> {
  const exited = new Promise((r) => child.process.once('exit', r));
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await exited;
}

/** A small deterministic generator (LCG), so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('rules API durability', () => {
  it(`SIGKILL at ${ROUNDS} pseudo-random instants loses no acknowledged write and leaves no torn file`, async () => {
    const dir = tempDir('durable');
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'tokens'), `${RW} read-write writer\n`);
    writeFileSync(join(dir, 'm.toml'), '[server]\nlisten = ["127.0.0.1:0"]\n[admin]\nlisten = ["127.0.0.1:0"]\n[rules]\npaths = ["rules"]\n[api]\nenabled = true\nstate_dir = "state"\ntokens = "tokens"\n[log]\nlevel = "info"\n');
    const random = lcg(20261123);
    const acknowledged = new Map<string, string>();
    const attempted = new Set<string>();
    let seq = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const child = await start(join(dir, 'm.toml'));
      const killAfter = Math.floor(random() * 40) + 5;
      // Two writers in parallel, each creating then updating its objects, until the kill.
      const writer = async (w: number) => {
        for (let i = 0; i < 400; i++) {
          const name = `r${round}-w${w}-${seq++}`;
          const mirror = `m${i}.example/x`;
          attempted.add(name);
          try {
            const res = await request(`${child.adminUrl}/${IDMS}`, { method: 'POST', headers: { authorization: `Bearer ${RW}`, 'content-type': 'application/json' }, body: JSON.stringify(idms(name, `quay.io/${name}`, [mirror])) });
            await res.body.text();
            if (res.statusCode === 201) acknowledged.set(name, mirror);
          } catch {
            return; // the process is gone
          }
        }
      };
      const writing = Promise.all([writer(0), writer(1)]);
      // Kill after a pseudo-random number of acknowledged writes in this round (bounded by the writers' count).
      const target = acknowledged.size + killAfter;
      for (let i = 0; i < 2_000 && acknowledged.size < target; i++) await new Promise((r) => setTimeout(r, 2));
      await stop(child);
      await writing;
    }
    // Restart once more: everything acknowledged is served, and every stored file is whole.
    const last = await start(join(dir, 'm.toml'));
    try {
      const list = await request(`${last.adminUrl}/${IDMS}`, { headers: { authorization: `Bearer ${RW}` } });
      const items = ((await list.body.json()) as { items: { metadata: { name: string }; spec: { imageDigestMirrors: { mirrors: string[] }[] } }[] }).items;
      const served = new Map(items.map((o) => [o.metadata.name, o.spec.imageDigestMirrors[0]?.mirrors[0]]));
      for (const [name, mirror] of acknowledged) expect(served.get(name), name).toBe(mirror);
      for (const name of served.keys()) expect(attempted.has(name)).toBe(true);
      const files = readdirSync(join(dir, 'state', 'imagedigestmirrorsets'));
      expect(files.filter((f) => !f.endsWith('.yaml'))).toEqual([]);
      for (const f of files) expect((parse(readFileSync(join(dir, 'state', 'imagedigestmirrorsets', f), 'utf8')) as { metadata: { name: string } }).metadata.name).toBe(f.slice(0, -5));
      expect(acknowledged.size).toBeGreaterThan(ROUNDS * 5);
    } finally {
      await stop(last);
    }
  }, 120_000);
});
