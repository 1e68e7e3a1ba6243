import { describe, expect, it } from 'vitest';
import { explainPlan, isImportAllowed, parsePullReference, planToJson, resolve } from '../../../src/core/index.js';
import { policyLookupOrder } from '../../../src/core/rules/policy.js';
import { rulesFrom } from '../../helpers/rules.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const obj = (apiVersion: string, kind: string, name: string, body: string) => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\n${body}`;
const icp = (entries: string) => obj('config.openshift.io/v1', 'ImageContentPolicy', 'icp', `spec:\n  repositoryDigestMirrors:\n${entries}`);
const idms = (entries: string, name = 'idms') => obj('config.openshift.io/v1', 'ImageDigestMirrorSet', name, `spec:\n  imageDigestMirrors:\n${entries}`);
const itms = (entries: string, name = 'itms') => obj('config.openshift.io/v1', 'ImageTagMirrorSet', name, `spec:\n  imageTagMirrors:\n${entries}`);
const image = (spec: string) => obj('config.openshift.io/v1', 'Image', 'cluster', `spec:\n${spec}`);
const refs = (image: string, files: Record<string, string>) => resolve(image, rulesFrom(files)).endpoints.map((e) => e.reference);

describe('ImageContentPolicy (mirrorgate honours allowMirrorByTags as documented)', () => {
  const files = {
    'icp.yaml': icp('  - {source: quay.io/tags, mirrors: [m.local/tags], allowMirrorByTags: true}\n  - {source: quay.io/digests, mirrors: [m.local/digests]}\n'),
  };
  it.each([
    [`quay.io/tags/app@${D}`, [`m.local/tags/app@${D}`, `quay.io/tags/app@${D}`]],
    ['quay.io/tags/app:v1', ['m.local/tags/app:v1', 'quay.io/tags/app:v1']],
    [`quay.io/digests/app@${D}`, [`m.local/digests/app@${D}`, `quay.io/digests/app@${D}`]],
    ['quay.io/digests/app:v1', ['quay.io/digests/app:v1']],
  ])('%s', (image, expected) => {
    expect(refs(image, files)).toEqual(expected);
  });
});

describe('digest-only and tag-only mirrors', () => {
  const files = {
    'r.yaml': `${idms('  - {source: quay.io/x, mirrors: [d.local/x]}\n')}\n---\n${itms('  - {source: quay.io/x, mirrors: [t.local/x]}\n')}`,
  };
  it('explains the mirrors a pull leaves out', () => {
    const tagPlan = resolve('quay.io/x/app:v1', rulesFrom(files));
    expect(tagPlan.endpoints.map((e) => e.reference)).toEqual(['t.local/x/app:v1', 'quay.io/x/app:v1']);
    expect(tagPlan.excludedMirrors).toEqual([{ location: 'd.local/x', reason: 'serves digest pulls only (pull-from-mirror = "digest-only", from ImageDigestMirrorSet/idms (r.yaml))' }]);
    const digestPlan = resolve(`quay.io/x/app@${D}`, rulesFrom(files));
    expect(digestPlan.excludedMirrors.map((m) => m.location)).toEqual(['t.local/x']);
  });
});

describe('insecure flags and CA bundles on each endpoint', () => {
  const files = {
    'r.yaml': [
      idms('  - {source: quay.io/x, mirrors: ["reg.internal:5000/x", "lab.internal/x"]}\n'),
      image('  additionalTrustedCA: {name: cas}\n  registrySources:\n    insecureRegistries: [lab.internal]\n'),
      obj('v1', 'ConfigMap', 'cas', `data:\n  reg.internal..5000: |\n${PEM.replace(/^/gm, '    ')}`),
    ].join('\n---\n'),
  };
  it('attaches the CA of the endpoint host:port and the insecure flag of the mirror', () => {
    const plan = resolve(`quay.io/x/app@${D}`, rulesFrom(files));
    expect(plan.endpoints.map((e) => [e.reference, e.insecure, e.ca?.host])).toEqual([
      [`reg.internal:5000/x/app@${D}`, false, 'reg.internal:5000'],
      [`lab.internal/x/app@${D}`, true, undefined],
      [`quay.io/x/app@${D}`, false, undefined],
    ]);
    expect(plan.endpoints[0]?.ca?.pem).toContain('BEGIN CERTIFICATE');
  });

  it('decodes binaryData and base64 data values as the cluster does', () => {
    const b64 = Buffer.from(PEM).toString('base64');
    const rules = rulesFrom({
      'i.yaml': image('  additionalTrustedCA: {name: cas}\n'),
      'cm.yaml': obj('v1', 'ConfigMap', 'cas', `data:\n  a.io: ${b64}\nbinaryData:\n  b.io..443: ${b64}\n`),
    });
    expect([...rules.trustedCAs.keys()]).toEqual(['a.io', 'b.io:443']);
    expect(rules.trustedCAs.get('b.io:443')?.pem).toBe(PEM);
  });
});

