import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, it } from 'vitest';
import { serveProcess } from '../helpers/cli.js';
import { rawRequest } from '../helpers/raw-http.js';
import { tempDir } from '../helpers/temp.js';

let child: ChildProcess | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
  }
});

it('probe', async () => {
  const dir = tempDir('probe');
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'rules', 'image.yaml'), 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n');
  writeFileSync(join(dir, 'tokens'), 'a-token-of-enough-length-0123456789 read-only\n');
  writeFileSync(join(dir, 'mirrorgate.toml'), '[server]\nlisten = ["127.0.0.1:0"]\n[admin]\nlisten = ["127.0.0.1:0"]\ntokens = "tokens"\n[api]\nenabled = true\nstate_dir = "state"\ntokens = "tokens"\n[rules]\npaths = ["rules"]\n[log]\nlevel = "info"\n');
  const started = await serveProcess(join(dir, 'mirrorgate.toml'), { cwd: dir });
  child = started.proc;
  const url = started.url, admin = started.admin as string;
  const big = 'a'.repeat(15000);
  const reqs: string[] = [
    'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n',
    'GET http://evil.example/v2/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET http://evil.example:99999/v2/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'OPTIONS * HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET * HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/%zz/manifests/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/%ff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/%E0%A4%A HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/tags/list?ns=%zz&n=%ff&last=%ff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/x?ns=%E0%A4%A HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/x?ns=a%00b HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/x?ns=' + big + ' HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/' + big + '/manifests/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nExpect: bogus\r\nConnection: close\r\n\r\n',
    'HEAD /metrics HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'HEAD /status HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'HEAD /healthz HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'HEAD /apis HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'HEAD /openapi/v2 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /apis/%zz HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /apis/config.openshift.io/v1/imagedigestmirrorsets/%ff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /apis/config.openshift.io/v1/imagedigestmirrorsets?labelSelector=%zz&fieldSelector=%ff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /apis/config.openshift.io/v1/imagedigestmirrorsets?watch=true&timeoutSeconds=99999999999999999999 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /apis/config.openshift.io/v1/imagedigestmirrorsets?limit=-1&continue=%ff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'POST /apis/config.openshift.io/v1/imagedigestmirrorsets HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":',
    'POST /apis/config.openshift.io/v1/imagedigestmirrorsets HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n',
    'PATCH /apis/config.openshift.io/v1/imagedigestmirrorsets/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nContent-Type: application/json-patch+json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[{',
    'GET /v2/a/blobs/sha256:' + '0'.repeat(64) + ' HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nRange: bytes=0-1,2-3\r\nConnection: close\r\n\r\n',
    'GET /v2/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nX-Request-Id: ' + '\u00ff'.repeat(100) + '\r\nConnection: close\r\n\r\n',
    'GET /v2/\u00e9/manifests/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\n\r\nGET /v2/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\n\r\nGET //[ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\n\r\nGET /v2/ HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'DELETE /v2/a/manifests/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/referrers/sha256:' + '0'.repeat(64) + '?artifactType=%ff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nConnection: close\r\n\r\n',
    'GET /v2/a/manifests/x HTTP/1.0\r\n\r\n',
    'GET /v2/a/manifests/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-enough-length-0123456789\r\nAccept: ' + 'x,'.repeat(5000) + '\r\nConnection: close\r\n\r\n',
  ];
  for (const r of reqs) {
    for (const [name, l] of [['pull', url], ['admin', admin]] as const) {
      let status: number | string;
      try {
        const res = await rawRequest(l, r, 5000);
        status = res.status + ' ' + res.body.toString().slice(0, 100).replace(/\s+/g, ' ');
      } catch (e) {
        status = 'ERR ' + String(e);
      }
      const alive = child.exitCode === null;
      console.log(name, JSON.stringify(r.slice(0, 90)), '=>', status, alive ? '' : 'DEAD');
    }
  }
}, 120_000);
