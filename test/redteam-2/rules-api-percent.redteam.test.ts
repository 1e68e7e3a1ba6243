// Finding: an object name with invalid percent-encoding in a rules API path
// (`/apis/<group>/<version>/<plural>/%ff`) makes decodeURIComponent throw in
// src/rules-api/router.ts:39; the guard catches it, so the process lives,
// but the client gets 500 "an error on the server" and the log an
// unexpected-error line for what is plain bad input from any authenticated
// caller (a read-only token is enough). REQUIRED: 400 BadRequest (or 404),
// as the apiserver answers a name it cannot decode; never 500.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

const TOKEN = 'a-token-of-enough-length-0123456789';

describe('rules API names that are not valid percent-encoding', () => {
  it.each(['GET', 'HEAD'])('%s of an object named by percent-ff is a client error, not 500', async (method) => {
    const dir = tempDir('rt2-rules-api');
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'image.yaml'), 'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec: {}\n');
    writeFileSync(join(dir, 'tokens'), `${TOKEN} read-only\n`);
    writeFileSync(join(dir, 'mirrorgate.toml'), '[server]\nlisten = ["127.0.0.1:0"]\n[admin]\nlisten = ["127.0.0.1:0"]\ntokens = "tokens"\n[api]\nenabled = true\nstate_dir = "state"\ntokens = "tokens"\n[rules]\npaths = ["rules"]\n');
    const started = await serveProcess(join(dir, 'mirrorgate.toml'), { cwd: dir });
    if (child) child.kill('SIGKILL');
    child = started.proc;
    const admin = started.admin as string;
    const res = await rawRequest(admin, `${method} /apis/config.openshift.io/v1/imagedigestmirrorsets/%ff HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
