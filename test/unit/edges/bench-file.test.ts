import { describe, expect, it } from 'vitest';
import { InvalidBenchFileError, parseBenchFile, quick } from '../../../src/bench/scenarios.js';

describe('bench scenario file', () => {
  it('reads scenarios with defaults for what is left out', () => {
    const plan = parseBenchFile('[[scenario]]\nname = "hung"\nfirst_mirror = { hang = true }\npull_by = "digest"\n', 'f.toml');
    expect(plan).toMatchObject({ seed: 42, requests: 400, largeBlobMiB: 1024, concurrentBlobs: { count: 64, mib: 32 } });
    expect(plan.scenarios).toEqual([{ name: 'hung', description: '', firstMirror: { hang: true }, neverContactSource: false, digestOnlyMirrors: false, pullBy: 'digest', workloads: ['manifests-cold'] }]);
    expect(quick(plan).largeBlobMiB).toBe(16);
  });

  it('reports every bad key at once, naming it', () => {
    expect(() => parseBenchFile('requests = -1\n[[scenario]]\nfirst_mirror = { explode = true }\nworkloads = ["everything"]\n', 'f.toml')).toThrow(InvalidBenchFileError);
    try {
      parseBenchFile('requests = -1\n[[scenario]]\nfirst_mirror = { explode = true }\nworkloads = ["everything"]\n', 'f.toml');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('requests: expected a number >= 0, got -1');
      expect(message).toContain('scenario[0].first_mirror.explode: unknown fault');
      expect(message).toContain('scenario[0].workloads: unknown workload "everything"');
      expect(message).toContain('scenario[0].name: required');
    }
  });
});
