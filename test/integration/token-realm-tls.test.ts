// A registry behind a private CA (the disconnected Quay or Harbor) whose token
// realm is another HTTPS server signed by the same CA: the realm is trusted
// through the TLS policy of the endpoint that sent the challenge, and the
// registry's Basic credentials go to it over TLS.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestProxy } from '../helpers/proxy.js';
import { makePki } from '../helpers/tls.js';
import { authorizations, hostileServer } from '../fakes/hostile.js';
import { credentialsFile, useCleanup } from '../helpers/trust.js';

const { later, serve } = useCleanup();
const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 }, layers: [] }));


describe('token realm behind the registry private CA', () => {
  it('fetches the token over HTTPS trusted by additionalTrustedCA, with the credentials, and serves', async () => {
    const pki = makePki();
    const tls = { certFile: pki.certFile, keyFile: pki.keyFile };
    const realm = await serve(hostileServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"ca-token","expires_in":300}'), { tls }));
    const registry = await serve(
      hostileServer((req, res) => {
        if (req.headers.authorization !== 'Bearer ca-token') {
          return void res.writeHead(401, { 'www-authenticate': `Bearer realm="https://${realm.host}/token",service="quay"` }).end();
        }
        const digest = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': MANIFEST.length, 'docker-content-digest': digest }).end(MANIFEST);
      }, { tls }),
    );
    // The CA is configured for the registry's host only, as an OpenShift admin would.
    const rules = {
      'image.yaml': 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  additionalTrustedCA: {name: cas}\n',
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cas, namespace: openshift-config}\ndata:\n  ${registry.host.replace(':', '..')}: |\n${pki.caPem.replace(/^/gm, '    ')}`,
    };
    const auth = credentialsFile(later, { [registry.host]: { username: 'robot', password: 'quay-secret' } });
    const p = await startTestProxy(rules, { aliases: { q: registry.host }, allow: [registry.host, realm.host], credentials: auth });
    later(() => p.close());
    const res = await p.get('/v2/q/ns/app/manifests/v1');
    expect(res.status).toBe(200);
    expect(res.body.equals(MANIFEST)).toBe(true);
    expect(authorizations(realm)).toEqual([`Basic ${Buffer.from('robot:quay-secret').toString('base64')}`]);
  });
});
