// The cold fill (store/fill.ts, read-file.ts sendGrowing): a
// large blob whose first copy turns out wrong only at its end (its wrong
// bytes, 512 KiB before the end, released to readers before the verdict), or whose
// copy is resumed from a mirror lying on Range, while clients join the fill
// at every moment (whole GETs and Ranges anywhere, the span's last byte
// included or not). No client ever gets a clean end of bytes that
// differ from the blob (or its span); the file finally cached is the blob.
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { WRONG_BEFORE_END, twistedMirror, type TwistedMirror } from '../fakes/twisted-blobs.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const blob = randomBytes(6 * MiB + 777);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const path = `/v2/src/ns/app/blobs/${digest}`;

let mirrors: TwistedMirror[] = [];
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await Promise.all(mirrors.map((m) => m.stop()));
  mirrors = [];
  proxy = undefined;
});

/** One GET over a raw socket: the body when it ended cleanly (Content-Length reached), else undefined. */
function fetchRaw(url: string, range?: string): Promise<{ status: number; body: Buffer } | undefined> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 30_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return resolve(undefined);
      const head = all.subarray(0, split).toString('latin1');
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
      const body = all.subarray(split + 4);
      resolve(body.length === length ? { status: Number(head.split(' ')[1]), body } : undefined);
    });
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${range ? `range: bytes=${range}\r\n` : ''}\r\n`);
  });
}

const spans: (readonly [number, number] | undefined)[] = [undefined, [0, MiB], [3 * MiB, blob.length - 1], [blob.length - 20, blob.length - 10], [5 * MiB, 5 * MiB + 100], undefined, [blob.length - 1, blob.length - 1], [blob.length - WRONG_BEFORE_END - 8, blob.length - WRONG_BEFORE_END + 32]];

async function stampede(url: string): Promise<void> {
  const clients = Array.from({ length: 28 }, async (_, n) => {
    // Joins the fill at different moments of its life.
    await new Promise((resolve) => setTimeout(resolve, n * 15));
    const span = spans[n % spans.length];
    const got = await fetchRaw(url, span && `${span[0]}-${span[1]}`);
    if (!got) return;
    const want = span ? blob.subarray(span[0], span[1] + 1) : blob;
    expect(got.status).toBe(span ? 206 : 200);
    expect(got.body.equals(want)).toBe(true);
  });
  await Promise.all(clients);
}

it('a copy found wrong only at its end: no clean answer carries it, wherever a client joined', async () => {
  const [m1, m2] = (mirrors = await Promise.all([twistedMirror(blob, { step: 128 * 1024, everyMs: 5 }), twistedMirror(blob, { step: 128 * 1024, everyMs: 5 })]));
  (m1 as TwistedMirror).twists = { wrongNearEnd: true };
  proxy = await startTestProxy(mirrorRules(`${(m2 as TwistedMirror).host}/ns`, [`${(m1 as TwistedMirror).host}/ns`], [], { never: false }), { aliases: { src: (m2 as TwistedMirror).host } }, { cache: { blobs: { dir: tempDir('wrong-copy') } } });
  // How many ended cleanly depends on when each joined (before or after the restart); each clean one was checked.
  await stampede(proxy.url);
  const again = await fetchRaw(proxy.url);
  expect(again?.body.equals(blob)).toBe(true);
});

it('a copy broken mid-body and resumed from a mirror lying on Range: no clean answer carries it', async () => {
  const [m1, m2, src] = (mirrors = await Promise.all([0, 1, 2].map(() => twistedMirror(blob, { step: 128 * 1024, everyMs: 5 }))));
  (m1 as TwistedMirror).twists = { breakAfter: 2 * MiB + 5 };
  (m2 as TwistedMirror).twists = { lieOnRange: true };
  proxy = await startTestProxy(mirrorRules(`${(src as TwistedMirror).host}/ns`, [`${(m1 as TwistedMirror).host}/ns`, `${(m2 as TwistedMirror).host}/ns`], []), { aliases: { src: (src as TwistedMirror).host } }, { cache: { blobs: { dir: tempDir('wrong-copy') } } });
  // How many ended cleanly depends on when each joined (before or after the restart); each clean one was checked.
  await stampede(proxy.url);
  const again = await fetchRaw(proxy.url);
  expect(again?.body.equals(blob)).toBe(true);
});
