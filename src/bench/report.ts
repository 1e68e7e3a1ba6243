// Results -> ratios, the issue's targets with their verdicts, and three
// outputs: latest.json, report.md (a table for the README) and report.html
// (self-contained, inline SVG charts).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResults, RunRecord } from './run.js';

export interface Ratio {
  readonly scenario: string;
  readonly workload: string;
  readonly against: string;
  readonly p50: number;
  readonly p99: number;
  readonly throughput: number;
  /** Proxy CPU-s per GiB, mirrorgate over the baseline (blob workloads). */
  readonly cpuPerGiB?: number;
}

export interface Target {
  readonly name: string;
  readonly measured: string;
  readonly met: boolean | 'not measured';
}

const BASELINES = ['direct', 'naive', 'nginx', 'nginx-cache-warm', 'registry-proxy', 'registry-proxy-warm', 'mirrorgate'];

const find = (runs: readonly RunRecord[], scenario: string, workload: string, strategy: string) => runs.find((r) => r.scenario === scenario && r.workload === workload && r.strategy === strategy);

export function ratios(results: BenchResults): Ratio[] {
  const out: Ratio[] = [];
  for (const r of results.runs.filter((x) => x.strategy.startsWith('mirrorgate'))) {
    for (const against of BASELINES) {
      const base = find(results.runs, r.scenario, r.workload, against);
      if (!base || against === r.strategy) continue;
      const cpu = r.cpuSecondsPerGiB !== undefined && base.cpuSecondsPerGiB !== undefined ? { cpuPerGiB: r.cpuSecondsPerGiB / base.cpuSecondsPerGiB } : {};
      out.push({ scenario: r.scenario, workload: r.workload, against, p50: r.p50Ms / base.p50Ms, p99: r.p99Ms / base.p99Ms, throughput: r.mibPerSec / base.mibPerSec, ...cpu });
    }
  }
  return out;
}

