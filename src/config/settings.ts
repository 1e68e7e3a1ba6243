// mirrorgate.toml -> validated, frozen Settings. Defaults live in one table
// with units in the key names; MIRRORGATE_<SECTION>_<KEY> environment
// variables override the file; every bad setting is reported at once.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'smol-toml';

export interface Settings {
  readonly listen: readonly { host: string; port: number }[];
  /** The addresses (`host[:port]`) clients use for mirrorgate: mirrors there are mirrorgate itself. */
  readonly advertise: readonly string[];
  /** Where /metrics, /healthz, /readyz and /status are served; empty: on the main listeners. */
  readonly adminListen: readonly { host: string; port: number }[];
  /** Response header naming the endpoint that served; empty disables it. */
  readonly servedByHeader: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** TLS for the admin listener (and the rules API on it). */
  readonly adminTls?: { readonly certFile: string; readonly keyFile: string };
  readonly rulePaths: readonly string[];
  /** Follow the rule kinds on a cluster: '' (off), `in-cluster` (the pod's service account), or a kubeconfig path. */
  readonly kubernetes: string;
  readonly defaultRegistry: string;
  readonly aliases: ReadonlyMap<string, string>;
  readonly open: boolean;
  readonly allow: readonly string[];
  readonly credentialsFile?: string;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
  readonly maxManifestBytes: number;
  /** Bytes of manifest bodies held for reading and verification at once, over all requests. */
  readonly manifestBufferBytes: number;
  /** Serve deprecated Docker schema-1 manifests (refused by default, as containerd 2 and distribution 3 do). */
  readonly allowSchema1: boolean;
  readonly affinityTtlMs: number;
  /** The longest an upstream's Retry-After keeps it out of the walks, and is passed on to clients. */
  readonly maxRetryAfterMs: number;
  readonly logLevel: string;
  /** Upstream endpoints with a metric label of their own; the rest are `other`. */
  readonly metricsMaxEndpoints: number;
  readonly health: { readonly failureThreshold: number; readonly coolDownMs: number; readonly maxEndpoints: number };
  readonly hedge: { readonly mode: 'off' | 'fixed' | 'adaptive'; readonly delayMs: number; readonly minDelayMs: number };
  /** Timeout overrides per upstream host[:port]. */
  readonly endpointTimeouts: ReadonlyMap<string, EndpointTimeouts>;
  /** Inbound authentication files; all absent: anyone who reaches the port may pull. */
  readonly auth: { readonly htpasswdFile?: string; readonly tokensFile?: string; readonly adminTokensFile?: string };
  /** Data-path bounds: stall detection, the overall pull deadline, slow readers, shutdown. */
  readonly dataPath: { readonly minBytesPerS: number; readonly stallWindowMs: number; readonly pullDeadlineMs: number; readonly sendTimeoutMs: number; readonly shutdownGraceMs: number };
  /** The rules API on the admin listener: off unless enabled; objects persisted under stateDir; bearer tokens file. */
  readonly api: { readonly enabled: boolean; readonly stateDir?: string; readonly tokensFile?: string; readonly watchHistory: number };
  readonly cache: { readonly maxBytes: number; readonly tagTtlMs: number; readonly staleIfError: boolean; readonly staleMaxMs: number; readonly negativeTtlMs: number; readonly coalesce: boolean };
  /** The disk blob cache; `dir` empty: off. */
  readonly blobCache: { readonly dir: string; readonly maxBytes: number; readonly verifyBeforeServeBytes: number };
}

export interface EndpointTimeouts {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
}

type Kind = 'string' | 'boolean' | 'integer' | 'list' | 'map';
interface Key {
  readonly kind: Kind;
  readonly default: unknown;
  readonly check?: (value: never) => string | undefined;
}

