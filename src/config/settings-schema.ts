// Every setting, declared once: its TOML place (section and key), type,
// default, help text and where its value goes in the frozen Settings. The
// Settings type, the environment variable names (MIRRORGATE_<SECTION>_<KEY>),
// the validation and the README settings table are all derived from here.

export type Kind = 'string' | 'boolean' | 'integer' | 'list' | 'map';

/** The value a TOML document or an environment variable gives a key of that kind. */
type Raw<K extends Kind> = K extends 'string'
  ? string
  : K extends 'boolean'
    ? boolean
    : K extends 'integer'
      ? number
      : K extends 'list'
        ? readonly string[]
        : Readonly<Record<string, string>>;

export interface Convert {
  /** Resolves a path relative to the settings file. */
  readonly path: (p: string) => string;
}

export interface KeyDecl<K extends Kind = Kind, F extends string = string, V = unknown> {
  readonly kind: K;
  readonly default: Raw<K>;
  /** Where the value goes in Settings: `field`, or `group.field` for a nested object. */
  readonly field: F;
  /** One line for the README settings table. */
  readonly help: string;
  /** The default as the README shows it, when the value itself reads badly (4194304 bytes). */
  readonly shownDefault?: string;
  readonly check?: (value: Raw<K>) => string | undefined;
  readonly to: (value: Raw<K>, convert: Convert) => V;
}

interface KeyOptions<K extends Kind> {
  readonly check?: (value: Raw<K>) => string | undefined;
  readonly shownDefault?: string;
}

/**
 * Declares a key. Without `to`, the value is stored as it is; with it, the
 * converted value, and the Settings field takes `to`'s return type.
 */