export function targets(results: BenchResults): Target[] {
  const { runs, plan } = results;
  const blobs = (strategy: string) => runs.find((r) => r.workload === 'large-blob' && r.strategy === strategy);
  // Cold and verified: through the disk blob cache when it was measured (as the example config runs), else streaming.
  const [disk, streaming, registryCold, registryWarm, nginx, nginxWarm] = ['mirrorgate-disk', 'mirrorgate', 'registry-proxy', 'registry-proxy-warm', 'nginx', 'nginx-cache-warm'].map(blobs);
  const cold = disk ?? streaming;
  const warm = blobs('mirrorgate-warm');
  const healthy = runs.find((r) => r.scenario === 'healthy' && r.workload === 'manifests-cold' && r.strategy === 'mirrorgate');
  const manifestCold = (scenario: string) => find(runs, scenario, 'manifests-cold', 'mirrorgate');
  const concurrent = (strategy: string) => runs.find((r) => r.workload === 'concurrent-blobs' && r.strategy === strategy);
  const many = concurrent('mirrorgate-disk') ?? concurrent('mirrorgate');
  const manyNginx = concurrent('nginx');
  const manifestCpu = runs.find((r) => r.workload === 'manifest-cpu' && r.strategy === 'mirrorgate-cached');
  const out: Target[] = [];
  const t = (name: string, measured: string | undefined, met: boolean | undefined) => out.push({ name, measured: measured ?? '-', met: met === undefined ? 'not measured' : met });
  const x = (a: number, b: number, unit: string, d = 0) => `${(a / b).toFixed(2)}x (${a.toFixed(d)} vs ${b.toFixed(d)} ${unit})`;
  const speed = (a: RunRecord | undefined, b: RunRecord | undefined) => (a && b ? { text: x(a.mibPerSec, b.mibPerSec, 'MiB/s'), met: a.mibPerSec >= b.mibPerSec } : undefined);
  const cpu = (a: RunRecord | undefined, b: RunRecord | undefined) =>
    a?.cpuSecondsPerGiB !== undefined && b?.cpuSecondsPerGiB !== undefined ? { text: x(a.cpuSecondsPerGiB, b.cpuSecondsPerGiB, 'CPU-s/GiB', 2), met: a.cpuSecondsPerGiB <= b.cpuSecondsPerGiB } : undefined;
  for (const [name, m] of [
    ['cold verified blob: MiB/s >= 1.0x docker-registry proxy cold', speed(cold, registryCold)],
    ['cold verified blob: CPU-s/GiB <= 1.0x docker-registry proxy cold', cpu(cold, registryCold)],
    ['large blob: MiB/s >= 1.0x nginx (buffering on, 16x64k, keep-alive)', speed(cold, nginx)],
    ['warm blob from the cache: MiB/s >= 1.0x docker-registry proxy warm', speed(warm, registryWarm)],
    ['warm blob from the cache: MiB/s >= 1.0x nginx proxy_cache warm', speed(warm, nginxWarm)],
    [`${plan.concurrentBlobs.count} concurrent cold pulls of one blob: aggregate MiB/s >= nginx`, speed(many, manyNginx)],
  ] as const) t(name, m?.text, m?.met);
  t(`${plan.concurrentBlobs.count} concurrent cold pulls of one blob: fetched from upstream once`, many?.upstreamFetches !== undefined ? `${many.upstreamFetches} upstream fetches` : undefined, many?.upstreamFetches !== undefined ? many.upstreamFetches <= 1 : undefined);
  t(`proxy RSS < 200 MiB during ${plan.concurrentBlobs.count} concurrent blob pulls`, many?.peakRssMiB !== undefined ? `${many.peakRssMiB.toFixed(0)} MiB (blobs of ${plan.concurrentBlobs.mib} MiB)` : undefined, many?.peakRssMiB !== undefined ? many.peakRssMiB < 200 : undefined);
  t(`cached manifest: <= 50 µs proxy CPU per request (wrk, ${plan.wrk.connections} connections)`, manifestCpu?.cpuMicrosPerRequest !== undefined ? `${manifestCpu.cpuMicrosPerRequest.toFixed(1)} µs` : undefined, manifestCpu?.cpuMicrosPerRequest !== undefined ? manifestCpu.cpuMicrosPerRequest <= 50 : undefined);
  for (const scenario of ['first-mirror-refusing', 'first-mirror-hung']) {
    const r = manifestCold(scenario);
    t(`${scenario}: manifest p50 <= 1.05x healthy`, r && healthy && `${(r.p50Ms / healthy.p50Ms).toFixed(2)}x (${r.p50Ms.toFixed(2)} vs ${healthy.p50Ms.toFixed(2)} ms)`, r && healthy && r.p50Ms <= 1.05 * healthy.p50Ms);
  }
  const hung = manifestCold('first-mirror-hung');
  t(`first-mirror-hung: p99 <= hedge delay (${plan.hedgeDelayMs} ms) + healthy p99`, hung && healthy && `${hung.p99Ms.toFixed(1)} ms vs ${(plan.hedgeDelayMs + healthy.p99Ms).toFixed(1)} ms`, hung && healthy && hung.p99Ms <= plan.hedgeDelayMs + healthy.p99Ms);
  return out;
}

