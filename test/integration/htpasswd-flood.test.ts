// A flood of wrong passwords must not lock a real user out. Every fresh
// wrong password costs a bcrypt comparison through the WorkGate (the rest get
// 429), and its verdict is remembered; when wrong verdicts could push the good
// ones out of a shared FIFO, a user already verified went back to bcrypt and
// met the full gate: 429 TOOMANYREQUESTS for a right password. Over real
// sockets: a user verified once, then more fresh wrong passwords than the
// verdict cache holds while that user keeps pulling; the user never gets 429.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { mirrorRules, startTestProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/temp.js';
import { useCleanup } from '../helpers/trust.js';

const { later } = useCleanup();
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
// Twice the 1024 verdicts remembered per file load, and more.
const WRONG_VERDICTS = 2_200;
const FLOODERS = 48;
// The user's own concurrent pulls (a runtime fetches layers in parallel).
const USER_PULLS = 8;
const MAX_REQUESTS = 40_000;

describe('htpasswd verdicts under a wrong-password flood', () => {
  it('a user verified before the flood is never answered 429 during or after it', async () => {
    const dir = tempDir('htpasswd-flood');
    // Cost 4 keeps each wrong comparison cheap; the gate bounds how many run at once either way.
    writeFileSync(join(dir, 'htpasswd'), `alice:${hashSync('right-password', 4)}\n`);
    const p = await startTestProxy(mirrorRules('registry.example/ns', [], []), {}, { auth: { htpasswd: join(dir, 'htpasswd') } });
    later(() => p.close());
    const status = async (authorization: string) => {
      const res = await request(`${p.url}/v2/`, { headers: { authorization } });
      await res.body.dump();
      return res.statusCode;
    };
    const good = basic('alice', 'right-password');
    expect(await status(good)).toBe(200);

    const flood = { sent: 0, refused: 0, busy: 0, other: 0 };
    const flooder = async () => {
      while (flood.refused < WRONG_VERDICTS && flood.sent < MAX_REQUESTS) {
        const code = await status(basic('alice', `wrong-${flood.sent++}`));
        if (code === 401) flood.refused++;
        else if (code === 429) flood.busy++;
        else flood.other++;
      }
    };
    const user: number[] = [];
    let flooding = true;
    const userLoop = async () => {
      while (flooding) user.push(await status(good));
    };
    const floodDone = Promise.all(Array.from({ length: FLOODERS }, flooder)).finally(() => (flooding = false));
    await Promise.all([floodDone, ...Array.from({ length: USER_PULLS }, userLoop)]);
    for (let i = 0; i < 5; i++) user.push(await status(good));

    // The flood did its job: enough wrong verdicts to fill the cache, and the gate was full at times.
    expect(flood.refused).toBeGreaterThanOrEqual(WRONG_VERDICTS);
    expect(flood.busy).toBeGreaterThan(0);
    expect(flood.other).toBe(0);
    // The user pulled throughout and was never refused.
    expect(user.length).toBeGreaterThan(5);
    expect(user.filter((c) => c === 429)).toEqual([]);
    expect(user.every((c) => c === 200)).toBe(true);
  }, 120_000);
});
