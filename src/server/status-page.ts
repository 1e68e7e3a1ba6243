// /status: the page an operator opens during an incident. At the top, each
// endpoint's circuit, success rate, latency and bytes over the last 15
// minutes (inline SVG) and the failovers; the rules in force beside them;
// below, the recent image pulls (blobs folded under their manifest),
// filterable. Self-contained (no external assets); the one inline script
// refreshes in place and is optional: with JavaScript off the page is
// whole and the filter is a form.
import { BUCKETS, type SeriesPoint } from '../observability/endpoint-series.js';
import { packageVersion } from '../observability/build-info.js';
import { OTHER } from '../observability/endpoint-labels.js';
import { ENDPOINT_FAILURES } from '../upstream/failure.js';
import type { RecentPull } from '../observability/recent-pulls.js';
import type { AppDeps } from './request-context.js';
import { bytesChart, latencyChart, successChart } from './status/charts.js';
import { clockTime, esc, formatBytes, formatMs, percent } from './status/html.js';
import { filterGroups, groupPulls, searchText, span, type PullGroup } from './status/pull-groups.js';
import { SCRIPT } from './status/script.js';
import { STYLE } from './status/style.js';

const VERSION = `v${packageVersion()}`;
/** What an endpoint's success rate counts: the circuit's notion of failure, so the page and the breaker agree. */
const SUCCESS_COUNTS = `Success: the tries the endpoint did not fail. Failures are what counts towards its circuit (${[...ENDPOINT_FAILURES].join(', ')}); any other answer (a 404 from a mirror that lacks the image, 401/403, 429, content mirrorgate declines) and a cut by the pull deadline count as success. Skipped tries and lost hedge races are not counted.`;
const STATE_ORDER: Record<string, number> = { open: 0, 'half-open': 1, closed: 2, unknown: 3 };

interface EndpointView {
  readonly endpoint: string;
  readonly state: string;
  readonly failures?: number;
  readonly lastOutcome?: string;
  readonly points: readonly SeriesPoint[];
  readonly window: SeriesPoint;
}

