// The warm path (store/read-file.ts sendFile, file-buffers.ts):
// cached blobs go out through two buffers borrowed from a pool of four shared
// 4 MiB buffers, reused once the socket took their bytes, and dropped when a
// response broke while a write may still hold them. Hostile clients mix full
// reads, Ranges, clients that leave mid-body, clients that stop reading until
// the send timeout cuts them, and pipelined requests (a second response is
// buffered in Node's outputData until the first ended). Every
// response that ends cleanly carries exactly the bytes of its blob (or span):
// a buffer reused while a write still holds it would show as another blob's
// bytes in someone's clean answer.
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { mirrorRules, startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const blobs = [randomBytes(9 * MiB), randomBytes(9 * MiB + 12345), randomBytes(5 * MiB + 1)];
const digests = blobs.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);
const pathOf = (i: number) => `/v2/src/ns/app/blobs/${digests[i]}`;

let source: FakeRegistry;
let proxy: TestProxy;
let port: number;

beforeAll(async () => {
  source = await fakeRegistry();
  for (const b of blobs) source.putBlob(b);
  proxy = await startTestProxy(mirrorRules(`${source.host}/ns`, [], []), { aliases: { src: source.host } }, { server: { listen: ['127.0.0.1:0'], send_timeout_ms: 300 }, cache: { blobs: { dir: tempDir('warm-pool') } } });
  port = Number(new URL(proxy.url).port);
  // Warm: every blob in the cache.
  for (let i = 0; i < blobs.length; i++) expect((await proxy.get(pathOf(i))).body.equals(blobs[i] as Buffer)).toBe(true);
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await source?.stop();
});

interface Parsed {
  status: number;
  length: number;
  body: Buffer;
}

/** Parses consecutive responses with Content-Length from `data`; the last may be incomplete (then not returned). */
function parseAll(data: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let at = 0;
  while (at < data.length) {
    const split = data.indexOf('\r\n\r\n', at);
    if (split < 0) break;
    const head = data.subarray(at, split).toString('latin1');
    const status = Number(head.split(' ')[1]);
    const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
    if (split + 4 + length > data.length) break;
    out.push({ status, length, body: data.subarray(split + 4, split + 4 + length) });
    at = split + 4 + length;
  }
  return out;
}

type Kind = 'full' | 'range' | 'leave' | 'stall' | 'pipelined';

/** One hostile client; resolves with the responses it received whole and which bytes each should be. */
function client(kind: Kind, i: number): Promise<{ got: Parsed[]; want: Buffer[] }> {
  const blob = blobs[i % blobs.length] as Buffer;
  const other = blobs[(i + 1) % blobs.length] as Buffer;
  const start = (i * 777_777) % (blob.length - 3 * MiB);
  const end = start + 2 * MiB + (i % 5) * 100_003;
  const req = (p: string, extra = '') => `GET ${p} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`;
  const text =
    kind === 'range' ? req(pathOf(i % blobs.length), `range: bytes=${start}-${end}\r\nconnection: close\r\n`)
    : kind === 'pipelined' ? req(pathOf(i % blobs.length)) + req(pathOf((i + 1) % blobs.length), 'connection: close\r\n')
    : req(pathOf(i % blobs.length), 'connection: close\r\n');
  const want = kind === 'range' ? [blob.subarray(start, end + 1)] : kind === 'pipelined' ? [blob, other] : [blob];
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let received = 0;
    let stalled = false;
    const timer = setTimeout(() => socket.destroy(), 20_000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      if (kind === 'leave' && received > MiB + i * 10_000) socket.destroy();
      // Stops reading for well past the send timeout (which cuts it), then reads what the kernel kept and the end.
      if (kind === 'stall' && received > 256 * 1024 && !stalled) {
        stalled = true;
        socket.pause();
        setTimeout(() => socket.resume(), 1_500);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ got: parseAll(Buffer.concat(chunks)), want });
    });
    socket.write(text);
  });
}

it('every cleanly ended answer carries exactly its own bytes while hostile clients break, stall and pipeline', async () => {
  const kinds: Kind[] = ['full', 'range', 'leave', 'stall', 'pipelined', 'full', 'leave', 'range'];
  let clean = 0;
  for (let wave = 0; wave < 4; wave++) {
    const results = await Promise.all(Array.from({ length: 12 }, (_, n) => client(kinds[(n + wave) % kinds.length] as Kind, n + wave * 12)));
    for (const { got, want } of results) {
      got.forEach((res, k) => {
        expect(res.status === 200 || res.status === 206).toBe(true);
        expect(res.body.equals(want[k] as Buffer)).toBe(true);
        clean++;
      });
    }
  }
  // Most clients (full, range, pipelined) end cleanly: the check above ran on many answers.
  expect(clean).toBeGreaterThan(20);
});
