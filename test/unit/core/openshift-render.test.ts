// `mirrorgate generate openshift`: mirror sets with mirrorgate first, policies
// kept, a MachineConfig for a plain-HTTP mirrorgate; and mirrorgate reading the
// generated objects back (with the originals, as a cluster holds them) never
// lists itself (server.advertise).
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderOpenShift } from '../../../src/core/render/openshift.js';
import { withoutSelf } from '../../../src/core/rules/self-mirrors.js';
import { resolve } from '../../../src/core/resolve/resolve.js';
import { explainPlan } from '../../../src/core/resolve/explain.js';
import { rulesFrom } from '../../helpers/rules.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ORIGINALS = {
  'idms.yaml': `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: release}
spec:
  imageDigestMirrors:
  - {source: quay.io/release, mirrors: [m1.local/release, m2.local/release], mirrorSourcePolicy: NeverContactSource}
  - {source: "registry.local:5000/team", mirrors: [m1.local/team]}
  - {source: "*.example.com", mirrors: [m1.local/ex]}
`,
  'itms.yaml': `apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata: {name: hub}
spec:
  imageTagMirrors:
  - {source: docker.io/library, mirrors: [m1.local/library]}
`,
};
const PROXY = 'mirrorgate.example:5000';

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: any };
const render = (url: string, aliases = new Map<string, string>()) => renderOpenShift(rulesFrom(ORIGINALS), new URL(url), aliases);
const docsOf = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Doc).filter(Boolean);

describe('generate openshift', () => {
  const text = render(`http://${PROXY}`, new Map([['reg5000', 'registry.local:5000']]));
  const docs = docsOf(text);
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);

  it('an IDMS with mirrorgate first, the rules’ mirrors after it in order, and each policy kept', () => {
    expect(byKind('ImageDigestMirrorSet')[0]?.spec.imageDigestMirrors).toEqual([
      { source: 'quay.io/release', mirrors: [`${PROXY}/quay.io/release`, 'm1.local/release', 'm2.local/release'], mirrorSourcePolicy: 'NeverContactSource' },
      { source: 'registry.local:5000/team', mirrors: [`${PROXY}/reg5000/team`, 'm1.local/team'] },
    ]);
  });

  it('an ITMS for the tag mirrors', () => {
    expect(byKind('ImageTagMirrorSet')[0]?.spec.imageTagMirrors).toEqual([{ source: 'docker.io/library', mirrors: [`${PROXY}/docker.io/library`, 'm1.local/library'] }]);
  });

  it('says what it could not express: a wildcard source, and what to set in mirrorgate.toml', () => {
    expect(text).toContain('# Not mirrored through mirrorgate: *.example.com');
    expect(text).toContain(`# Set server.advertise = ["${PROXY}"]`);
  });

  it('a plain-HTTP mirrorgate gets a MachineConfig per pool with a drop-in marking its address insecure', () => {
    const configs = byKind('MachineConfig');
    expect(configs.map((c) => c.metadata.labels?.['machineconfiguration.openshift.io/role'])).toEqual(['master', 'worker']);
    const file = configs[0]?.spec.config.storage.files[0];
    expect(file.path).toBe('/etc/containers/registries.conf.d/99-mirrorgate.conf');
    const conf = Buffer.from(String(file.contents.source).split('base64,')[1] as string, 'base64').toString();
    expect(conf).toContain(`[[registry]]\nlocation = "${PROXY}"\ninsecure = true`);
  });

  it('an HTTPS mirrorgate needs no MachineConfig; the CA note names the additionalTrustedCA key', () => {
    const https = render('https://mirrorgate.example:5443');
    expect(docsOf(https).map((d) => d.kind)).toEqual(['ImageDigestMirrorSet', 'ImageTagMirrorSet']);
    expect(https).toContain('"mirrorgate.example..5443"');
  });

  it('a registry that cannot be a path component gets an alias note when none is configured', () => {
    expect(render(`http://${PROXY}`)).toContain('# registry.local-5000 = "registry.local:5000"');
  });
});

describe('mirrorgate reading the generated objects back with the originals', () => {
  const generated = render(`http://${PROXY}`, new Map([['reg5000', 'registry.local:5000']]));
  const readBack = rulesFrom({ ...ORIGINALS, 'mirrorgate.yaml': generated });
  const hosts = (rules = readBack, image: string) => resolve(image, rules).endpoints.map((e) => e.reference.split('/')[0]);

  it('without server.advertise the plan would send mirrorgate to itself (what the setting prevents)', () => {
    expect(hosts(readBack, `quay.io/release/app@${D}`)).toContain(PROXY);
  });

  it.each([
    { image: `quay.io/release/app@${D}`, hosts: ['m1.local', 'm2.local'] },
    { image: `registry.local:5000/team/app@${D}`, hosts: ['m1.local', 'registry.local:5000'] },
    { image: 'docker.io/library/busybox:1', hosts: ['m1.local', 'docker.io'] },
    { image: `docker.io/library/busybox@${D}`, hosts: ['docker.io'] },
  ])('$image: the rules’ own plan, no self-loop, NeverContactSource kept', ({ image, hosts: expected }) => {
    const self = withoutSelf(readBack, [PROXY]);
    expect(hosts(self, image)).toEqual(expected);
    expect(hosts(self, image)).toEqual(hosts(rulesFrom(ORIGINALS), image));
  });

  it('the plan says why the mirror was left out; the address matches case-insensitively and with :443 implied', () => {
    const self = withoutSelf(readBack, ['MirrorGate.Example:5000']);
    expect(explainPlan(resolve(`quay.io/release/app@${D}`, self))).toContain(`mirror ${PROXY}/quay.io/release left out: it is mirrorgate itself (server.advertise)`);
    const https = rulesFrom({ ...ORIGINALS, 'mirrorgate.yaml': render('https://mirrorgate.example') });
    expect(hosts(withoutSelf(https, ['mirrorgate.example:443']), `quay.io/release/app@${D}`)).toEqual(['m1.local', 'm2.local']);
  });

  it('rules that do not name mirrorgate are returned as they are', () => {
    const rules = rulesFrom(ORIGINALS);
    expect(withoutSelf(rules, [PROXY])).toBe(rules);
    expect(withoutSelf(readBack, [])).toBe(readBack);
  });
});