function key<K extends Kind, const F extends string>(kind: K, fallback: Raw<K>, field: F, help: string, options?: KeyOptions<K>): KeyDecl<K, F, Raw<K>>;
function key<K extends Kind, const F extends string, V>(kind: K, fallback: Raw<K>, field: F, help: string, options: KeyOptions<K> & { to: (value: Raw<K>, convert: Convert) => V }): KeyDecl<K, F, V>;
function key<K extends Kind, const F extends string, V>(kind: K, fallback: Raw<K>, field: F, help: string, options: KeyOptions<K> & { to?: (value: Raw<K>, convert: Convert) => V } = {}): KeyDecl<K, F, unknown> {
  const { to = (value: Raw<K>) => value, check, shownDefault } = options;
  return { kind, default: fallback, field, help, to, ...(check ? { check } : {}), ...(shownDefault ? { shownDefault } : {}) };
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

function parseListen(address: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

const checkListen = (address: string): string | undefined => (parseListen(address) ? undefined : `${JSON.stringify(address)} is not host:port (use [::1]:5000 for IPv6)`);
const checkAdvertise = (address: string): string | undefined =>
  /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.test(address) ? undefined : `${JSON.stringify(address)} is not host[:port] (no scheme, no path)`;
const listenAddresses = (v: readonly string[]): readonly ListenAddress[] => v.map((a) => parseListen(a) as ListenAddress);
const positive = (v: number) => (v > 0 ? undefined : 'must be greater than 0');
/** RFC 9110 §5.6.2 token: anything else would make every response fail as it is written. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * Headers mirrorgate writes itself, and hop-by-hop ones: the served-by header
 * must not be one of them, or a response would carry a second, contradicting
 * value (a length, a digest) that a client could take instead of the real one.
 */
const OWN_HEADERS = new Set(['cache-control', 'connection', 'content-length', 'content-range', 'content-type', 'date', 'docker-content-digest', 'docker-distribution-api-version', 'keep-alive', 'location', 'oci-filters-applied', 'oci-namespace', 'retry-after', 'transfer-encoding', 'upgrade', 'www-authenticate', 'x-content-type-options', 'x-request-id']);
const checkServedByHeader = (v: string) => {
  if (v === '') return undefined;
  if (!HEADER_NAME.test(v)) return 'must be an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~)';
  return OWN_HEADERS.has(v.toLowerCase()) ? `${JSON.stringify(v)} is a header mirrorgate writes itself: name another` : undefined;
};
const oneOf = (values: readonly string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const HEDGE_MODES = ['off', 'fixed', 'adaptive'] as const;
/** An unset path stays unset; a set one is resolved against the settings file. */
const optionalPath = (v: string, { path }: Convert): string | undefined => (v === '' ? undefined : path(v));

export const SETTINGS = {
  server: {
    listen: key('list', ['127.0.0.1:5000'], 'listen', 'addresses to listen on (`[::1]:5000` for IPv6)', {
      check: (v) => (v.length === 0 ? 'needs at least one address' : v.map(checkListen).find(Boolean)),
      to: listenAddresses,
    }),
    tls_cert: key('string', '', 'tlsCertFile', 'serve HTTPS with this PEM certificate (and `server.tls_key`); plain HTTP when unset', { to: optionalPath, shownDefault: 'unset' }),
    tls_key: key('string', '', 'tlsKeyFile', 'the PEM key of `server.tls_cert`', { to: optionalPath, shownDefault: 'unset' }),
    advertise: key('list', [], 'advertise', 'the addresses (`host[:port]`) clients use for mirrorgate; a mirror at one of them is mirrorgate itself and is left out of every plan (see "OpenShift")', {
      check: (v) => v.map(checkAdvertise).find(Boolean),
    }),
    served_by_header: key('string', 'X-Mirrorgate-Served-By', 'servedByHeader', 'response header naming the endpoint that served; empty disables it; a header mirrorgate writes itself (`Content-Length`, `Docker-Content-Digest`...) is refused', { check: checkServedByHeader }),
    send_timeout_ms: key('integer', 60_000, 'dataPath.sendTimeoutMs', 'a client that accepts no bytes for this long is disconnected and its upstream request aborted, so slow readers cannot hold the upstream connection pool', { check: positive }),
    shutdown_grace_ms: key('integer', 30_000, 'dataPath.shutdownGraceMs', 'on SIGTERM/SIGINT, how long in-flight requests may run before the process exits', { check: positive }),
    headers_timeout_ms: key('integer', 10_000, 'clientLimits.headersTimeoutMs', "a connection that has not sent a request's headers by then (slowloris) gets 408 and is closed; idle keep-alive connections between requests are not affected (they close after 75 s). A request body, which mirrorgate never reads, gets 60 s; answers are not bounded by it", { check: positive }),
    max_connections: key('integer', 10_000, 'clientLimits.maxConnections', 'connections open at once per listener (the admin listener has its own); at the limit the connection idle longest between requests is closed for a new one; when none is idle the new one is closed unanswered', { check: positive }),
  },
  admin: {
    listen: key('list', [], 'adminListen', 'serve `/metrics`, `/healthz`, `/readyz`, `/status` on these addresses only; empty: on the main listeners', {
      check: (v) => v.map(checkListen).find(Boolean),
      to: listenAddresses,
    }),
    tokens: key('string', '', 'auth.adminTokensFile', 'token file (see Security): `/metrics` and `/status` need `Authorization: Bearer <token>`; `/healthz` stays open and `/readyz` answers probes without its details', { to: optionalPath, shownDefault: 'unset' }),
    tls_cert: key('string', '', 'adminTlsCertFile', 'serve the admin listener (and the rules API on it) over HTTPS with this PEM certificate (and `admin.tls_key`)', { to: optionalPath, shownDefault: 'unset' }),
    tls_key: key('string', '', 'adminTlsKeyFile', 'the PEM key of `admin.tls_cert`', { to: optionalPath, shownDefault: 'unset' }),
  },
  auth: {
    htpasswd: key('string', '', 'auth.htpasswdFile', 'bcrypt htpasswd file (`htpasswd -B`): pulls need `Basic` credentials of one of its users (see Security)', { to: optionalPath, shownDefault: 'unset' }),
    tokens: key('string', '', 'auth.tokensFile', 'token file: pulls need one of its tokens, as `Bearer <token>` or as the `Basic` password with any user name', { to: optionalPath, shownDefault: 'unset' }),
  },
  api: {
    enabled: key('boolean', false, 'api.enabled', 'serve the Kubernetes-style rules API on the admin listener (needs `admin.listen`, `api.state_dir` and `api.tokens`)'),
    state_dir: key('string', '', 'api.stateDir', 'where the rules API keeps its objects, durably', { to: optionalPath, shownDefault: 'unset' }),
    tokens: key('string', '', 'api.tokensFile', 'bearer tokens file of the rules API', { to: optionalPath, shownDefault: 'unset' }),
    watch_history: key('integer', 1_000, 'api.watchHistory', 'changes kept for watches to resume from; older resource versions answer 410', { check: positive }),
  },
  rules: {
    paths: key('list', [], 'rulePaths', 'rule files and directories, as for `resolve`', {
      to: (v: readonly string[], { path }: Convert) => v.map(path),
      shownDefault: '(required unless `rules.kubernetes`)',
    }),
    kubernetes: key('string', '', 'kubernetes', 'follow the rule kinds on a cluster: `in-cluster` or a kubeconfig path ("Replicas that follow a cluster")', {
      to: (v: string, { path }: Convert) => (v === '' || v === 'in-cluster' ? v : path(v)),
      shownDefault: '`""`',
    }),
  },
  upstream: {
    default_registry: key('string', 'docker.io', 'defaultRegistry', 'where names with no registry go (Docker `registry-mirrors`)'),
    open: key('boolean', false, 'open', 'contact registries the rules do not name (at public addresses only, see [Upstream trust](#upstream-trust))'),
    allow: key('list', [], 'allow', 'more registries that may be contacted, at any address; `*.example.com` matches subdomains'),
    allow_teredo: key('boolean', false, 'allowTeredo', 'let hosts the rules do not name resolve to Teredo addresses (`2001::/32`) whose embedded server and client IPv4 addresses are public; refused by default, as no registry serves from a tunnel endpoint whose IPv4 addresses the name\'s publisher chooses (see [Upstream trust](#upstream-trust))'),
    aliases: key('map', {}, 'aliases', 'path names for registries that cannot be a path component', {
      to: (v): ReadonlyMap<string, string> => new Map(Object.entries(v)),
    }),
    credentials: key('string', '', 'credentialsFile', 'containers `auth.json` or Docker `config.json` for upstream logins', { to: optionalPath, shownDefault: 'unset' }),
    connect_timeout_ms: key('integer', 5_000, 'connectTimeoutMs', 'per upstream request: connecting', { check: positive }),
    headers_timeout_ms: key('integer', 30_000, 'headersTimeoutMs', 'per upstream request: waiting for the response headers', { check: positive }),
    body_idle_timeout_ms: key('integer', 30_000, 'bodyIdleTimeoutMs', 'per upstream request: a body that sends nothing for this long', { check: positive }),
    max_manifest_bytes: key('integer', 4 * 1024 * 1024, 'maxManifestBytes', 'larger manifests are refused, never buffered', { check: positive, shownDefault: '4 MiB' }),
    manifest_buffer_bytes: key('integer', 32 * 1024 * 1024, 'manifestBufferBytes', 'manifest, tag-list and referrers bodies held for reading, parsing and verification at once, over all requests; others wait (up to `headers_timeout_ms`, then the client gets 429 TOOMANYREQUESTS). JSON from upstreams nesting deeper than 64 levels is refused as `declined` before it is parsed', { check: positive, shownDefault: '32 MiB' }),
    allow_schema1: key('boolean', false, 'allowSchema1', "serve deprecated Docker schema-1 manifests (containerd 2 and distribution 3 refuse them too). Refused ones are `declined` from that endpoint (failover, but no mark against its health); when no endpoint has anything else the client gets `400 MANIFEST_INVALID`. When allowed, a signed schema-1 body must be exactly its payload plus a last `signatures` member (the payload is derived from the body, not from the upstream's `formatLength`/`formatTail`), else it is a digest mismatch"),
    affinity_ttl_ms: key('integer', 10 * 60_000, 'affinityTtlMs', 'how long a digest that a served manifest references prefers the endpoint that served that manifest', { check: positive }),
    min_bytes_per_s: key('integer', 16 * 1024, 'dataPath.minBytesPerS', "a blob body slower than this over `stall_window_ms` of waiting for it is a stall: the pull resumes with `Range` on the next endpoint and the stall counts against the endpoint's health (time spent waiting for a slow client does not count)", { check: positive }),
    stall_window_ms: key('integer', 10_000, 'dataPath.stallWindowMs', 'the window over which `min_bytes_per_s` is measured', { check: positive }),
    hash_workers: key('integer', 0, 'dataPath.hashWorkers', 'worker threads that hash large blobs while the main thread copies them to the client (a cold verified stream is otherwise limited by one core\'s SHA-256); a blob that finds them all busy is hashed inline; 0 hashes everything inline', { check: (v) => (v >= 0 ? undefined : 'must be 0 or more') }),
    hash_worker_min_bytes: key('integer', 4 * 1024 * 1024, 'dataPath.hashWorkerMinBytes', 'blobs declared smaller than this are hashed inline, where a worker would cost more than it saves', { check: positive, shownDefault: '4 MiB' }),
    pull_deadline_ms: key('integer', 30 * 60_000, 'dataPath.pullDeadlineMs', 'every request ends by then: 504 `GATEWAY_TIMEOUT`, or a broken body once streaming; its upstream requests are aborted', { check: positive }),
    max_retry_after_ms: key('integer', 5 * 60_000, 'maxRetryAfterMs', "the longest an upstream's `Retry-After` keeps it out of the walks; the wait passed on to clients is capped too", { check: positive }),
  },
  health: {
    failure_threshold: key('integer', 3, 'health.failureThreshold', 'circuit breaker: consecutive failures that open an endpoint', { check: positive }),
    cool_down_ms: key('integer', 10_000, 'health.coolDownMs', 'circuit breaker: how long an open endpoint is skipped', { check: positive }),
    max_endpoints: key('integer', 1_000, 'health.maxEndpoints', 'endpoints whose circuit, latency and `Retry-After` are remembered; beyond it the least recently used are forgotten (in `open` mode every host a client names would otherwise stay)', { check: positive }),
  },
  hedge: {
    mode: key('string', 'adaptive', 'hedge.mode', 'hedged manifest and HEAD requests: `off`, `fixed` or `adaptive`', {
      check: oneOf(HEDGE_MODES),
      to: (v: string) => v as (typeof HEDGE_MODES)[number],
    }),
    delay_ms: key('integer', 500, 'hedge.delayMs', 'hedge delay (`fixed`), its upper bound (`adaptive`)', { check: positive }),
    min_delay_ms: key('integer', 50, 'hedge.minDelayMs', 'lower bound of the adaptive hedge delay', { check: positive }),
  },
  cache: {
    max_bytes: key('integer', 64 * 1024 * 1024, 'cache.maxBytes', 'manifests kept in memory', { check: positive, shownDefault: '64 MiB' }),
    tag_ttl_ms: key('integer', 30_000, 'cache.tagTtlMs', 'tag freshness', { check: positive }),
    stale_if_error: key('boolean', true, 'cache.staleIfError', 'serve a stale tag when every endpoint fails'),
    stale_max_ms: key('integer', 24 * 3600_000, 'cache.staleMaxMs', 'how stale such a tag may be', { check: positive, shownDefault: '1 day' }),
    negative_ttl_ms: key('integer', 5_000, 'cache.negativeTtlMs', '"not found" memory', { check: positive }),
    coalesce: key('boolean', true, 'cache.coalesce', 'identical concurrent manifest fetches share one upstream request'),
  },
  // A sub-table: [cache.blobs] in the file, MIRRORGATE_CACHE_BLOBS_<KEY> in the environment.
  'cache.blobs': {
    dir: key('string', '', 'blobCache.dir', "disk blob cache directory (`[cache.blobs]` table; on in `config/mirrorgate.toml` and the Kubernetes files); it and every directory in it must belong to mirrorgate's user and not be writable by group or others (else start fails, naming the path); files found there are hashed before their first use", {
      to: (v: string, { path }: Convert) => (v === '' ? '' : path(v)),
      shownDefault: 'unset (off)',
    }),
    max_bytes: key('integer', 10 * 1024 ** 3, 'blobCache.maxBytes', 'disk blob cache size; least recently used blobs are evicted beyond it', { check: positive, shownDefault: '10 GiB' }),
    verify_before_serve_bytes: key('integer', 4 * 1024 * 1024, 'blobCache.verifyBeforeServeBytes', 'blobs up to this size are verified whole before their first byte is sent (with or without the disk cache)', {
      check: (v: number) => (v >= 0 ? undefined : 'must be 0 or more'),
      shownDefault: '4 MiB',
    }),
    max_fill_memory_bytes: key('integer', 64 * 1024 * 1024, 'blobCache.maxFillMemoryBytes', "memory all fills of the disk cache hold together (each fill's own bound: a 2 MiB window for the readers that keep up, 4 MiB while one of them has not sent its chunks, plus up to 4 MiB not yet written); past it a fill waits for the disk and its readers read from its file (`mirrorgate_blob_fill_memory_bytes`)", {
      check: (v: number) => (v >= 0 ? undefined : 'must be 0 or more'),
      shownDefault: '64 MiB',
    }),
    max_send_buffer_bytes: key('integer', 64 * 1024 * 1024, 'blobCache.maxSendBufferBytes', "memory all responses sending cached blobs hold together in read buffers (two 4 MiB buffers shared by a few, else two 256 KiB buffers each; a reader of a fill in flight one 256 KiB buffer, which also caps the fill's chunks one of its writes holds); past it a response never waits: it reads through 64 KiB buffers outside the budget (two for a cached file, one for a fill). A response lends only once it owns its connection (a pipelined one waits its turn), so past the budget memory stays within 128 KiB per connection, 2 × 64 KiB × `server.max_connections` (1.25 GiB at the default 10000) (`mirrorgate_blob_send_buffer_bytes`: the budget's part)", {
      check: (v: number) => (v >= 1024 * 1024 ? undefined : 'must be at least 1 MiB (two 256 KiB buffers and room for more)'),
      shownDefault: '64 MiB',
    }),
  },
  metrics: {
    max_endpoints: key('integer', 100, 'metricsMaxEndpoints', 'upstream endpoints with their own `endpoint` label and `/status` card; the rest share `other`', { check: positive }),
  },
  log: {
    level: key('string', 'info', 'logLevel', 'pino level; one JSON line per request', { check: oneOf(LOG_LEVELS) }),
    flush_ms: key('integer', 100, 'logFlushMs', 'log lines (JSON, on stdout) are written in batches of up to 64 KiB, at least this often, and at exit; 0 writes each line at once. A process killed without its exit handlers (SIGKILL, an abort) loses at most the batch not yet written', {
      check: (v: number) => (v >= 0 && v <= 10_000 ? undefined : 'must be 0 to 10000'),
    }),
  },
} as const satisfies Readonly<Record<string, Readonly<Record<string, KeyDecl>>>>;

// The Settings type, derived: each key's field, with `to`'s type; `group.field` nests.
type Decls = typeof SETTINGS;
type AnyDecl = { [S in keyof Decls]: Decls[S][keyof Decls[S]] }[keyof Decls];
type ValueOf<D> = D extends KeyDecl<Kind, string, infer V> ? V : never;
type FieldsOf<D> = D extends { field: infer F extends string } ? F : never;
type TopFields = Exclude<FieldsOf<AnyDecl>, `${string}.${string}`>;
type Groups = FieldsOf<AnyDecl> extends infer F ? (F extends `${infer G}.${string}` ? G : never) : never;
type Flat = { readonly [F in TopFields]: ValueOf<Extract<AnyDecl, { field: F }>> };
type Grouped = { readonly [G in Groups]: { readonly [F in FieldsOf<AnyDecl> as F extends `${G}.${infer N}` ? N : never]: ValueOf<Extract<AnyDecl, { field: F }>> } };

export type DeclaredSettings = Flat & Grouped;

/** `MIRRORGATE_<SECTION>_<KEY>`. */
export const envName = (section: string, name: string): string => `MIRRORGATE_${section.replace('.', '_')}_${name}`.toUpperCase();
