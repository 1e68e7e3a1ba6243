// The rules API, put together: the state directory is loaded into the store
// before the rules are first compiled (the store is one of their sources),
// then requests are authenticated and routed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RuleSource } from '../config/rule-sources.js';
import type { RulesHolder } from '../config/rules-holder.js';
import type { Logger } from '../observability/logger.js';
import { authorizeBearer, TokenFile } from '../server/auth/token-file.js';
import { requestUrl } from '../server/guard.js';
import { sendError } from './http.js';
import { RESOURCES } from './kinds.js';
import { StateDir } from './persistence.js';
import { route } from './router.js';
import { apiSource } from './sources.js';
import { ApiError, forbidden, unauthorized } from './status.js';
import { ObjectStore } from './store.js';
import { Writer } from './writes.js';

export interface RulesApiOptions {
  readonly stateDir: string;
  readonly tokensFile: string;
  readonly watchHistory: number;
  readonly bookmarkIntervalMs?: number;
  readonly now?: () => Date;
}

export interface RulesApi {
  /** The API's objects, for the rules holder. */
  readonly source: RuleSource;
  /** Answers a request for an API path (true), or leaves it to the caller (false). */
  serve(holder: RulesHolder, log: Logger): (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

const API_PATH = /^\/(api|apis|openapi|version)(\/|$)/;

export async function openRulesApi(o: RulesApiOptions, log: Logger): Promise<RulesApi> {
  const tokens = await TokenFile.open(o.tokensFile, { onProblem: (e) => log.error({ file: e.file, problems: e.problems }, 'rules API token file failed to load: every token is refused until it is fixed') });
  const state = new StateDir(o.stateDir);
  const loaded = await state.load(RESOURCES);
  const store = new ObjectStore(loaded.resourceVersion, o.watchHistory);
  for (const { resource, object } of loaded.objects) store.seed(resource, object);
  return {
    source: apiSource(store),
    serve(holder, requestLog) {
      const writer = new Writer(store, state, holder);
      writer.syncReadOnly();
      holder.onReload((outcome) => outcome.ok && writer.syncReadOnly());
      const deps = { store, writer, now: o.now ?? (() => new Date()), bookmarkIntervalMs: o.bookmarkIntervalMs ?? 10_000 };
      return async (req, res) => {
        // A target that is not a URL is not an API path: the admin handler answers it (400).
        const url = requestUrl(req.url);
        if (!url || !API_PATH.test(url.pathname)) return false;
        try {
          const verdict = await authorizeBearer(tokens, req.headers.authorization, req.method ?? 'GET');
          if (!verdict.ok) throw verdict.status === 401 ? unauthorized() : forbidden(undefined, '', 'this token may only read (get, list, watch)');
          await route(deps, req, res, url);
        } catch (err) {
          if (!(err instanceof ApiError)) {
            requestLog.error({ err, path: url.pathname }, 'rules API request failed');
            sendError(res, new ApiError(500, 'InternalError', 'an error on the server has prevented the request from succeeding'));
          } else sendError(res, err, url.searchParams.get('pretty') === 'true');
        }
        return true;
      };
    },
  };
}
