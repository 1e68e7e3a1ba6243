// The README settings table, written from the declarations (settings-schema.ts)
// so that the two cannot drift; test/unit/edges/settings-table.test.ts checks it.
import { SETTINGS, envName, type KeyDecl } from './settings-schema.js';

function shown(decl: KeyDecl): string {
  if (decl.shownDefault !== undefined) return decl.shownDefault;
  const value = decl.default;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value === '' ? 'unset' : `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}

/** One row per key, in declaration order, then the per-endpoint timeout tables. */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).flatMap(([section, keys]) =>
    Object.entries(keys as Record<string, KeyDecl>).map(([name, decl]) => `| \`${section}.${name}\` | ${shown(decl)} | ${decl.help} (\`${envName(section, name)}\`) |`),
  );
  return [
    '| setting | default | meaning (environment variable) |',
    '|---|---|---|',
    ...rows,
    '| `[endpoint_timeouts."host:port"]` | unset | `connect_timeout_ms`, `headers_timeout_ms`, `body_idle_timeout_ms` for one upstream (no variable) |',
  ].join('\n');
}