const EXPECTED: Readonly<Record<Kind, string>> = { string: 'a string', boolean: 'a boolean', integer: 'an integer', list: 'a list of strings', map: 'a table of strings' };
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const positive = (v: number) => (v > 0 ? undefined : 'must be greater than 0');

/** Every setting, its type and default. */
export const SCHEMA: Readonly<Record<string, Readonly<Record<string, Key>>>> = {
  server: {
    listen: { kind: 'list', default: ['127.0.0.1:5000'], check: (v: string[]) => (v.length === 0 ? 'needs at least one address' : v.map(checkListen).find(Boolean)) },
    tls_cert: { kind: 'string', default: '' },
    served_by_header: { kind: 'string', default: 'X-Mirrorgate-Served-By' },
    tls_key: { kind: 'string', default: '' },
    advertise: { kind: 'list', default: [], check: (v: string[]) => v.map(checkAdvertise).find(Boolean) },
    send_timeout_ms: { kind: 'integer', default: 60_000, check: positive },
    shutdown_grace_ms: { kind: 'integer', default: 30_000, check: positive },
  },
  admin: {
    listen: { kind: 'list', default: [], check: (v: string[]) => v.map(checkListen).find(Boolean) },
    tokens: { kind: 'string', default: '' },
    tls_cert: { kind: 'string', default: '' },
    tls_key: { kind: 'string', default: '' },
  },
  auth: {
    htpasswd: { kind: 'string', default: '' },
    tokens: { kind: 'string', default: '' },
  },
  api: {
    enabled: { kind: 'boolean', default: false },
    state_dir: { kind: 'string', default: '' },
    tokens: { kind: 'string', default: '' },
    watch_history: { kind: 'integer', default: 1_000, check: positive },
  },
  rules: {
    paths: { kind: 'list', default: [] },
    kubernetes: { kind: 'string', default: '' },
  },
  upstream: {
    default_registry: { kind: 'string', default: 'docker.io' },
    open: { kind: 'boolean', default: false },
    allow: { kind: 'list', default: [] },
    aliases: { kind: 'map', default: {} },
    credentials: { kind: 'string', default: '' },
    connect_timeout_ms: { kind: 'integer', default: 5_000, check: positive },
    headers_timeout_ms: { kind: 'integer', default: 30_000, check: positive },
    body_idle_timeout_ms: { kind: 'integer', default: 30_000, check: positive },
    max_manifest_bytes: { kind: 'integer', default: 4 * 1024 * 1024, check: positive },
    manifest_buffer_bytes: { kind: 'integer', default: 32 * 1024 * 1024, check: positive },
    allow_schema1: { kind: 'boolean', default: false },
    affinity_ttl_ms: { kind: 'integer', default: 10 * 60_000, check: positive },
    min_bytes_per_s: { kind: 'integer', default: 16 * 1024, check: positive },
    stall_window_ms: { kind: 'integer', default: 10_000, check: positive },
    pull_deadline_ms: { kind: 'integer', default: 30 * 60_000, check: positive },
    max_retry_after_ms: { kind: 'integer', default: 5 * 60_000, check: positive },
  },
  health: {
    failure_threshold: { kind: 'integer', default: 3, check: positive },
    cool_down_ms: { kind: 'integer', default: 10_000, check: positive },
    max_endpoints: { kind: 'integer', default: 1_000, check: positive },
  },
  hedge: {
    mode: { kind: 'string', default: 'adaptive', check: (v: string) => (['off', 'fixed', 'adaptive'].includes(v) ? undefined : 'must be off, fixed or adaptive') },
    delay_ms: { kind: 'integer', default: 500, check: positive },
    min_delay_ms: { kind: 'integer', default: 50, check: positive },
  },
  cache: {
    max_bytes: { kind: 'integer', default: 64 * 1024 * 1024, check: positive },
    tag_ttl_ms: { kind: 'integer', default: 30_000, check: positive },
    stale_if_error: { kind: 'boolean', default: true },
    stale_max_ms: { kind: 'integer', default: 24 * 3600_000, check: positive },
    negative_ttl_ms: { kind: 'integer', default: 5_000, check: positive },
    coalesce: { kind: 'boolean', default: true },
  },
  // A sub-table: [cache.blobs] in the file, MIRRORGATE_CACHE_BLOBS_<KEY> in the environment.
  'cache.blobs': {
    dir: { kind: 'string', default: '' },
    max_bytes: { kind: 'integer', default: 10 * 1024 ** 3, check: positive },
    verify_before_serve_bytes: { kind: 'integer', default: 4 * 1024 * 1024, check: (v: number) => (v >= 0 ? undefined : 'must be 0 or more') },
  },
  metrics: {
    max_endpoints: { kind: 'integer', default: 100, check: positive },
  },
  log: {
    level: { kind: 'string', default: 'info', check: (v: string) => (LOG_LEVELS.includes(v) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`) },
  },
};

export class InvalidSettingsError extends Error {
  override readonly name = 'InvalidSettingsError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid settings in ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

function checkListen(address: string): string | undefined {
  return parseListen(address) ? undefined : `${JSON.stringify(address)} is not host:port (use [::1]:5000 for IPv6)`;
}

function checkAdvertise(address: string): string | undefined {
  return /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/.test(address) ? undefined : `${JSON.stringify(address)} is not host[:port] (no scheme, no path)`;
}

function parseListen(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Converts an environment string to the key's type; lists are comma-separated, maps `a=b,c=d`. */
function fromEnv(kind: Kind, text: string): unknown {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  switch (kind) {
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : text;
    case 'list':
      return items;
    case 'map':
      return Object.fromEntries(items.map((i) => i.split('=', 2)));
    default:
      return text;
  }
}

function typeOk(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'map':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  }
}

/** Validates a parsed TOML document plus environment overrides; relative paths are resolved against `baseDir`. */
export function settingsFrom(doc: Record<string, unknown>, env: NodeJS.ProcessEnv, baseDir: string, file: string): Settings {
  const problems: string[] = [];
  const values: Record<string, Record<string, unknown>> = {};
  for (const section of Object.keys(doc)) {
    if (!(section in SCHEMA) && section !== 'endpoint_timeouts') problems.push(`${section}: unknown section`);
  }
  for (const [section, keys] of Object.entries(SCHEMA)) {
    const table = (section.split('.').reduce<unknown>((t, name) => (t as Record<string, unknown> | undefined)?.[name], doc) ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(table)) if (!(key in keys) && !(`${section}.${key}` in SCHEMA)) problems.push(`${section}.${key}: unknown setting`);
    values[section] = {};
    for (const [key, spec] of Object.entries(keys)) {
      const envName = `MIRRORGATE_${section.replace('.', '_')}_${key}`.toUpperCase();
      const raw = env[envName] !== undefined ? fromEnv(spec.kind, env[envName] as string) : (table[key] ?? spec.default);
      const where = env[envName] !== undefined ? `${section}.${key} (from ${envName})` : `${section}.${key}`;
      if (!typeOk(spec.kind, raw)) {
        problems.push(`${where}: expected ${EXPECTED[spec.kind]}, got ${JSON.stringify(raw)}`);
        continue;
      }
      const problem = spec.check?.(raw as never);
      if (problem) problems.push(`${where}: ${problem}`);
      (values[section] as Record<string, unknown>)[key] = raw;
    }
  }
  const endpointTimeouts = readEndpointTimeouts(doc.endpoint_timeouts, values.upstream as Record<string, number>, problems);
  const rules = values.rules as { paths?: string[]; kubernetes?: string };
  // Rules come from files or from a followed cluster; with neither there is nothing to serve by.
  if (rules.paths?.length === 0 && rules.kubernetes === '') problems.push('rules.paths: needs at least one rules file or directory, or rules.kubernetes to follow a cluster');
  if (problems.length > 0) throw new InvalidSettingsError(file, problems);
  return freeze(values, endpointTimeouts, baseDir, file);
}

const TIMEOUT_KEYS = { connect_timeout_ms: 'connectTimeoutMs', headers_timeout_ms: 'headersTimeoutMs', body_idle_timeout_ms: 'bodyIdleTimeoutMs' } as const;

/** `[endpoint_timeouts."host:port"]` tables; unset keys take the upstream defaults. */
function readEndpointTimeouts(raw: unknown, upstream: Record<string, number>, problems: string[]): Map<string, EndpointTimeouts> {
  const out = new Map<string, EndpointTimeouts>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('endpoint_timeouts: expected tables keyed by "host:port"');
    return out;
  }
  for (const [host, table] of Object.entries(raw as Record<string, unknown>)) {
    const t = (table ?? {}) as Record<string, unknown>;
    const timeouts: Record<string, number> = {};
    for (const [key, field] of Object.entries(TIMEOUT_KEYS)) {
      const value = t[key] ?? upstream[key];
      if (!Number.isInteger(value) || (value as number) <= 0) problems.push(`endpoint_timeouts."${host}".${key}: expected an integer greater than 0, got ${JSON.stringify(t[key])}`);
      timeouts[field] = value as number;
    }
    for (const key of Object.keys(t)) if (!(key in TIMEOUT_KEYS)) problems.push(`endpoint_timeouts."${host}".${key}: unknown setting`);
    out.set(host, timeouts as unknown as EndpointTimeouts);
  }
  return out;
}

function freeze(v: Record<string, Record<string, unknown>>, endpointTimeouts: Map<string, EndpointTimeouts>, baseDir: string, file: string): Settings {
  const get = <T>(section: string, key: string): T => (v[section] as Record<string, unknown>)[key] as T;
  const path = (p: string) => resolve(baseDir, p);
  const cert = get<string>('server', 'tls_cert');
  const key = get<string>('server', 'tls_key');
  if ((cert === '') !== (key === '')) throw new InvalidSettingsError(file, ['server.tls_cert and server.tls_key: set both or neither']);
  const kubernetes = get<string>('rules', 'kubernetes');
  const adminCert = get<string>('admin', 'tls_cert');
  const adminKey = get<string>('admin', 'tls_key');
  if ((adminCert === '') !== (adminKey === '')) throw new InvalidSettingsError(file, ['admin.tls_cert and admin.tls_key: set both or neither']);
  if (get<boolean>('api', 'enabled') && get<string[]>('admin', 'listen').length === 0) throw new InvalidSettingsError(file, ['api.enabled: the rules API is served on the admin listener; set admin.listen']);
  const credentials = get<string>('upstream', 'credentials');
  const optionalPath = (section: string, key: string): string | undefined => (get<string>(section, key) ? path(get<string>(section, key)) : undefined);
  const api = { stateDir: optionalPath('api', 'state_dir'), tokensFile: optionalPath('api', 'tokens') };
  if (get<boolean>('api', 'enabled') && (!api.stateDir || !api.tokensFile)) throw new InvalidSettingsError(file, ['api.state_dir and api.tokens: both are required when api.enabled is true']);
  const auth = { htpasswdFile: optionalPath('auth', 'htpasswd'), tokensFile: optionalPath('auth', 'tokens'), adminTokensFile: optionalPath('admin', 'tokens') };
  return Object.freeze({
    listen: get<string[]>('server', 'listen').map((a) => parseListen(a) as { host: string; port: number }),
    adminListen: get<string[]>('admin', 'listen').map((a) => parseListen(a) as { host: string; port: number }),
    advertise: get<string[]>('server', 'advertise'),
    servedByHeader: get<string>('server', 'served_by_header'),
    ...(cert ? { tls: { certFile: path(cert), keyFile: path(key) } } : {}),
    ...(adminCert ? { adminTls: { certFile: path(adminCert), keyFile: path(adminKey) } } : {}),
    rulePaths: get<string[]>('rules', 'paths').map(path),
    kubernetes: kubernetes === '' || kubernetes === 'in-cluster' ? kubernetes : path(kubernetes),
    defaultRegistry: get<string>('upstream', 'default_registry'),
    aliases: new Map(Object.entries(get<Record<string, string>>('upstream', 'aliases'))),
    open: get<boolean>('upstream', 'open'),
    allow: get<string[]>('upstream', 'allow'),
    ...(credentials ? { credentialsFile: path(credentials) } : {}),
    connectTimeoutMs: get<number>('upstream', 'connect_timeout_ms'),
    headersTimeoutMs: get<number>('upstream', 'headers_timeout_ms'),
    bodyIdleTimeoutMs: get<number>('upstream', 'body_idle_timeout_ms'),
    maxManifestBytes: get<number>('upstream', 'max_manifest_bytes'),
    manifestBufferBytes: get<number>('upstream', 'manifest_buffer_bytes'),
    allowSchema1: get<boolean>('upstream', 'allow_schema1'),
    affinityTtlMs: get<number>('upstream', 'affinity_ttl_ms'),
    maxRetryAfterMs: get<number>('upstream', 'max_retry_after_ms'),
    logLevel: get<string>('log', 'level'),
    metricsMaxEndpoints: get<number>('metrics', 'max_endpoints'),
    health: { failureThreshold: get<number>('health', 'failure_threshold'), coolDownMs: get<number>('health', 'cool_down_ms'), maxEndpoints: get<number>('health', 'max_endpoints') },
    hedge: { mode: get<'off' | 'fixed' | 'adaptive'>('hedge', 'mode'), delayMs: get<number>('hedge', 'delay_ms'), minDelayMs: get<number>('hedge', 'min_delay_ms') },
    endpointTimeouts,
    auth: Object.fromEntries(Object.entries(auth).filter(([, v]) => v !== undefined)),
    dataPath: {
      minBytesPerS: get<number>('upstream', 'min_bytes_per_s'),
      stallWindowMs: get<number>('upstream', 'stall_window_ms'),
      pullDeadlineMs: get<number>('upstream', 'pull_deadline_ms'),
      sendTimeoutMs: get<number>('server', 'send_timeout_ms'),
      shutdownGraceMs: get<number>('server', 'shutdown_grace_ms'),
    },
    api: { enabled: get<boolean>('api', 'enabled'), watchHistory: get<number>('api', 'watch_history'), ...Object.fromEntries(Object.entries(api).filter(([, v]) => v !== undefined)) },
    cache: {
      maxBytes: get<number>('cache', 'max_bytes'),
      tagTtlMs: get<number>('cache', 'tag_ttl_ms'),
      staleIfError: get<boolean>('cache', 'stale_if_error'),
      staleMaxMs: get<number>('cache', 'stale_max_ms'),
      negativeTtlMs: get<number>('cache', 'negative_ttl_ms'),
      coalesce: get<boolean>('cache', 'coalesce'),
    },
    blobCache: {
      dir: get<string>('cache.blobs', 'dir') && path(get<string>('cache.blobs', 'dir')),
      maxBytes: get<number>('cache.blobs', 'max_bytes'),
      verifyBeforeServeBytes: get<number>('cache.blobs', 'verify_before_serve_bytes'),
    },
  });
}

export async function loadSettings(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InvalidSettingsError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return settingsFromText(text, env, dirname(resolve(file)), file);
}

/** The TOML text of a settings file -> Settings, or InvalidSettingsError. */
export function settingsFromText(text: string, env: NodeJS.ProcessEnv, baseDir: string, file: string): Settings {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    throw new InvalidSettingsError(file, [`invalid TOML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return settingsFrom(doc, env, baseDir, file);
}
