// Who may use mirrorgate: one check per request, made at dispatch.
//
// Pull API (everything but the admin paths), off unless `auth.htpasswd` or
// `auth.tokens` is set: `/v2/` and every pull route answer 401 UNAUTHORIZED
// with `WWW-Authenticate: Basic realm="mirrorgate"` until the request carries
// `Authorization: Basic` for an htpasswd user, or a static token either as
// `Authorization: Bearer <token>` or as the password of Basic credentials
// (any user name) — the form `skopeo --creds`, `ctr --user` and `podman login`
// send after a Basic challenge (distribution-spec "API version check": a 401
// from /v2/ carries the challenge the client answers).
//
// Admin paths, when `admin.tokens` is set: /metrics and /status need a bearer
// token from that file; /healthz stays open for probes, and /readyz answers
// probes but keeps its details (rules generation, reload errors) for token
// holders. A separate admin listener (`admin.listen`) is safer still.
import type { IncomingMessage } from 'node:http';
import { OciError } from '../../core/oci/errors.js';
import type { Settings } from '../../config/settings.js';
import type { Logger } from '../../observability/logger.js';
import { isAdminPath } from '../admin.js';
import { Htpasswd } from './htpasswd.js';
import { authorizeBearer, bearerToken, TokenFile } from './token-file.js';
import { SETTING_OF, type AuthFileSetting, type AuthFileWatch } from './file-state.js';
import type { FileEvents } from './watched-file.js';
import { GateFullError } from './work-gate.js';

export interface Access {
  readonly htpasswd?: Htpasswd;
  readonly pullTokens?: TokenFile;
  readonly adminTokens?: TokenFile;
}

/** What a request may see once admitted. */
export interface Granted {
  /** Whether /readyz may show its details. */
  readonly adminDetails: boolean;
}

const PULL_CHALLENGE = { 'www-authenticate': 'Basic realm="mirrorgate", charset="UTF-8"' };
const ADMIN_CHALLENGE = { 'www-authenticate': 'Bearer realm="mirrorgate-admin"' };
const OPEN_ADMIN_PATHS = ['/healthz', '/readyz'];

/** Loads the files the settings name; any that cannot be read or parsed fails start-up. */
export async function loadAccess(settings: Settings, log: Logger, watch: AuthFileWatch = () => {}): Promise<Access> {
  const events = (setting: AuthFileSetting): FileEvents => ({
    onProblem: (error) => {
      log.error({ setting, file: error.file, problems: error.problems }, 'auth file failed to load: every credential from it is refused until it is fixed');
      watch(setting, false);
    },
    onRecovered: (file) => {
      log.info({ setting, file }, 'auth file loads again: its credentials are accepted again');
      watch(setting, true);
    },
  });
  const { htpasswdFile, tokensFile, adminTokensFile } = settings.auth;
  return {
    ...(htpasswdFile ? { htpasswd: await Htpasswd.open(htpasswdFile, events(SETTING_OF.htpasswd)) } : {}),
    ...(tokensFile ? { pullTokens: await TokenFile.open(tokensFile, events(SETTING_OF.pullTokens)) } : {}),
    ...(adminTokensFile ? { adminTokens: await TokenFile.open(adminTokensFile, events(SETTING_OF.adminTokens)) } : {}),
  };
}

const OPEN: Granted = { adminDetails: false };
const ADMIN_OPEN: Granted = { adminDetails: true };

/**
 * Admits the request or throws (rejects with) the OciError to answer (401
 * with a challenge, or 403). Without a credential to check, the answer comes
 * at once, not as a promise: a request that awaits nothing costs no extra
 * turn of the microtask queue (issue 11: a cached manifest request's CPU).
 */
export function authorize(access: Access, req: IncomingMessage, path: string): Granted | Promise<Granted> {
  if (isAdminPath(path)) return access.adminTokens ? authorizeAdmin(access.adminTokens, req, path) : ADMIN_OPEN;
  if (!access.htpasswd && !access.pullTokens) return OPEN;
  return authorizePull(access, req.headers.authorization);
}

async function authorizeAdmin(adminTokens: TokenFile, req: IncomingMessage, path: string): Promise<Granted> {
  const verdict = await authorizeBearer(adminTokens, req.headers.authorization, req.method ?? 'GET');
  if (verdict.ok) return ADMIN_OPEN;
  if (OPEN_ADMIN_PATHS.includes(path)) return OPEN;
  throw verdict.status === 401 ? new OciError('UNAUTHORIZED', 'an admin token is required', undefined, ADMIN_CHALLENGE) : new OciError('DENIED', 'this admin token may only read');
}

async function authorizePull(access: Access, authorization: string | undefined): Promise<Granted> {
  try {
    if (await pullAllowed(access, authorization)) return OPEN;
  } catch (err) {
    if (err instanceof GateFullError) throw new OciError('TOOMANYREQUESTS', 'too many logins being verified; retry shortly', undefined, { 'retry-after': '1' });
    throw err;
  }
  throw new OciError('UNAUTHORIZED', 'authentication required', undefined, PULL_CHALLENGE);
}

async function pullAllowed(access: Access, authorization: string | undefined): Promise<boolean> {
  const bearer = bearerToken(authorization);
  if (bearer !== undefined) return (await access.pullTokens?.check(bearer)) !== undefined;
  const basic = basicCredentials(authorization);
  if (!basic) return false;
  if (access.pullTokens && (await access.pullTokens.check(basic.password))) return true;
  return (await access.htpasswd?.verify(basic.user, basic.password)) ?? false;
}

/**
 * `Authorization: Basic base64(user:password)` (RFC 7617); the password may contain colons.
 * Credentials with a control character are none: RFC 7617 2 says the user-id and password
 * MUST NOT contain one, and bcrypt cycles the key with its terminating NUL, so for a user
 * whose password is P it also accepts P NUL P (red-team finding).
 */
function basicCredentials(authorization: string | undefined): { user: string; password: string } | undefined {
  const m = /^basic +([A-Za-z0-9+/]+=*) *$/i.exec(authorization ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || /\p{Cc}/u.test(decoded)) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
