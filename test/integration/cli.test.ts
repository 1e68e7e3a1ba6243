// The built `mirrorgate` command as a user runs it: output and exit codes.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

const D = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function rulesDir(files: Record<string, string>): string {
  const dir = tempDir('rules');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const IDMS = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: d}
spec:
  imageDigestMirrors:
  - {source: quay.io/x, mirrors: [m.local/x], mirrorSourcePolicy: NeverContactSource}
  - {source: quay.io/libpod/busybox, mirrors: [docker.io/busybox]}
`;

describe('mirrorgate resolve', () => {
  const dir = rulesDir({ 'idms.yaml': IDMS });

  it('prints the JSON plan and exits 0', () => {
    const r = runCli(['resolve', `quay.io/x/app@${D}`, '--rules', dir, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      image: `quay.io/x/app@${D}`,
      pullBy: 'digest',
      endpoints: [{ reference: `m.local/x/app@${D}`, role: 'mirror', insecure: false }],
    });
  });

  it('exits 3 with the reason when nothing may be contacted', () => {
    const r = runCli(['resolve', 'quay.io/x/app:v1', '--rules', dir, '--json']);
    expect(r.code).toBe(3);
    const plan = JSON.parse(r.stdout) as { denied: string; endpoints: unknown[] };
    expect(plan.endpoints).toEqual([]);
    expect(plan.denied).toContain('every endpoint is blocked');
  });

  it('exits 4 for an invalid reference and for a rewrite that yields one', () => {
    const bad = runCli(['resolve', 'quay.io/X/app', '--rules', dir]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('repository name must be lowercase');
    const rewrite = runCli(['resolve', `quay.io/libpod/busybox@${D}`, '--rules', dir]);
    expect(rewrite.code).toBe(4);
    expect(rewrite.stderr).toContain('rewriting reference: repository name must be canonical');
  });

  it('exits 2 with every error of the rules on stderr', () => {
    const broken = rulesDir({
      'a.yaml': 'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: t}\nspec:\n  imageTagMirrors:\n  - {source: "quay.io/NS", mirrors: ["*.m"]}\n',
      'b.toml': '[[registry]]\nlocation = "https://quay.io"\n',
    });
    const r = runCli(['resolve', 'quay.io/x/app:v1', '--rules', broken]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('invalid rules (3 errors)');
    expect(r.stderr).toContain(`${basename(broken)}/a.yaml: ImageTagMirrorSet/t: spec.imageTagMirrors[0].source: invalid format for source "quay.io/NS"`);
    expect(r.stderr).toContain(`${basename(broken)}/a.yaml: ImageTagMirrorSet/t: spec.imageTagMirrors[0].mirrors[0]: invalid format for mirror "*.m"`);
    expect(r.stderr).toContain(`${basename(broken)}/b.toml: invalid location 'https://quay.io': URI schemes are not supported`);
  });

  it('exits 2 for a rules path that does not exist', () => {
    const r = runCli(['resolve', 'busybox', '--rules', '/nonexistent/rules']);
    expect(r.code).toBe(2);
    // Named relative to the configured root's parent: no absolute server path in any diagnostic.
    expect(r.stderr).toContain('rules: cannot read: ENOENT');
    expect(r.stderr).not.toContain('/nonexistent');
  });

  it('exits 1 on usage errors', () => {
    expect(runCli([]).code).toBe(1);
    expect(runCli(['resolve', 'busybox']).stderr).toContain('--rules is required');
    expect(runCli(['resolve', '--rules', dir]).code).toBe(1);
    expect(runCli(['resolve', 'a', '--rules', dir, '--bogus']).stderr).toContain('unknown option --bogus');
    expect(runCli(['frobnicate']).code).toBe(1);
    expect(runCli(['help']).code).toBe(0);
  });
});

describe('mirrorgate render registries-conf', () => {
  it('prints a registries.conf that loads back with the same plans', () => {
    const dir = rulesDir({ 'idms.yaml': IDMS.replace('  - {source: quay.io/libpod/busybox, mirrors: [docker.io/busybox]}\n', '') });
    const r = runCli(['render', 'registries-conf', '--rules', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[[registry]]\nlocation = "quay.io/x"\nblocked = true');
    const rendered = rulesDir({ 'registries.conf.toml': r.stdout });
    for (const image of [`quay.io/x/app@${D}`, 'quay.io/x/app:v1', 'docker.io/library/busybox']) {
      const direct = runCli(['resolve', image, '--rules', dir, '--json']);
      const viaRendered = runCli(['resolve', image, '--rules', rendered, '--json']);
      // The denial reason names the file that set the rule, so only its presence is compared.
      const shape = (stdout: string) => ({ ...JSON.parse(stdout), denied: 'denied' in JSON.parse(stdout) });
      expect(shape(viaRendered.stdout)).toEqual(shape(direct.stdout));
      expect(viaRendered.code).toBe(direct.code);
    }
  });
});

describe('mirrorgate generate openshift, read back', () => {
  it('the generated mirror sets, loaded with the originals, resolve with mirrorgate first; --advertise leaves it out', () => {
    const dir = rulesDir({ 'idms.yaml': IDMS });
    const generated = runCli(['generate', 'openshift', '--proxy', 'http://mirrorgate.example:5000', '--rules', dir]);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toContain('kind: ImageDigestMirrorSet');
    const both = rulesDir({ 'idms.yaml': IDMS, 'mirrorgate.yaml': generated.stdout });
    const endpoints = (extra: string[]) => (JSON.parse(runCli(['resolve', `quay.io/x/app@${D}`, '--rules', both, '--json', ...extra]).stdout) as { endpoints: { reference: string }[] }).endpoints.map((e) => e.reference);
    expect(endpoints([])).toEqual([`mirrorgate.example:5000/quay.io/x/app@${D}`, `m.local/x/app@${D}`]);
    expect(endpoints(['--advertise', 'mirrorgate.example:5000'])).toEqual([`m.local/x/app@${D}`]);
  });
});
