// Which hosts the address filter exempts: those the rules in force name (as
// host[:port] is written there, compared like URL.host), the default registry
// and upstream.allow; a reload changes the answer.
import { describe, expect, it } from 'vitest';
import { namedHosts } from '../../../src/upstream/named-hosts.js';
import { rulesFrom } from '../../helpers/rules.js';

const idms = (source: string, mirror: string) =>
  rulesFrom({ 'r.yaml': `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${source}"\n    mirrors: ["${mirror}"]\n` });

describe('hosts named for the address filter', () => {
  it('names sources and mirrors by host:port, case-insensitively, plus the default registry and allow', () => {
    let rules = idms('quay.io/ns', 'Mirror.Internal:5000/ns');
    const named = namedHosts(() => rules, 'docker.io', ['127.0.0.1:7000', '*.corp.example']);
    expect(named('mirror.internal:5000')).toBe(true);
    expect(named('mirror.internal:5001')).toBe(false);
    expect(named('mirror.internal')).toBe(false);
    expect(named('quay.io')).toBe(true);
    expect(named('registry-1.docker.io')).toBe(true);
    expect(named('127.0.0.1:7000')).toBe(true);
    expect(named('127.0.0.1:7001')).toBe(false);
    expect(named('reg.corp.example')).toBe(true);
    rules = rulesFrom({ 'i.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["blocked.internal:5000"]\n' });
    expect(named('blocked.internal:5000')).toBe(false);
    const never = (source: string) =>
      rulesFrom({ 'r.yaml': `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "${source}"\n    mirrors: ["m.internal/ns"]\n    mirrorSourcePolicy: NeverContactSource\n` });
    rules = never('never.internal');
    expect(named('never.internal')).toBe(false);
    expect(named('m.internal')).toBe(true);
    // Refused for one namespace only: the registry's other repositories are still pulled from it.
    rules = never('never.internal/ns');
    expect(named('never.internal')).toBe(true);
    rules = idms('quay.io/ns', 'other.internal/ns');
    expect(named('mirror.internal:5000')).toBe(false);
    expect(named('other.internal')).toBe(true);
  });
});
