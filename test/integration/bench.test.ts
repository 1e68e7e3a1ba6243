// The benchmark harness itself, on a tiny plan: every strategy runs, the
// figures are sane, the reports are written. (Performance is judged by
// running `npm run bench`, never by timed assertions here.)
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchFile } from '../../src/bench/scenarios.js';
import { runBench } from '../../src/bench/run.js';
import { ratios, targets, writeReports } from '../../src/bench/report.js';
import { tempDir } from '../helpers/temp.js';

const plan = parseBenchFile(
  `seed = 7
requests = 20
concurrency = 4
warmup = 5
max_seconds_per_run = 10
headers_timeout_ms = 1000
hedge_delay_ms = 100
large_blob_mib = 4
[image]
layers = 2
layer_mib = 0.25
pulls = 4
concurrency = 2
[concurrent_blobs]
count = 4
mib = 1
[[scenario]]
name = "healthy"
workloads = ["manifests-cold", "manifests-cached", "image", "large-blob", "concurrent-blobs"]
[[scenario]]
name = "first-mirror-refusing"
first_mirror = { refuse = true }
[[scenario]]
name = "all-mirrors-down-never"
all_mirrors = { refuse = true }
never_contact_source = true
`,
  'tiny.toml',
);

describe('bench harness', () => {
  it('runs every strategy and writes the reports', async () => {
    const lines: string[] = [];
    const results = await runBench(plan, resolve('dist/cli/main.js'), (l) => lines.push(l));
    const get = (scenario: string, workload: string, strategy: string) => results.runs.find((r) => r.scenario === scenario && r.workload === workload && r.strategy === strategy);
    for (const [workload, strategies] of Object.entries({ 'manifests-cold': ['direct', 'naive', 'mirrorgate'], 'manifests-cached': ['direct', 'mirrorgate-cached'], image: ['direct', 'naive', 'mirrorgate'], 'large-blob': ['direct', 'mirrorgate'], 'concurrent-blobs': ['mirrorgate'] })) {
      for (const strategy of strategies) {
        const r = get('healthy', workload, strategy);
        expect(r, `${workload}/${strategy}`).toBeDefined();
        expect(r?.errors, `${workload}/${strategy}`).toBe(0);
        expect(r?.completed).toBeGreaterThan(0);
      }
    }
    expect(get('healthy', 'large-blob', 'mirrorgate')?.mibPerSec).toBeGreaterThan(0);
    expect(get('healthy', 'concurrent-blobs', 'mirrorgate')?.peakRssMiB).toBeGreaterThan(0);
    // Refused first mirror: each request tries it, then the second (or skips it once its circuit opens).
    const refusing = get('first-mirror-refusing', 'manifests-cold', 'naive');
    expect(refusing?.errors).toBe(0);
    expect(refusing?.attemptsPerRequest).toBeCloseTo(2, 5);
    // mirrorgate: the open circuit skips it, and concurrent identical requests share one fetch.
    expect(get('first-mirror-refusing', 'manifests-cold', 'mirrorgate')?.attemptsPerRequest).toBeLessThanOrEqual(1);
    // NeverContactSource with both mirrors down: every request is denied, and there is no direct floor.
    const never = get('all-mirrors-down-never', 'manifests-cold', 'mirrorgate');
    expect(never?.errors).toBe(never?.completed);
    expect(results.skipped.some((s) => s.startsWith('all-mirrors-down-never/manifests-cold/direct'))).toBe(true);
    expect(ratios(results).some((r) => r.against === 'naive')).toBe(true);
    expect(targets(results).map((t) => t.name)).toHaveLength(12);
    const dir = tempDir('bench-out');
    await writeReports(results, dir);
    expect(JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')).runs.length).toBe(results.runs.length);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('| scenario | workload | strategy |');
    expect(lines.length).toBe(results.runs.length);
  }, 120_000);
});