const f = (n: number | undefined, d = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

export function markdown(results: BenchResults): string {
  const rows = results.runs.map(
    (r) =>
      `| ${r.scenario} | ${r.workload} | ${r.strategy} | ${r.completed} | ${r.errors} | ${f(r.p50Ms, 2)} | ${f(r.p95Ms, 2)} | ${f(r.p99Ms, 2)} | ${f(r.reqPerSec)} | ${f(r.mibPerSec)} | ${f(r.attemptsPerRequest, 2)} | ${f(r.cpuPercent, 0)} | ${f(r.peakRssMiB, 0)} | ${f(r.cpuSecondsPerGiB, 2)} | ${f(r.cpuMicrosPerRequest, 1)} | ${r.upstreamFetches ?? '-'} |`,
  );
  const ratioRows = ratios(results).map((r) => `| ${r.scenario} | ${r.workload} | ${r.against} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.throughput, 2)} | ${f(r.cpuPerGiB, 2)} |`);
  const targetRows = targets(results).map((t) => `| ${t.name} | ${t.measured} | ${t.met === true ? 'met' : t.met === false ? '**not met**' : t.met} |`);
  return [
    `# mirrorgate failover benchmark (${results.startedAt}, Node ${results.node}, seed ${results.plan.seed})`,
    '',
    '| scenario | workload | strategy | n | errors | p50 ms | p95 ms | p99 ms | req/s | MiB/s | attempts/req | proxy CPU % | proxy RSS MiB | CPU-s/GiB | CPU µs/req | upstream fetches |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Ratios of mirrorgate to each baseline in the same run (latency: lower is better; throughput: higher is better):',
    '',
    '| scenario | workload | against | p50 | p99 | throughput | CPU-s/GiB |',
    '|---|---|---|---|---|---|---|',
    ...ratioRows,
    '',
    '| target | measured | verdict |',
    '|---|---|---|',
    ...targetRows,
    ...(results.skipped.length ? ['', 'Skipped:', ...results.skipped.map((s) => `- ${s}`)] : []),
    '',
  ].join('\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const COLORS: Readonly<Record<string, string>> = {
  direct: '#8a94a6',
  naive: '#e07a5f',
  mirrorgate: '#3d7ea6',
  'mirrorgate-disk': '#5fa8d3',
  'mirrorgate-warm': '#2a9d8f',
  'mirrorgate-cached': '#81b29a',
  nginx: '#f2cc8f',
  'nginx-cache-warm': '#e9c46a',
  'registry-proxy': '#9c6644',
  'registry-proxy-warm': '#b08968',
};

/**
 * Grouped horizontal bars, one group per label, one bar per series, scaled to
 * the largest value; `log` for latencies, where one outlier would flatten the rest.
 */
function bars(title: string, unit: string, groups: { label: string; values: { series: string; value: number }[] }[], log = false): string {
  const rowH = 16;
  const width = 760;
  const left = 220;
  const scale = (v: number) => (log ? Math.log10(1 + v) : v);
  const max = Math.max(1e-9, ...groups.flatMap((g) => g.values.map((v) => scale(v.value))).filter(Number.isFinite));
  let y = 30;
  const parts: string[] = [`<text x="0" y="16" font-weight="600">${esc(title)}${log ? ' (log scale)' : ''}</text>`];
  for (const g of groups) {
    parts.push(`<text x="0" y="${y + 12}" font-size="12">${esc(g.label)}</text>`);
    for (const v of g.values) {
      const w = Number.isFinite(v.value) ? Math.max(1, ((width - left - 170) * scale(v.value)) / max) : 0;
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 3}" fill="${COLORS[v.series] ?? '#999'}"><title>${esc(`${v.series}: ${v.value.toFixed(2)} ${unit}`)}</title></rect>`);
      parts.push(`<text x="${left + w + 4}" y="${y + 11}" font-size="11">${esc(`${v.series} ${f(v.value, 2)} ${unit}`)}</text>`);
      y += rowH;
    }
    y += 8;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="system-ui,sans-serif">${parts.join('')}</svg>`;
}

function html(results: BenchResults): string {
  const byWorkload = (workload: string, metric: (r: RunRecord) => number) =>
    [...new Set(results.runs.filter((r) => r.workload === workload).map((r) => r.scenario))].map((scenario) => ({
      label: scenario,
      values: results.runs.filter((r) => r.workload === workload && r.scenario === scenario).map((r) => ({ series: r.strategy, value: metric(r) })),
    }));
  const md = markdown(results);
  const charts = [
    bars('Manifest requests, p50 latency (cold cache)', 'ms', byWorkload('manifests-cold', (r) => r.p50Ms), true),
    bars('Manifest requests, p99 latency (cold cache)', 'ms', byWorkload('manifests-cold', (r) => r.p99Ms), true),
    bars('Image pulls, throughput', 'MiB/s', byWorkload('image', (r) => r.mibPerSec)),
    bars('Large blob, throughput', 'MiB/s', byWorkload('large-blob', (r) => r.mibPerSec)),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mirrorgate benchmark</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2rem;max-width:1100px}pre{white-space:pre-wrap;font-size:12px;background:#f4f5f7;padding:1rem}svg{display:block;margin:1.5rem 0}</style></head><body>
<h1>mirrorgate failover benchmark</h1><p>${esc(results.startedAt)}, Node ${esc(results.node)}, seed ${results.plan.seed}. Colours: ${Object.entries(COLORS).map(([k, c]) => `<span style="color:${c}">&#9632;</span> ${k}`).join(' ')}</p>
${charts.join('\n')}
<h2>All figures</h2><pre>${esc(md)}</pre></body></html>`;
}

export async function writeReports(results: BenchResults, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = { 'latest.json': JSON.stringify({ ...results, ratios: ratios(results), targets: targets(results) }, null, 2), 'report.md': markdown(results), 'report.html': html(results) };
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
  return Object.keys(files).map((n) => join(dir, n));
}
