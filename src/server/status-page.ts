// /status: one small self-contained HTML page (no framework, no scripts):
// the rules in force, each endpoint's circuit and latency, the latest pulls.
import type { AppDeps } from './request-context.js';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const table = (head: string[], rows: string[][]): string =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
    rows.length ? rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('') : `<tr><td colspan="${head.length}" class="none">none yet</td></tr>`
  }</tbody></table>`;

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1d232a}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #d8dde3;vertical-align:top}
th{background:#f2f4f6}code{font-size:12px;word-break:break-all}.state{font-weight:600;padding:0 .4rem;border-radius:3px}
.closed{background:#d5f5dd}.open{background:#fbd5d5}.half-open{background:#fdf0c4}.ok{color:#137333}.bad{color:#b3261e}.none{color:#6b7580}`;

export function statusPage(deps: AppDeps): string {
  const rules = deps.rules();
  const { generation, lastReload } = deps.rulesState();
  const registries = rules.registries.map((r) => [
    `<code>${esc(r.prefix)}</code>`,
    r.mirrors.map((m) => `<code>${esc(m.location)}</code>${m.pullFromMirror ? ` <small>${esc(m.pullFromMirror)}</small>` : ''}`).join('<br>') || '<span class="none">-</span>',
    [r.blocked ? 'blocked' : '', r.insecure ? 'insecure' : ''].filter(Boolean).map(esc).join(', ') || '-',
  ]);
  const endpoints = deps.pull.health.snapshot().map((e) => [
    `<code>${esc(e.endpoint)}</code>`,
    `<span class="state ${e.state}">${esc(e.state)}</span>`,
    e.latencyMs === undefined ? '-' : `${esc(e.latencyMs.toFixed(1))} ms`,
    esc(e.lastOutcome ?? '-'),
  ]);
  const pulls = deps.recent.list().map((p) => [
    esc(new Date(p.at).toISOString()),
    `<code>${esc(p.image)}</code>`,
    `<span class="${p.status < 400 ? 'ok' : 'bad'}">${esc(p.status)}</span>`,
    p.servedBy ? `<code>${esc(p.servedBy)}</code>` : '-',
    `${esc(p.ms)} ms`,
  ]);
  const reload = lastReload.ok ? 'ok' : `<span class="bad">failed: the previous rules stay in force</span><pre>${esc(lastReload.errors.join('\n'))}</pre>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>mirrorgate status</title><style>${STYLE}</style></head><body>
<h1>mirrorgate</h1><p>Rules generation ${esc(generation)}, ${esc(rules.objects.length)} objects; last reload: ${reload}</p>
<h2>Endpoints</h2>${table(['endpoint', 'circuit', 'latency (avg)', 'last outcome'], endpoints)}
<h2>Latest pulls</h2>${table(['time', 'image', 'status', 'served by', 'duration'], pulls)}
<h2>Rules in force (registries.conf entries)</h2>${table(['prefix', 'mirrors', 'flags'], registries)}
</body></html>`;
}
