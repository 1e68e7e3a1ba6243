// Rules whose source host has upper case match no pull (the route lower-cases
// the pulled host; the rules compare byte by byte, as the node does): said at
// load as a warning naming the scope and its lower-case form.
import { describe, expect, it } from 'vitest';
import { resolve } from '../../../src/core/index.js';
import { rulesFrom } from '../../helpers/rules.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const rules = () =>
  rulesFrom({
    'r.yaml': [
      'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["Evil.Example.com", "ok.example.com"]\n',
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: d}\nspec:\n  imageDigestMirrors:\n  - source: "Quay.io/x"\n    mirrors: ["m.local/x"]\n',
    ].join('---\n'),
  });

describe('source scopes with upper case in the host', () => {
  it('are warned about at load, with the lower-case form to write', () => {
    const warnings = rules().warnings.filter((w) => w.includes('upper case'));
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('"Quay.io/x" has upper case in its host');
    expect(warnings.join('\n')).toContain('write it as "quay.io/x"');
    expect(warnings.join('\n')).toContain('write it as "evil.example.com"');
  });

  it('are warned about when the connection writes the host another way (127.1, a default port), naming that form', () => {
    const warnings = rulesFrom({
      'r.yaml':
        'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    blockedRegistries: ["127.1:5000", "quay.io:443", "ok.example.com:5000"]\n',
    }).warnings.filter((w) => w.includes('spelled'));
    expect(warnings).toEqual([expect.stringContaining('"127.0.0.1:5000"'), expect.stringContaining('"quay.io" over https')]);
  });

  it('a search registry the connection writes another way is warned about, naming that form', () => {
    const warnings = rulesFrom({ 'r.toml': 'unqualified-search-registries = ["quay.io:443", "docker.io"]\n' }).warnings.filter((w) => w.includes('search'));
    expect(warnings).toEqual([expect.stringContaining('"quay.io:443" is reached as "quay.io" over https')]);
  });

  it('still match only byte for byte, as on the node (spec vector V143): the lower-case pull is not mirrored', () => {
    expect(resolve(`quay.io/x/app@${D}`, rules()).attempts.map((a) => a.reference)).toEqual([`quay.io/x/app@${D}`]);
  });
});
