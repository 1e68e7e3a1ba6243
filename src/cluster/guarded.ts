// What client-node's ListWatch (cache.js) trusts about the API server, made
// safe for a replica that must stay up whatever the server does:
// - events whose object has no metadata reach `addOrUpdateObject`, which
//   throws inside an async handler nobody awaits (an unhandled rejection,
//   fatal under Node's default): such events are dropped and reported;
// - a watch that ends at once, or ends with 410, is reopened or relisted
//   immediately, in a loop as fast as the server answers: successive starts
//   are paced with a backoff while they keep ending early;
// - a list or a watch's headers may never come: both get a deadline.
import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface GuardOptions {
  /** Backoff between starts that keep ending early: from min, doubling, at most max. */
  readonly retryMs: { readonly min: number; readonly max: number };
  /** A list or watch that has not answered by then has failed. */
  readonly deadlineMs: number;
  /** A start that lived at least this long resets the backoff. */
  readonly healthyMs: number;
  readonly report: (problem: string) => void;
}

type Done = (err: unknown) => void;
type Callback = (phase: string, apiObj: unknown, watchObj?: unknown) => unknown;

/** Paces starts of one kind of request: the next waits while the previous ones kept ending early. */
export class Pacer {
  private lastStart = Number.NEGATIVE_INFINITY;
  private delay = 0;

  constructor(private readonly options: Pick<GuardOptions, 'retryMs' | 'healthyMs'>) {}

  async next(): Promise<void> {
    const lived = performance.now() - this.lastStart;
    const { min, max } = this.options.retryMs;
    this.delay = lived >= this.options.healthyMs ? 0 : Math.min(max, this.delay === 0 ? min : this.delay * 2);
    if (this.delay > 0) await new Promise((resolve) => setTimeout(resolve, this.delay).unref());
    this.lastStart = performance.now();
  }
}

/** A list function with pacing, a deadline, and items without a name dropped (ListWatch indexes by metadata). */
export function guardedList<T extends { items?: unknown[] }>(list: () => Promise<T>, options: GuardOptions): () => Promise<T> {
  const pacer = new Pacer(options);
  return async () => {
    await pacer.next();
    const answer = await withDeadline(list(), options.deadlineMs, 'list');
    const items = (answer.items ?? []).filter(hasName);
    if (items.length !== (answer.items ?? []).length) options.report(`ignored ${(answer.items ?? []).length - items.length} listed objects without metadata.name`);
    return { ...answer, items };
  };
}

/** client-node's Watch with pacing, a deadline for the response headers, and events checked before ListWatch sees them. */
export class GuardedWatch extends Watch {
  private readonly pacers = new Map<string, Pacer>();

  constructor(
    config: KubeConfig,
    private readonly options: GuardOptions,
  ) {
    super(config);
  }

  override async watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: Callback, done: Done): Promise<AbortController> {
    let pacer = this.pacers.get(path);
    if (!pacer) this.pacers.set(path, (pacer = new Pacer(this.options)));
    await pacer.next();
    let finished = false;
    const doneOnce: Done = (err) => {
      if (finished) return;
      finished = true;
      done(err);
    };
    const opened = super.watch(path, queryParams, this.checked(callback), doneOnce);
    try {
      return await withDeadline(opened, this.options.deadlineMs, 'watch');
    } catch (err) {
      // The request may still answer later: cut it then, and end this watch now.
      void opened.then((controller) => controller.abort(), () => undefined);
      doneOnce(err);
      return new AbortController();
    }
  }

  private checked(callback: Callback): Callback {
    return (phase, object, raw) => {
      if (phase !== 'ERROR' && !hasName(object)) {
        this.options.report(`ignored a ${phase} event whose object has no metadata.name`);
        return undefined;
      }
      const result = callback(phase, object, raw);
      // ListWatch's handler is async: a rejection must not go unhandled.
      if (result instanceof Promise) result.catch((err: unknown) => this.options.report(`watch event failed: ${String(err)}`));
      return result;
    };
  }
}

function hasName(object: unknown): boolean {
  const metadata = (object as { metadata?: { name?: unknown } } | null)?.metadata;
  return typeof metadata === 'object' && metadata !== null && typeof metadata.name === 'string' && metadata.name !== '';
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
