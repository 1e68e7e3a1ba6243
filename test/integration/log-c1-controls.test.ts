// Log lines written through pino escape C1 controls (U+0080-U+009F) and the
// Unicode line separators as the access line does (core/log-text.ts): pino's
// JSON escapes C0 only, and CSI (U+009B) starts a terminal control sequence
// on an operator's terminal, NEL (U+0085) cuts the line for Unicode-aware
// readers. Here a hostile Kubernetes API server puts them in a watch event
// the follower reports (a pino warn line), and a logger line is checked as a
// whole: each line still parses to the same value.
import { Writable } from 'node:stream';
import { afterEach, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { hostileKube, type HostileKube } from '../fakes/hostile-kube-api.js';
import { startTestProxy, writeRules, type TestProxy } from '../helpers/proxy.js';

const C1_OR_BREAK = /[\u0080-\u009f\u2028\u2029]/;
/** Clears the screen, then a forged line after a NEL. */
const HOSTILE = 'ADDED\u009b2J\u0085{"level":50,"msg":"forged"}\u2028';

/** A destination that keeps each line as written. */
const collect = (lines: string[]) => new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) });

let kube: HostileKube | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await kube?.close();
  proxy = kube = undefined;
});

it("a hostile API server's C1 controls in a reported event reach the log escaped", async () => {
  kube = await hostileKube((path, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    if (path.endsWith('/imagedigestmirrorsets')) res.write(`${JSON.stringify({ type: HOSTILE, object: { kind: 'ImageDigestMirrorSet' } })}\n`);
  });
  const lines: string[] = [];
  proxy = await startTestProxy({}, {}, { rules: { paths: [writeRules({ 'empty.yaml': '' })], kubernetes: kube.kubeconfig } }, { log: createLogger('info', collect(lines)) });
  const line = await vi.waitFor(
    () => {
      const found = lines.find((l) => l.includes('ignored what the API server sent'));
      if (!found) throw new Error('no line yet');
      return found;
    },
    { timeout: 10_000, interval: 20 },
  );
  expect(C1_OR_BREAK.test(line.slice(0, -1))).toBe(false);
  expect(line.indexOf('\n')).toBe(line.length - 1);
  expect((JSON.parse(line) as { problem: string }).problem).toContain(HOSTILE);
});

it("any pino line, a child's too: escaped, one line, the same value once parsed", () => {
  const lines: string[] = [];
  const log = createLogger('info', collect(lines));
  log.child({ reqId: 'r1' }).warn({ said: HOSTILE, tab: 'a\tb' }, `upstream said ${HOSTILE}`);
  expect(lines).toHaveLength(1);
  const line = lines[0] as string;
  expect(C1_OR_BREAK.test(line)).toBe(false);
  expect(line.indexOf('\n')).toBe(line.length - 1);
  expect(JSON.parse(line)).toMatchObject({ said: HOSTILE, tab: 'a\tb', msg: `upstream said ${HOSTILE}`, reqId: 'r1' });
});
