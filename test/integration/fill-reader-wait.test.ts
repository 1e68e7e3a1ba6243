// A reader of a growing fill waits for its next bytes (store/read-file.ts
// sendGrowing): a client that leaves while the fill has nothing new must be
// let go at once, not at the fill's next change (a stalled upstream may bring
// none for the whole stall window), and a finished send leaves no listener on
// the request's signal.
import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { beforeEach, expect, it } from 'vitest';
import { BlobDisk } from '../../src/store/disk.js';
import { BlobFill } from '../../src/store/fill.js';
import type { BlobOutput } from '../../src/store/output.js';
import { FileBuffers } from '../../src/store/file-buffers.js';
import { sendGrowing } from '../../src/store/read-file.js';
import { tempDir } from '../helpers/temp.js';

const CHUNK = 16 * 1024;
const blob = Buffer.alloc(8 * CHUNK, 3);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const whole = { start: 0, end: blob.length - 1 };

let disk: BlobDisk;

beforeEach(async () => {
  disk = await BlobDisk.open(tempDir('reader-wait'), 1 << 30, { evicted: () => {}, size: () => {}, discarded: () => {} });
});

class Client implements BlobOutput {
  bytes = 0;
  start(): void {}
  write(chunk: Buffer): undefined {
    this.bytes += chunk.length;
    return undefined;
  }
  end(): void {}
  destroy(): void {}
}

async function startFill(): Promise<BlobFill> {
  const fill = new BlobFill(disk, digest, 0);
  await fill.begin(blob.length, 'mirror');
  return fill;
}

/** Bounded: lets pending promise callbacks and I/O callbacks run. */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

it('a client leaving while its reader waits for the fill is let go without any change of the fill', async () => {
  const fill = await startFill();
  fill.write(blob.subarray(0, 2 * CHUNK));
  const client = new Client();
  const leave = new AbortController();
  let outcome = 'pending';
  const reading = sendGrowing(fill, 0, whole, client, leave.signal, new FileBuffers()).then(
    () => (outcome = 'ended'),
    (err: Error) => (outcome = err.message),
  );
  await turns(5);
  expect(client.bytes).toBe(2 * CHUNK);
  expect(outcome).toBe('pending');
  leave.abort();
  await turns(5);
  expect(outcome).toBe('client went away');
  await reading;
  expect(getEventListeners(leave.signal, 'abort')).toHaveLength(0);
  fill.fail(new Error('done'));
  fill.seal();
});

it('a send that ends leaves no listener on the request signal', async () => {
  const fill = await startFill();
  const client = new Client();
  const signal = new AbortController().signal;
  const reading = sendGrowing(fill, 0, whole, client, signal, new FileBuffers());
  for (let i = 0; i < 7; i++) {
    fill.write(blob.subarray(i * CHUNK, (i + 1) * CHUNK));
    await turns(2);
  }
  await fill.finish(blob.subarray(7 * CHUNK), blob.length);
  fill.seal();
  expect(await reading).toBe(blob.length);
  expect(getEventListeners(signal, 'abort')).toHaveLength(0);
});
