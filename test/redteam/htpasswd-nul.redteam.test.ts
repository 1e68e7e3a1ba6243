// Red team: bcrypt cycles the key bytes (the password and its terminating
// NUL) over 72 bytes, so for a user whose password is P, the different
// password P NUL P (and P NUL P NUL P, while it fits in 72 bytes) gives the
// same hash and is accepted. htpasswd.ts already refuses passwords past 72
// bytes for the same reason (a password other than the one set must not
// match); one with a NUL is the other way to get there. Each such variant is
// also a fresh key in the accepted verdict set. RFC 7617 (2.1): the user-id
// and password MUST NOT contain control characters, so nothing legitimate
// sends one. Needs the right password, so it grants nothing new; it is a
// hole in the "exactly the password in the file" rule.
// Required: a password with a NUL is refused; the real one is accepted.
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
  it('refuses the NUL-cycled variants of a right password', async () => {
    const dir = tempDir('redteam-htpasswd-nul');
    writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync('s3cret', 4)}\n`);
    const p = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { auth: { htpasswd: join(dir, 'htpasswd') } });
    later(() => p.close());
    const statuses: Record<string, number> = {};
    for (const [name, password] of [
      ['s3cret', 's3cret'],
      ['s3cret NUL s3cret', 's3cret\0s3cret'],
      ['s3cret NUL s3cret NUL s3cret', 's3cret\0s3cret\0s3cret'],
    ] as const) {
      statuses[name] = (await p.get('/v2/', basic('alice', password))).status;
    }
    expect(statuses).toEqual({ s3cret: 200, 's3cret NUL s3cret': 401, 's3cret NUL s3cret NUL s3cret': 401 });
  });
});
