// What resolving a pull costs the proxy per request, as rule sets grow.
// Baseline in the same run: parsing the reference alone (resolve can never be
// cheaper). vitest prints ops/s per case and how many times slower each is.
import { bench, describe } from 'vitest';
import { DiagnosticSink, compileRules, parsePullReference, parseRuleFile, resolve } from '../src/core/index.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** `count` IDMS entries for distinct sources, each with two mirrors, plus a few ITMS. */
function rulesWith(count: number) {
  const entries = Array.from({ length: count }, (_, i) => `  - {source: registry${i % 50}.example.com/ns${i}, mirrors: [m1.local/ns${i}, m2.local:5000/ns${i}]}`);
  const text = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: bench}
spec:
  imageDigestMirrors:
${entries.join('\n')}
---
apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata: {name: bench}
spec:
  imageTagMirrors:
  - {source: docker.io/library, mirrors: [m1.local/library]}
`;
  const sink = new DiagnosticSink({ file: 'bench' });
  return compileRules(parseRuleFile('bench.yaml', text, sink), sink);
}

const images = Array.from({ length: 256 }, (_, i) => (i % 2 ? `registry${i % 50}.example.com/ns${i}/app@${D}` : `busybox:${i}`));

describe('resolve one pull', () => {
  let i = 0;
  const next = () => images[i++ % images.length] as string;
  bench('baseline: parse the reference only', () => {
    parsePullReference(next());
  });
  for (const count of [10, 100, 1000]) {
    const rules = rulesWith(count);
    bench(`resolve with ${count} IDMS entries`, () => {
      resolve(next(), rules);
    });
  }
});
