// A closed-loop load generator: `concurrency` workers issue requests until
// `count` are done or `maxSeconds` have passed, whichever comes first.
export interface LoadResult {
  readonly latenciesMs: number[];
  readonly errors: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly completed: number;
}

export type Step = (i: number) => Promise<{ ok: boolean; bytes: number }>;

export async function runLoad(count: number, concurrency: number, maxSeconds: number, step: Step): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const latenciesMs: number[] = [];
  let next = 0;
  let errors = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        const r = await step(i);
        bytes += r.bytes;
        if (!r.ok) errors++;
      } catch {
        errors++;
      }
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { latenciesMs, errors, bytes, seconds: (performance.now() - started) / 1000, completed: latenciesMs.length };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
