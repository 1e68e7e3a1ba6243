// bcrypt cycles the key bytes (the password and its terminating NUL) over 72
// bytes, so for a user whose password is P, P NUL P (and P NUL P NUL P) gave
// the same hash and was accepted (red-team finding). RFC 7617 2: the user-id
// and password MUST NOT contain control characters; Basic credentials with
// one are refused before bcrypt (src/server/auth/access.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';
import { useCleanup } from '../helpers/trust.js';

const { later } = useCleanup();
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('htpasswd: only the password in the file', () => {
  it('refuses credentials with a control character, the NUL-cycled variants of the right password among them', async () => {
    const dir = tempDir('basic-control-chars');
    writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync('s3cret', 4)}\n`);
    const p = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { auth: { htpasswd: join(dir, 'htpasswd') } });
    later(() => p.close());
    const statuses: Record<string, number> = {};
    for (const [name, user, password] of [
      ['s3cret', 'alice', 's3cret'],
      ['s3cret NUL s3cret', 'alice', 's3cret\0s3cret'],
      ['s3cret NUL s3cret NUL s3cret', 'alice', 's3cret\0s3cret\0s3cret'],
      ['s3cret DEL', 'alice', 's3cret\x7f'],
      ['user with a NUL', 'alice\0', 's3cret'],
    ] as const) {
      statuses[name] = (await p.get('/v2/', basic(user, password))).status;
    }
    expect(statuses).toEqual({ s3cret: 200, 's3cret NUL s3cret': 401, 's3cret NUL s3cret NUL s3cret': 401, 's3cret DEL': 401, 'user with a NUL': 401 });
  });
});
