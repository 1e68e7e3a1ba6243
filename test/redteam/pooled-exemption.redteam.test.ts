// Red team: the address filter runs when a connection is made
// (connect-guard.ts), and named-hosts.ts reads the rules at every connection
// "so a reload that drops a host also drops its exemption". But undici keeps
// connections alive per origin: after a reload that stops naming an internal
// registry, the pooled connection to it is reused with no check, so in open
// mode a pull of that registry still reaches it (for as long as the pool keeps
// the socket: the upstream's Keep-Alive hint and traffic decide that).
// Required: once the rules in force no longer name 127.0.0.1:P, a pull of it
// in open mode is refused by the filter and P sees no further request.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeRegistry, type FakeRegistry } from '../../src/bench/simulated-registry.js';
import { makeImage, pushImage } from '../../src/bench/test-image.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';
import { makePki } from '../helpers/tls.js';

const image = makeImage(919);
let source: FakeRegistry | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await source?.stop();
  proxy = source = undefined;
});

describe('a reload that stops naming an internal registry', () => {
  it('ends its exemption for pooled connections too', async () => {
    const pki = makePki();
    source = await fakeRegistry({ certFile: pki.certFile, keyFile: pki.keyFile });
    pushImage(source, 'ns/app', image, 'v1');
    // The CA stays configured for the host in both rule sets (an admin leaves a ConfigMap behind); only the naming changes.
    const trust =
      'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  additionalTrustedCA: {name: cas}\n' +
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas, namespace: openshift-config}\ndata:\n  ${source.host.replace(':', '..')}: |\n${pki.caPem.replace(/^/gm, '    ')}\n`;
    const naming = `---\napiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: other}\nspec:\n  imageDigestMirrors:\n  - source: "quay.io/other"\n    mirrors: ["${source.host}/other"]\n`;
    proxy = await startTestProxy({ 'rules.yaml': trust + naming }, { open: true });
    const path = `/v2/ns/app/manifests/${image.manifestDigest}?ns=${source.host}`;
    expect((await proxy.get(path)).status).toBe(200);

    writeFileSync(join(proxy.proxy.holder.paths[0] as string, 'rules.yaml'), trust);
    expect((await proxy.proxy.holder.reload()).ok).toBe(true);
    const before = source.requests.length;
    const res = await proxy.get(path);
    expect({ status: res.status, sourceRequests: source.requests.length - before }).toEqual({ status: 503, sourceRequests: 0 });
  });

  it('control: with no pooled connection the same pull is refused by the filter', async () => {
    const pki = makePki();
    source = await fakeRegistry({ certFile: pki.certFile, keyFile: pki.keyFile });
    pushImage(source, 'ns/app', image, 'v1');
    const trust =
      'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  additionalTrustedCA: {name: cas}\n' +
      `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas, namespace: openshift-config}\ndata:\n  ${source.host.replace(':', '..')}: |\n${pki.caPem.replace(/^/gm, '    ')}\n`;
    proxy = await startTestProxy({ 'rules.yaml': trust }, { open: true });
    const res = await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${source.host}`);
    expect({ status: res.status, sourceRequests: source.requests.length }).toEqual({ status: 503, sourceRequests: 0 });
    expect(res.body.toString()).toContain('the address is not one mirrorgate may reach');
  });
});
