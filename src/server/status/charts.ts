// Small inline SVG charts (no external assets, no script): one value per
// 30-second bucket over the last 15 minutes. Empty buckets leave gaps
// instead of drawing a line through nothing. Colours come from CSS classes,
// so dark mode restyles them.
import type { SeriesPoint } from '../../observability/endpoint-series.js';
import { esc } from './html.js';

const W = 150;
const H = 36;
const PAD = 2;

type Value = number | undefined;

/** Polyline segments over the defined values, scaled to `max`. */
function segments(values: readonly Value[], max: number): string[] {
  const step = W / Math.max(1, values.length - 1);
  const y = (v: number) => (H - PAD - (Math.min(v, max) / max) * (H - 2 * PAD)).toFixed(1);
  const out: string[] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === undefined) {
      if (current.length) out.push(current.join(' '));
      current = [];
    } else current.push(`${(i * step).toFixed(1)},${y(v)}`);
  });
  if (current.length) out.push(current.join(' '));
  return out;
}

/** A lone point has no length: draw it as a short flat stroke so it shows. */
const line = (points: string, cls: string): string =>
  points.includes(' ') ? `<polyline class="${cls}" points="${points}"/>` : `<polyline class="${cls}" points="${points} ${Number(points.split(',')[0]) + 2},${points.split(',')[1]}"/>`;

function frame(label: string, body: string): string {
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title><line class="axis" x1="0" y1="${H - 0.5}" x2="${W}" y2="${H - 0.5}"/>${body}</svg>`;
}

export function successChart(points: readonly SeriesPoint[]): string {
  const body = segments(points.map((p) => p.successRate), 1).map((s) => line(s, 'rate')).join('');
  return frame('success rate per 30 s, last 15 minutes', body);
}

export function latencyChart(points: readonly SeriesPoint[]): string {
  const max = Math.max(1, ...points.map((p) => p.p95Ms ?? 0));
  const p95 = segments(points.map((p) => p.p95Ms), max).map((s) => line(s, 'p95'));
  const p50 = segments(points.map((p) => p.p50Ms), max).map((s) => line(s, 'p50'));
  return frame(`latency p50 and p95 per 30 s, last 15 minutes (top: ${Math.round(max)} ms)`, [...p95, ...p50].join(''));
}

export function bytesChart(points: readonly SeriesPoint[]): string {
  const max = Math.max(1, ...points.map((p) => p.bytes));
  const w = W / points.length;
  const bars = points
    .map((p, i) => {
      if (p.bytes === 0) return '';
      const h = Math.max(1, (p.bytes / max) * (H - 2 * PAD));
      return `<rect class="bytes" x="${(i * w + 0.5).toFixed(1)}" y="${(H - h).toFixed(1)}" width="${Math.max(1, w - 1).toFixed(1)}" height="${h.toFixed(1)}"/>`;
    })
    .join('');
  return frame('bytes served per 30 s, last 15 minutes', bars);
}
