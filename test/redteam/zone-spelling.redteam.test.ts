// Red team: refusedAddress judges an IPv6 answer that is not an embedding form
// by handing the raw text to BlockList.check, and BlockList answers false
// ("not in the list", so allowed) for text its own parser rejects, instead of
// throwing. isIP accepts some spellings that parser rejects: found by fuzzing
// spellings (upper case, leading zeros, dotted tails, zone ids) against their
// canonical form, e.g. a link-local address with leading zeros, a dotted tail
// and a zone id. Only a resolver that returns zone ids can hand such text to
// the filter (dns.lookup prints addresses without them), so this is a
// fail-open in the parser boundary rather than a reachable bypass today.
// Required: every spelling isIP accepts is judged as its canonical form.
import { describe, expect, it } from 'vitest';
import { refusedAddress } from '../../src/upstream/addresses.js';

const canonical = (address: string) => new URL(`http://[${address.split('%')[0]}]/`).hostname.slice(1, -1);

describe('a spelling is judged as its canonical address', () => {
  it.each([
    'fe80:c738:fe80:be00:2002:0a00:73.0.145.0%eth0',
    'FE80:C738:FE80:be00:2002:0A00:73.0.145.0%eth0',
    'fd00:6540:0001:2002:d000:c0a8:163.0.255.255%eth0',
    'ffff:FC00:7f00:FC00:7200:6239:16.0.203.0%eth0',
  ])('%s', (spelling) => {
    expect({ spelling, verdict: refusedAddress(spelling) }).toEqual({ spelling, verdict: refusedAddress(canonical(spelling)) });
  });
});
