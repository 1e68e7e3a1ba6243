import { describe, expect, it } from 'vitest';
import { schema1Payload } from '../../../src/pull/schema1.js';
import { manifestDigest } from '../../../src/pull/verify.js';
import { SCHEMA1_SIGNED, signedSchema1, splitForgery, tailForgery } from '../../helpers/schema1.js';

const genuine = signedSchema1({ name: 'ns/app', tag: 'v1', architecture: 'amd64', fsLayers: [{ blobSum: `sha256:${'a'.repeat(64)}` }], history: [{ v1Compatibility: '{"id":"x"}' }] });
const evil = { fsLayers: [{ blobSum: `sha256:${'e'.repeat(64)}` }] };

/** What the protected header claims: body[:formatLength] + formatTail (libtrust ParsePrettySignature). */
function claimed(body: Buffer): string {
  const sig = (JSON.parse(body.toString()) as { signatures: { protected: string }[] }).signatures[0] as { protected: string };
  const h = JSON.parse(Buffer.from(sig.protected, 'base64url').toString()) as { formatLength: number; formatTail: string };
  return body.subarray(0, h.formatLength).toString() + Buffer.from(h.formatTail, 'base64url').toString();
}

describe('schema-1 payload (libtrust pretty signature)', () => {
  it('is the body without its signatures, hashed to the digest registries give it', () => {
    expect(schema1Payload(genuine.body).toString()).toBe(genuine.payload);
    expect(manifestDigest(genuine.body, SCHEMA1_SIGNED)).toBe(genuine.digest);
  });

  it.each([
    ['a body of other layers claiming the genuine payload in formatTail', tailForgery(genuine.payload, evil)],
    ['the genuine first member, evil members, the genuine rest in formatTail', splitForgery(genuine.payload, evil)],
  ])('refuses %s', (_name, forged) => {
    // The forgery works against a verifier that trusts the protected header…
    expect(claimed(forged)).toBe(genuine.payload);
    expect((JSON.parse(forged.toString()) as { fsLayers: unknown }).fsLayers).toEqual(evil.fsLayers);
    // …and not here.
    expect(() => schema1Payload(forged)).toThrow(expect.objectContaining({ kind: 'digest_mismatch' }));
  });

  it.each([
    ['no signatures', '{"schemaVersion": 1}'],
    ['signatures not last', '{"signatures": [{"protected": "e30"}], "schemaVersion": 1}'],
    ['a protected header without format', '{"schemaVersion": 1,"signatures": [{"protected": "e30"}]}'],
    ['not JSON', '{"schemaVersion": 1,'],
    ['an array', '[1, 2]'],
  ])('refuses a body with %s', (_name, body) => {
    expect(() => schema1Payload(Buffer.from(body))).toThrow(expect.objectContaining({ kind: expect.stringMatching(/digest_mismatch|invalid/) }));
  });

  it('refuses signatures that disagree on the format', () => {
    const doc = JSON.parse(genuine.body.toString()) as { signatures: { protected: string }[] };
    const other = Buffer.from(JSON.stringify({ formatLength: 3, formatTail: Buffer.from('\n}').toString('base64url') })).toString('base64url');
    const two = genuine.body.toString().replace(/"signatures": \[/, `"signatures": [{"header": {}, "signature": "x", "protected": "${other}"},`);
    expect(doc.signatures).toHaveLength(1);
    expect(() => schema1Payload(Buffer.from(two))).toThrow(/disagree/);
  });

  it('refuses deep nesting as invalid before parsing it', () => {
    const nested = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(() => schema1Payload(nested)).toThrow(expect.objectContaining({ kind: 'declined', message: expect.stringContaining('nests deeper than 64') }));
  });
});
