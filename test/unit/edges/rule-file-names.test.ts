// A rules directory as a node has it: registries.conf and a registries.conf.d
// drop-in next to the cluster's objects, all read.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/config/load-rules.js';
import { resolve } from '../../../src/core/index.js';
import { tempDir } from '../../helpers/temp.js';

describe('rule files named as on a node', () => {
  it('reads registries.conf and registries.conf.d/*.conf as TOML', async () => {
    const dir = tempDir('conf');
    mkdirSync(join(dir, 'registries.conf.d'));
    writeFileSync(join(dir, 'registries.conf'), 'unqualified-search-registries = ["quay.io"]\n');
    writeFileSync(join(dir, 'registries.conf.d', '50-mirror.conf'), '[[registry]]\nprefix = "quay.io/app"\nlocation = "quay.io/app"\n[[registry.mirror]]\nlocation = "m.example.com/app"\n');
    const rules = await loadRules([dir]);
    expect(rules.searchRegistries).toEqual(['quay.io']);
    expect(resolve('app:v1', rules).endpoints.map((e) => e.reference)).toEqual(['m.example.com/app:v1', 'quay.io/app:v1']);
  });
});
