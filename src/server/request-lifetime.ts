// What only some requests need, made on first use: the abort signal of the
// request's upstream work (the client went away, or the pull deadline
// passed) and a child logger bound to its id. A request answered from the
// cache uses neither, so it pays for no AbortController, no timer, no
// 'close' listener and no child logger (issue 11: a cached manifest request
// should cost the proxy little more than a bare Node answer).
import type { ServerResponse } from 'node:http';
import { OciError } from '../core/oci/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Route } from '../core/oci/route.js';
import type { AttemptRecord } from '../pull/attempts.js';
import type { AppDeps, RequestContext, RequestSummary } from './request-context.js';
import { PullDeadline } from '../upstream/failure.js';
import { whenClosed } from './connection-close.js';

export class RequestLifetime {
  private controller?: AbortController;
  private cancelDeadline?: () => void;
  private unwatch?: () => void;
  private child?: Logger;

  /** `started`: the request's arrival on `deps.pull.clock`, from which its deadline counts. */
  constructor(
    private readonly deps: AppDeps,
    private readonly res: ServerResponse,
    readonly reqId: string,
    private readonly started: number,
  ) {}

  get log(): Logger {
    return (this.child ??= this.deps.log.child({ reqId: this.reqId }));
  }

  /** Aborted when the client goes away before its answer is sent, or when the pull deadline passes. */
  get signal(): AbortSignal {
    return (this.controller ??= this.arm()).signal;
  }

  /**
   * Why the request's own signal aborted, if it did: its deadline's OciError
   * (answered 504), or 'client' (its client went away: nobody to answer).
   */
  get stopped(): OciError | 'client' | undefined {
    const signal = this.controller?.signal;
    if (!signal?.aborted) return undefined;
    return signal.reason instanceof OciError ? signal.reason : 'client';
  }

  /** The request is answered: its deadline no longer runs. */
  end(): void {
    this.cancelDeadline?.();
    this.unwatch?.();
  }

  private arm(): AbortController {
    const abort = new AbortController();
    const { res, deps } = this;
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    // The client may have left before anything asked for the signal.
    if (res.closed) onClose();
    else {
      res.once('close', onClose);
      if (!res.socket) this.unwatch = whenClosed(res.req.socket, onClose);
    }
    // Every pull has an end: past the deadline its upstream work is aborted and the client gets 504.
    const left = Math.max(0, deps.settings.dataPath.pullDeadlineMs - (deps.pull.clock.now() - this.started));
    this.cancelDeadline = deps.pull.timers.after(left, () => abort.abort(new PullDeadline()));
    return abort;
  }
}

/** What a request is known by before it is routed. */
export type Incoming = Omit<RequestContext, 'route' | 'log' | 'signal'>;

/**
 * A routed request's context, its log and signal read through to its
 * lifetime. A class, not an object literal with getters: V8 builds those
 * slowly, and one is made per request.
 */
export class RoutedRequest implements RequestContext {
  readonly req: RequestContext['req'];
  readonly res: RequestContext['res'];
  readonly deps: AppDeps;
  readonly reqId: string;
  readonly records: AttemptRecord[];
  readonly summary: RequestSummary;

  constructor(
    incoming: Incoming,
    readonly route: Extract<Route, { registry: string }>,
    private readonly lifetime: RequestLifetime,
  ) {
    ({ req: this.req, res: this.res, deps: this.deps, reqId: this.reqId, records: this.records, summary: this.summary } = incoming);
  }

  get log(): Logger {
    return this.lifetime.log;
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }
}
