// Property tests for manifest bodies as upstreams send them: the depth scan
// agrees with the parsed structure, and schema-1 payload derivation and
// type sniffing throw only UpstreamFailure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDepth, parseUpstreamJson } from '../../../src/pull/bounded-json.js';
import { schema1Payload } from '../../../src/pull/schema1.js';
import { effectiveType, manifestDigest } from '../../../src/pull/verify.js';
import { UpstreamFailure } from '../../../src/upstream/failure.js';
import { signedSchema1 } from '../../helpers/schema1.js';
import { RUNS, textOver, typedOnly } from './arbitraries.js';

const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);

describe('fuzz: upstream JSON', () => {
  it('jsonDepth is the nesting of the parsed value, strings with brackets included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        const text = JSON.stringify(v);
        if (jsonDepth(Buffer.from(text)) !== depthOf(v)) throw new Error(`${text}: ${jsonDepth(Buffer.from(text))} != ${depthOf(v)}`);
      }),
      RUNS,
    );
  });

  it('bodies of any bytes give a payload, a type, or an UpstreamFailure', () => {
    const genuine = signedSchema1({ name: 'ns/app', tag: 'v1' }).body.toString();
    // Mutations of a genuine signed body reach deep into the derivation; random text covers the rest.
    const mutated = fc.tuple(fc.nat({ max: genuine.length }), fc.nat({ max: 8 }), textOver('{}[]",:\\ \n0aesignatur', 8)).map(([at, cut, insert]) => genuine.slice(0, at) + insert + genuine.slice(at + cut));
    const body = fc.oneof(mutated, textOver('{}[]",:\\ \n0a', 120), fc.string({ maxLength: 120 }));
    fc.assert(
      fc.property(body, fc.constantFrom('application/json', 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'text/plain'), (b, type) => {
        const bytes = Buffer.from(b);
        const payload = typedOnly(() => schema1Payload(bytes), UpstreamFailure);
        if (payload) {
          // What is hashed is what clients read: the body's members, less its signatures.
          const { signatures: _, ...members } = JSON.parse(b) as Record<string, unknown>;
          expect(JSON.parse(payload.toString())).toEqual(members);
        }
        typedOnly(() => parseUpstreamJson(bytes, 'x'), UpstreamFailure);
        typedOnly(() => manifestDigest(bytes, effectiveType(bytes, type)), UpstreamFailure);
      }),
      RUNS,
    );
  });
});
