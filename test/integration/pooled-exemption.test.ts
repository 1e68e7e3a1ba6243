// The address filter runs when a connection is made (connect-guard.ts), and
// undici keeps connections alive per origin: a socket opened while the rules
// named an internal registry used to be reused after a reload that stopped
// naming it, so open-mode pulls still reached it (red-team finding). Requests
// are now dispatched by whether the rules in force name their origin
// (src/upstream/agents.ts): the unnamed host gets a filtered connection.
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

/** A TLS source with its image, and rules that trust its CA without naming it. */
async function tlsSource(): Promise<{ source: FakeRegistry; trust: string }> {
  const pki = makePki();
  const started = await fakeRegistry({ certFile: pki.certFile, keyFile: pki.keyFile });
  pushImage(started, 'ns/app', image, 'v1');
  const trust =
    'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  additionalTrustedCA: {name: cas}\n' +
    `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas, namespace: openshift-config}\ndata:\n  ${started.host.replace(':', '..')}: |\n${pki.caPem.replace(/^/gm, '    ')}\n`;
  return { source: started, trust };
}

describe('a reload that stops naming an internal registry', () => {
  it('ends its exemption for pooled connections too', async () => {
    // The CA stays configured for the host in both rule sets (an admin leaves a ConfigMap behind); only the naming changes.
    const made = await tlsSource();
    source = made.source;
    const trust = made.trust;
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
    const made = await tlsSource();
    source = made.source;
    const trust = made.trust;
    proxy = await startTestProxy({ 'rules.yaml': trust }, { open: true });
    const res = await proxy.get(`/v2/ns/app/manifests/${image.manifestDigest}?ns=${source.host}`);
    expect({ status: res.status, sourceRequests: source.requests.length }).toEqual({ status: 503, sourceRequests: 0 });
    expect(res.body.toString()).toContain('the address is not one mirrorgate may reach');
  });
});