describe('short names', () => {
  const files = {
    'r.yaml': `${image('  registrySources:\n    containerRuntimeSearchRegistries: [registry.access.redhat.com, docker.io]\n    blockedRegistries: [registry.access.redhat.com]\n')}\n---\n${itms('  - {source: docker.io/library, mirrors: [m.local/library]}\n')}`,
  };
  it('tries each search registry in order, skipping denied candidates', () => {
    const plan = resolve('busybox', rulesFrom(files));
    expect(plan.candidates?.map((c) => [c.image, c.denied !== undefined])).toEqual([
      ['registry.access.redhat.com/busybox:latest', true],
      ['docker.io/library/busybox:latest', false],
    ]);
    expect(planToJson(plan)).toEqual({
      image: 'busybox',
      pullBy: 'tag',
      endpoints: [
        { reference: 'm.local/library/busybox:latest', role: 'mirror', insecure: false },
        { reference: 'docker.io/library/busybox:latest', role: 'source', insecure: false },
      ],
    });
  });

  it('without search registries, normalizes as the docker transport does', () => {
    expect(refs('busybox', {})).toEqual(['docker.io/library/busybox:latest']);
  });
});

describe('explanations of where the cluster departs from the documents', () => {
  it('NeverContactSource set by an IDMS refuses tag pulls too', () => {
    const files = { 'r.yaml': idms('  - {source: quay.io/x, mirrors: [m.local/x], mirrorSourcePolicy: NeverContactSource}\n') };
    const plan = resolve('quay.io/x/app:v1', rulesFrom(files));
    expect(plan.denied).toContain('every endpoint is blocked');
    expect(plan.divergences.join()).toContain('NeverContactSource was set by ImageDigestMirrorSet but also refuses this tag pull');
    const digestPlan = resolve(`quay.io/x/app@${D}`, rulesFrom(files));
    expect(digestPlan.divergences).toEqual([]);
    expect(digestPlan.endpoints.map((e) => e.role)).toEqual(['mirror']);
  });

  it('a blocked registry cannot be pulled through its mirrors', () => {
    const files = { 'r.yaml': `${idms('  - {source: quay.io/x, mirrors: [m.local/x]}\n')}\n---\n${image('  registrySources:\n    blockedRegistries: [quay.io]\n')}` };
    const plan = resolve(`quay.io/x/app@${D}`, rulesFrom(files));
    expect(plan.denied).toMatch(/^rejected by policy: blocked by blockedRegistries "quay.io" in Image\/cluster \(r.yaml\)/);
    expect(plan.divergences.join()).toContain(`the mirrors (m.local/x/app@${D}) cannot serve it either`);
    const text = explainPlan(plan);
    expect(text).toContain('policy:   REJECTED');
    expect(text).toContain('DENIED: rejected by policy');
  });

  it('the readable plan names the rule and the object behind each mirror', () => {
    const text = explainPlan(resolve(`quay.io/x/app@${D}`, rulesFrom({ 'r.yaml': idms('  - {source: quay.io/x, mirrors: [m.local/x]}\n') })));
    expect(text).toContain('rule:     entry "quay.io/x" (the longest matching prefix)');
    expect(text).toMatch(/1 +mirror +m\.local\/x\/app@sha256:\S+ +- +mirror from ImageDigestMirrorSet\/idms \(r\.yaml\)/);
    expect(text).toMatch(/2 +source +quay\.io\/x\/app@sha256:\S+ +- +the source, always tried after its mirrors/);
    expect(text).toContain('2 endpoints will be tried in this order.');
  });
});

describe('policy.json lookup order (containers/image DockerReferenceNamespaces)', () => {
  it.each([
    ['a.b.example.com:5000/ns/r:1', ['a.b.example.com:5000/ns/r:1', 'a.b.example.com:5000/ns/r', 'a.b.example.com:5000/ns', 'a.b.example.com:5000', '*.b.example.com', '*.example.com', '*.com']],
    [`quay.io/x@${D}`, [`quay.io/x@${D}`, 'quay.io/x', 'quay.io', '*.io']],
    ['localhost/x:1', ['localhost/x:1', 'localhost/x', 'localhost']],
  ])('%s', (ref, expected) => {
    expect(policyLookupOrder(parsePullReference(ref))).toEqual(expected);
  });

  it('the most specific scope wins, then the default', () => {
    const files = { 'i.yaml': image('  registrySources:\n    allowedRegistries: [quay.io/ok, "*.example.com"]\n') };
    const rules = rulesFrom(files);
    expect(resolve('quay.io/ok/app:1', rules).policy).toMatchObject({ accept: true, scope: 'quay.io/ok' });
    expect(resolve('a.example.com:5000/app:1', rules).policy).toMatchObject({ accept: true, scope: '*.example.com' });
    expect(resolve('quay.io/other/app:1', rules).denied).toBe('rejected by policy: not in allowedRegistries of Image/cluster (i.yaml) (the logical name is checked, so mirrors cannot serve it either)');
  });
});

describe('allowedRegistriesForImport (openshift-apiserver whitelister)', () => {
  const rules = [
    { domainName: '*domain.ltd', insecure: false },
    { domainName: 'insecure.io', insecure: true },
    { domainName: 'anyport.io:*', insecure: false },
    { domainName: 'docker.io', insecure: false },
  ];
  it.each([
    ['domain.ltd', true],
    ['my.domain.ltd', true],
    ['mydomain.ltd:443', true],
    ['domain.ltd:5000', false],
    ['insecure.io', false],
    ['anyport.io:5000', true],
    ['registry-1.docker.io', true],
    ['index.docker.io', true],
    ['other.io', false],
  ])('%s allowed: %s', (registry, allowed) => {
    expect(isImportAllowed(rules, registry).allowed).toBe(allowed);
  });

  it('an insecure import uses port 80', () => {
    expect(isImportAllowed(rules, 'insecure.io', true).allowed).toBe(true);
  });

  it('no list allows everything', () => {
    expect(isImportAllowed(undefined, 'x.io')).toEqual({ allowed: true });
  });
});
