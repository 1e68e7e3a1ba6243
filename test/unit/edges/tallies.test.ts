// The per-request series counted outside prom-client (observability/tallies.ts)
// expose what prom-client's own Counter and Histogram would for the same
// observations: the same /metrics text, byte for byte, and the same JSON.
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelledCounter, LabelledHistogram } from '../../../src/observability/tallies.js';

const LABELS = ['route', 'method', 'code'];
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600];

/** The same metrics twice: prom-client's, and ours, each in its own registry. */
function pair() {
  const theirs = new Registry();
  const ours = new Registry();
  const common = (r: Registry) => ({ labelNames: LABELS, registers: [r] });
  return {
    theirs,
    ours,
    counters: [new Counter({ name: 'c_total', help: 'A "counter".\nSecond line', ...common(theirs) }), new LabelledCounter({ name: 'c_total', help: 'A "counter".\nSecond line', ...common(ours) })] as const,
    histograms: [new Histogram({ name: 'h_seconds', help: 'A histogram.', buckets: BUCKETS, ...common(theirs) }), new LabelledHistogram({ name: 'h_seconds', help: 'A histogram.', buckets: BUCKETS, ...common(ours) })] as const,
  };
}

// A few tuples, so that they repeat (after a reset too); two whose values join alike; values the text escapes.
const tuple = fc.constantFrom<readonly string[]>(['manifests', 'GET', '200'], ['a', 'b', 'c'], ['ab', '', 'c'], ['', '', ''], ['a"b', 'back\\slash', 'new\nline']);
const value = fc.oneof(fc.constantFrom(...BUCKETS, 0, -1, 1e12), fc.double({ min: -1, max: 1000, noNaN: true }));
const step = fc.oneof(
  fc.record({ op: fc.constant('inc' as const), labels: tuple }),
  fc.record({ op: fc.constant('observe' as const), labels: tuple, value }),
  fc.record({ op: fc.constant('reset' as const) }),
);

describe('tallies', () => {
  it('expose the same /metrics text and JSON as prom-client for any observations, resets included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const { theirs, ours, counters, histograms } = pair();
        // Children made once per tuple and reused, as Metrics does.
        const children = new Map<string, { c: [ReturnType<Counter['labels']>, ReturnType<LabelledCounter['labels']>]; h: [ReturnType<Histogram['labels']>, ReturnType<LabelledHistogram['labels']>] }>();
        const childOf = (labels: readonly string[]) => {
          const key = JSON.stringify(labels);
          let c = children.get(key);
          if (!c) {
            c = { c: [counters[0].labels(...labels), counters[1].labels(...labels)], h: [histograms[0].labels(...labels), histograms[1].labels(...labels)] };
            children.set(key, c);
          }
          return c;
        };
        for (const s of steps) {
          if (s.op === 'reset') {
            theirs.resetMetrics();
            ours.resetMetrics();
          } else if (s.op === 'inc') for (const child of childOf(s.labels).c) child.inc();
          else for (const child of childOf(s.labels).h) child.observe(s.value);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what prom-client refuses: a wrong number of labels, a value that is not a number', () => {
    const { counters, histograms } = pair();
    expect(() => counters[1].labels('a', 'b')).toThrow(/route, method, code/);
    expect(() => histograms[1].labels('a', 'b', 'c').observe(Number.NaN)).toThrow(/not a valid number/);
    expect(() => histograms[0].labels('a', 'b', 'c').observe(Number.NaN)).toThrow(/not a valid number/);
  });
});