export function statusPage(deps: AppDeps, query: string, nonce: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><title>mirrorgate status</title><style>${STYLE}</style></head><body>
<header class="top"><h1>mirrorgate</h1><span class="muted">${esc(VERSION)}</span>
<span class="muted" id="refreshed">rendered ${esc(clockTime(deps.wallClock()))} UTC</span>
<label id="pausing" class="muted" hidden><input type="checkbox" id="pause"> pause refresh</label></header>
<main>
<div id="live-top">${rulesSection(deps)}${endpointsSection(deps)}${failoversSection(deps)}</div>
<h2>Recent pulls</h2>
<form class="filter" id="filter" method="get" action="/status"><input type="search" id="q" name="q" value="${esc(query)}" placeholder="filter: image, client, user agent, endpoint, status" aria-label="filter pulls"><button type="submit">filter</button></form>
<div id="live-pulls">${pullsSection(deps, query)}</div>
</main><script nonce="${esc(nonce)}">${SCRIPT}</script></body></html>`;
}

function rulesSection(deps: AppDeps): string {
  const rules = deps.rules();
  const { generation, lastReload } = deps.rulesState();
  const kinds = new Map<string, number>();
  for (const o of rules.objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  const objects = rules.objects.map((o) => `<tr><td>${esc(o.kind)}</td><td><code>${esc(o.origin.object ?? '')}</code></td><td><code>${esc(o.origin.file)}</code></td></tr>`).join('');
  const registries = rules.registries
    .map((r) => `<tr><td><code>${esc(r.prefix)}</code></td><td>${r.mirrors.map((m) => `<code>${esc(m.location)}</code>${m.pullFromMirror ? ` <small class="muted">${esc(m.pullFromMirror)}</small>` : ''}`).join('<br>') || '<span class="muted">–</span>'}</td><td>${esc([r.blocked ? 'blocked' : '', r.insecure ? 'insecure' : ''].filter(Boolean).join(', ') || '–')}</td></tr>`)
    .join('');
  const reload = lastReload.ok ? '<span class="ok">last reload ok</span>' : '<span class="bad">last reload failed</span>';
  const alert = lastReload.ok ? '' : `<div class="alert" role="alert"><strong>The last rules reload failed: the previous rules (generation ${esc(generation)}) stay in force.</strong><pre>${esc(lastReload.errors.join('\n'))}</pre></div>`;
  return `<h2>Rules in force</h2>${alert}<div class="rules"><span>generation <strong>${esc(generation)}</strong></span><span>${reload}</span>
<span>${esc(rules.objects.length)} objects${kinds.size ? `: ${[...kinds].map(([k, n]) => `${esc(n)} ${esc(k)}`).join(', ')}` : ''}</span></div>
<details data-key="rules"><summary>objects and registries.conf entries</summary><div class="panel scroll">
<table><thead><tr><th>kind</th><th>name</th><th>file</th></tr></thead><tbody>${objects || '<tr><td colspan="3" class="muted">none</td></tr>'}</tbody></table>
<table><thead><tr><th>prefix</th><th>mirrors</th><th>flags</th></tr></thead><tbody>${registries || '<tr><td colspan="3" class="muted">none</td></tr>'}</tbody></table></div></details>`;
}

function endpointViews(deps: AppDeps): EndpointView[] {
  const series = deps.series.snapshot();
  const health = new Map(deps.pull.health.snapshot().map((h) => [h.endpoint, h]));
  // An endpoint skipped for longer than the window has no attempts in it, and is the one to see first.
  const quiet = { points: Array.from({ length: BUCKETS }, () => ({ attempts: 0, bytes: 0 })), window: { attempts: 0, bytes: 0 } };
  const names = new Set([...series.keys(), ...[...health.keys()].filter((e) => deps.metrics.endpoints.has(e))]);
  return [...names]
    .map((endpoint): EndpointView => {
      const h = health.get(endpoint);
      const { points, window } = series.get(endpoint) ?? quiet;
      const state = h?.state ?? (endpoint === OTHER ? 'unknown' : 'closed');
      return { endpoint, state, points, window, ...(h ? { failures: h.failures } : {}), ...(h?.lastOutcome ? { lastOutcome: h.lastOutcome } : {}) };
    })
    .sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || b.window.attempts - a.window.attempts || a.endpoint.localeCompare(b.endpoint));
}

function endpointsSection(deps: AppDeps): string {
  const cards = endpointViews(deps).map((e) => {
    const w = e.window;
    const latency = w.p50Ms === undefined ? '–' : `${esc(formatMs(w.p50Ms))} / ${esc(formatMs(w.p95Ms ?? w.p50Ms))}`;
    const last = e.lastOutcome ? `last outcome <code>${esc(e.lastOutcome)}</code>${e.failures ? `, ${esc(e.failures)} consecutive failures` : ''}` : '';
    return `<article class="ep ${esc(e.state)}"><h3><code>${esc(e.endpoint)}</code><span class="badge ${esc(e.state)}">${esc(e.state === 'unknown' ? 'folded' : e.state)}</span></h3>
<dl class="figures"><div><dt>success</dt><dd><span class="${w.successRate !== undefined && w.successRate < 0.9 ? 'bad' : ''}">${esc(percent(w.successRate))}</span> <small class="muted">of ${esc(w.attempts)} tries</small></dd>${successChart(e.points)}</div>
<div><dt><span class="k50">p50</span> / <span class="k95">p95</span></dt><dd>${latency}</dd>${latencyChart(e.points)}</div>
<div><dt>bytes served</dt><dd>${esc(formatBytes(w.bytes))}</dd>${bytesChart(e.points)}</div></dl>${last ? `<p class="last">${last}</p>` : ''}</article>`;
  });
  const body = cards.length ? `<div class="grid">${cards.join('')}</div>` : '<p class="none">No upstream contacted in the last 15 minutes.</p>';
  return `<h2>Endpoints <small class="muted">last 15 minutes, 30 s steps</small></h2><p class="muted" id="success-counts">${esc(SUCCESS_COUNTS)}</p>${body}`;
}

function failoversSection(deps: AppDeps): string {
  const rows = deps.recent.failovers.list().map(
    (f) =>
      `<tr><td class="muted">${esc(clockTime(f.at))}</td><td><code>${esc(f.image)}</code></td><td>${f.failed.map((a) => `<code>${esc(hostOf(a.endpoint))}</code> <span class="bad">${esc(a.outcome)}</span>`).join('<br>')}</td><td>→ <code class="ok">${esc(hostOf(f.servedBy))}</code></td></tr>`,
  );
  if (rows.length === 0) return '<h2>Failovers</h2><p class="none">None recently: every request was served by the first endpoint it tried.</p>';
  return `<h2>Failovers <small class="muted">latest ${esc(rows.length)}</small></h2><div class="panel scroll"><table class="stack"><thead><tr><th>time</th><th>image</th><th>tried first</th><th>served by</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

const codeClass = (code: number): string => (code < 400 ? 'ok' : 'bad');

function pullsSection(deps: AppDeps, query: string): string {
  const groups = filterGroups(groupPulls(deps.recent.pulls.list()), query);
  if (groups.length === 0) return `<p class="none">${query ? 'No pull matches the filter.' : 'No pulls yet.'}</p>`;
  return `<div class="panel">${groups.map(pullGroup).join('')}</div>`;
}

function pullGroup(g: PullGroup): string {
  const worst = Math.max(...g.items.map((p) => p.code));
  const servedBy = [...new Set(g.items.map((p) => p.servedBy).filter((s): s is string => s !== undefined).map(servedHost))];
  const bytes = g.items.reduce((n, p) => n + p.bytes, 0);
  const blobs = g.items.filter((p) => p.route === 'blobs').length;
  const rows = g.items.map(pullRow).join('');
  return `<details class="pull" data-key="${esc(g.key)}" data-text="${esc(searchText(g))}"><summary><span class="muted">${esc(clockTime(g.first.at))}</span><code>${esc(g.first.image)}</code>
<span class="${codeClass(worst)}">${esc(worst)}</span><span class="dur num">${esc(formatMs(span(g)))}</span>
<span class="sub">${esc(g.items.length - blobs)} manifest${g.items.length - blobs === 1 ? '' : 's'}, ${esc(blobs)} blob${blobs === 1 ? '' : 's'}, ${esc(formatBytes(bytes))} · served by ${servedBy.map((s) => `<code>${esc(s)}</code>`).join(', ') || '–'} · ${esc(g.first.client)} · ${esc(g.first.userAgent || 'no user agent')}</span></summary>
<div class="scroll"><table><thead><tr><th>time</th><th>request</th><th>status</th><th>served by</th><th>cache</th><th class="num">duration</th><th class="num">bytes</th></tr></thead><tbody>${rows}</tbody></table></div></details>`;
}

function pullRow(p: RecentPull): string {
  const ref = p.image.includes('@') ? p.image.slice(p.image.indexOf('@') + 1, p.image.indexOf('@') + 20) + '…' : p.image.slice(p.image.lastIndexOf(':') + 1);
  return `<tr><td class="muted">${esc(clockTime(p.at))}</td><td>${esc(p.route === 'blobs' ? 'blob' : 'manifest')} <code>${esc(ref)}</code></td><td class="${codeClass(p.code)}">${esc(p.code)}</td>
<td>${p.servedBy ? `<code>${esc(p.servedBy)}</code>` : '–'}</td><td>${esc(p.cache ?? '–')}</td><td class="num">${esc(formatMs(p.ms))}</td><td class="num">${esc(formatBytes(p.bytes))}</td></tr>`;
}

/** `host/ns/app:v1` -> `host`. */
const hostOf = (reference: string): string => reference.split('/')[0] ?? reference;
/** `host/ns/app:v1` or `cache (from host/…)` -> the host, for the group's summary. */
const servedHost = (servedBy: string): string => (servedBy.startsWith('cache') ? 'cache' : hostOf(servedBy));
