// The identity under which answers not verified by digest are cached and
// shared: any change in how the walk contacts its endpoints changes it.
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../../src/pull/context.js';
import { walkKey } from '../../../src/store/scope.js';

const at = (domain: string, extra: Partial<Candidate['target']> = {}, role: Candidate['role'] = 'mirror'): Candidate => ({
  target: { domain, repository: 'ns/app', insecure: false, ...extra },
  role,
  reference: 'v1',
  label: `${domain}/ns/app:v1`,
});

describe('walk key', () => {
  it('is the same for the same walk, and small whatever the walk', () => {
    const walk = [at('m1.example'), at('src.example', {}, 'source')];
    expect(walkKey(walk)).toBe(walkKey(walk.map((c) => ({ ...c, target: { ...c.target } }))));
    expect(walkKey(Array.from({ length: 50 }, (_, i) => at(`m${i}.example`))).length).toBeLessThan(64);
  });

  it('changes with the endpoints, their order, their scheme and the CA trusted for them', () => {
    const base = walkKey([at('m1.example'), at('m2.example')]);
    const variants = [
      [at('m2.example')],
      [at('m2.example'), at('m1.example')],
      [at('m1.example', { insecure: true }), at('m2.example')],
      [at('m1.example', { ca: '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n' }), at('m2.example')],
      [at('m1.example'), at('m2.example', { repository: 'other/app' })],
    ];
    for (const v of variants) expect(walkKey(v)).not.toBe(base);
  });
});
