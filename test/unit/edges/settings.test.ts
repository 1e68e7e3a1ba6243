import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { InvalidSettingsError, settingsFrom } from '../../../src/config/settings.js';

const base = { rules: { paths: ['rules'] } };
const problems = (doc: Record<string, unknown>, env: Record<string, string> = {}): string[] => {
  try {
    settingsFrom(doc, env, '/etc/mirrorgate', 'mirrorgate.toml');
  } catch (err) {
    if (err instanceof InvalidSettingsError) return [...err.problems];
    throw err;
  }
  return [];
};

describe('settings', () => {
  it('fills defaults and resolves paths against the config file', () => {
    const s = settingsFrom(base, {}, '/etc/mirrorgate', 'f');
    expect(s).toMatchObject({
      listen: [{ host: '127.0.0.1', port: 5000 }],
      rulePaths: ['/etc/mirrorgate/rules'],
      defaultRegistry: 'docker.io',
      open: false,
      connectTimeoutMs: 5000,
      maxManifestBytes: 4 * 1024 * 1024,
      logLevel: 'info',
    });
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('the served-by header must be a header name mirrorgate does not write itself', () => {
    expect(problems({ ...base, server: { served_by_header: 'Content-Length' } })).toEqual(['server.served_by_header: "Content-Length" is a header mirrorgate writes itself: name another']);
    expect(problems({ ...base, server: { served_by_header: 'docker-content-digest' } })).toHaveLength(1);
    expect(problems({ ...base, server: { served_by_header: 'X-Request-Id' } })).toHaveLength(1);
    expect(problems({ ...base, server: { served_by_header: 'Served By' } })).toEqual(["server.served_by_header: must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)"]);
    expect(problems({ ...base, server: { served_by_header: 'X-Served-By' } })).toEqual([]);
    expect(problems({ ...base, server: { served_by_header: '' } })).toEqual([]);
  });

  it('client limits: 10 s to send headers and 10,000 connections per listener unless set', () => {
    expect(settingsFrom(base, {}, '/d', 'f').clientLimits).toEqual({ headersTimeoutMs: 10_000, maxConnections: 10_000 });
    expect(settingsFrom({ ...base, server: { headers_timeout_ms: 500 } }, { MIRRORGATE_SERVER_MAX_CONNECTIONS: '64' }, '/d', 'f').clientLimits).toEqual({ headersTimeoutMs: 500, maxConnections: 64 });
    expect(problems({ ...base, server: { headers_timeout_ms: 0, max_connections: -1 } })).toEqual(['server.headers_timeout_ms: must be greater than 0', 'server.max_connections: must be greater than 0']);
  });

  it('inbound auth is off unless its files are named; their paths resolve against the config file', () => {
    expect(settingsFrom(base, {}, '/etc/mirrorgate', 'f').auth).toEqual({});
    const s = settingsFrom({ ...base, auth: { htpasswd: 'htpasswd', tokens: '/run/secrets/pull-tokens' }, admin: { tokens: 'admin-tokens' } }, {}, '/etc/mirrorgate', 'f');
    expect(s.auth).toEqual({ htpasswdFile: '/etc/mirrorgate/htpasswd', tokensFile: '/run/secrets/pull-tokens', adminTokensFile: '/etc/mirrorgate/admin-tokens' });
    expect(settingsFrom(base, { MIRRORGATE_AUTH_TOKENS: '/t' }, '/d', 'f').auth).toEqual({ tokensFile: '/t' });
    expect(problems({ ...base, auth: { htpasswd: 1, user: 'x' } })).toEqual(['auth.user: unknown setting', 'auth.htpasswd: expected a string, got 1']);
  });

  it('lets MIRRORGATE_* variables override the file', () => {
    const s = settingsFrom({ ...base, upstream: { open: false } }, {
      MIRRORGATE_SERVER_LISTEN: '[::1]:6000, 0.0.0.0:6001',
      MIRRORGATE_UPSTREAM_OPEN: 'true',
      MIRRORGATE_UPSTREAM_ALIASES: 'reg5000=registry.local:5000',
      MIRRORGATE_UPSTREAM_CONNECT_TIMEOUT_MS: '250',
    }, '/d', 'f');
    expect(s.listen).toEqual([{ host: '::1', port: 6000 }, { host: '0.0.0.0', port: 6001 }]);
    expect(s.open).toBe(true);
    expect(s.aliases.get('reg5000')).toBe('registry.local:5000');
    expect(s.connectTimeoutMs).toBe(250);
  });

  it('reports every bad setting at once, naming the key', () => {
    expect(
      problems({
        server: { listen: ['nowhere'], tls_cert: 'a.crt' },
        upstream: { open: 'yes', connect_timeout_ms: 0, bogus: 1 },
        log: { level: 'loud' },
        extra: {},
      }),
    ).toEqual([
      'extra: unknown section',
      'server.listen: "nowhere" is not host:port (use [::1]:5000 for IPv6)',
      'upstream.bogus: unknown setting',
      'upstream.open: expected a boolean, got "yes"',
      'upstream.connect_timeout_ms: must be greater than 0',
      'log.level: must be one of fatal, error, warn, info, debug, trace, silent',
      'rules.paths: needs at least one rules file or directory, or rules.kubernetes to follow a cluster',
    ]);
  });

  it('names the variable when an override is bad', () => {
    expect(problems(base, { MIRRORGATE_UPSTREAM_HEADERS_TIMEOUT_MS: 'soon' })).toEqual([
      'upstream.headers_timeout_ms (from MIRRORGATE_UPSTREAM_HEADERS_TIMEOUT_MS): expected an integer, got "soon"',
    ]);
  });

  it('wants both TLS files or neither', () => {
    expect(problems({ ...base, server: { tls_cert: 'a.crt' } })).toEqual(['server.tls_cert and server.tls_key: set both or neither']);
    expect(problems({ ...base, admin: { tls_key: 'a.key' } })).toEqual(['admin.tls_cert and admin.tls_key: set both or neither']);
  });

  it('the rules API is off by default; enabled, it needs the admin listener, a state directory and a token file', () => {
    expect(settingsFrom(base, {}, '/etc/mirrorgate', 'f').api).toEqual({ enabled: false, watchHistory: 1000 });
    expect(problems({ ...base, api: { enabled: true, state_dir: 'state' } })).toEqual(['api.state_dir and api.tokens: both are required when api.enabled is true', 'api.enabled: the rules API is served on the admin listener; set admin.listen']);
    expect(problems({ ...base, api: { enabled: true, state_dir: 'state', tokens: 't' } })).toEqual(['api.enabled: the rules API is served on the admin listener; set admin.listen']);
    const s = settingsFrom({ ...base, admin: { listen: ['127.0.0.1:9443'], tls_cert: 'c', tls_key: 'k' }, api: { enabled: true, state_dir: 'state', tokens: 't' } }, {}, '/etc/mirrorgate', 'f');
    expect(s.api).toEqual({ enabled: true, watchHistory: 1000, stateDir: '/etc/mirrorgate/state', tokensFile: '/etc/mirrorgate/t' });
    expect(s.adminTls).toEqual({ certFile: '/etc/mirrorgate/c', keyFile: '/etc/mirrorgate/k' });
  });
});

describe('per-endpoint timeouts', () => {
  it('override the upstream timeouts for one host; unset keys keep the defaults', () => {
    const s = settingsFrom({ ...base, upstream: { connect_timeout_ms: 700 }, endpoint_timeouts: { 'm.local:5000': { headers_timeout_ms: 100 } } }, {}, '/d', 'f');
    expect(s.endpointTimeouts.get('m.local:5000')).toEqual({ connectTimeoutMs: 700, headersTimeoutMs: 100, bodyIdleTimeoutMs: 30_000 });
  });

  it('report bad values and keys with the host', () => {
    expect(problems({ ...base, endpoint_timeouts: { 'm.local': { headers_timeout_ms: 0, idle: 1 } } })).toEqual([
      'endpoint_timeouts."m.local".headers_timeout_ms: expected an integer greater than 0, got 0',
      'endpoint_timeouts."m.local".idle: unknown setting',
    ]);
  });
});

// Every key of a settings file is applied or refused with its name (red team):
// a quoted key holding a dot (`["cache.blobs"]`, `"blobs.max_bytes" = 1`) is a
// single TOML key, not a path of tables. settingsFrom once took the top-level
// key "cache.blobs" for the section [cache.blobs], then read the section only
// at cache -> blobs, so every key under the quoted table, a wrong-typed one
// too, was dropped in silence.
describe('quoted dotted keys in the settings file', () => {
  const toml = (text: string) => ({ ...parse(text), ...base });

  it('control: [cache.blobs] and the inline spelling blobs.x = ... under [cache] are applied', () => {
    for (const text of ['[cache.blobs]\nverify_before_serve_bytes = 65536\n', '[cache]\nblobs.verify_before_serve_bytes = 65536\n']) {
      expect(settingsFrom(toml(text), {}, '/etc/mirrorgate', 'f').blobCache.verifyBeforeServeBytes).toBe(65_536);
    }
  });

  it.each([
    ['["cache.blobs"]\nverify_before_serve_bytes = 65536\n', '"cache.blobs": unknown section'],
    ['["cache.blobs"]\nverify_before_serve_bytes = "junk"\n', '"cache.blobs": unknown section'],
    ['["upstream.x"]\nconnect_timeout_ms = 5\n', '"upstream.x": unknown section'],
    ['[cache]\n"blobs.max_bytes" = 1\n', 'cache."blobs.max_bytes": unknown setting'],
    ['[cache.blobs]\n"a.b" = 1\n', 'cache.blobs."a.b": unknown setting'],
    ['[cache]\n"blobs" = 5\n', 'cache.blobs: expected a table, got 5'],
    ['cache = "x"\n', 'cache: expected a table, got "x"'],
  ])('%j is refused by name', (text, problem) => {
    expect(problems(toml(text))).toEqual([problem]);
  });
});
