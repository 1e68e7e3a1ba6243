// Red team: ranges the IANA special-purpose registries list as not globally
// reachable, which addresses.ts says it refuses ("loopback, private, ...,
// multicast and reserved ranges are refused (IANA IPv4 and IPv6
// special-purpose address registries)") but does not list: the documentation
// ranges (RFC 5737, RFC 3849, RFC 9637), IPv6 benchmarking (RFC 5180) and
// SRv6 SIDs (RFC 9602). A name the rules do not name (a redirect target, a
// token realm, any host in open mode) may resolve to them, and networks that
// reuse these "never routed" ranges internally are then reachable.
// Judged without a socket on purpose: a connection to these addresses would
// leave loopback, which the tests must not do; the connect-time path is the
// same function (connect-guard.ts calls refusedAddress on every answer).
import { describe, expect, it } from 'vitest';
import { refusedAddress } from '../../src/upstream/addresses.js';

describe('not globally reachable ranges (IANA special-purpose registries) are refused', () => {
  it.each([
    ['192.0.2.10', 'TEST-NET-1, RFC 5737'],
    ['198.51.100.10', 'TEST-NET-2, RFC 5737'],
    ['203.0.113.10', 'TEST-NET-3, RFC 5737'],
    ['2001:db8::10', 'IPv6 documentation, RFC 3849'],
    ['3fff::10', 'IPv6 documentation, RFC 9637'],
    ['2001:2::10', 'IPv6 benchmarking, RFC 5180'],
    ['5f00::10', 'SRv6 SIDs, RFC 9602'],
    ['::ffff:192.0.2.10', 'TEST-NET-1 embedded as IPv4-mapped'],
    ['64:ff9b::203.0.113.10', 'TEST-NET-3 embedded as NAT64'],
  ])('%s (%s)', (address) => {
    expect(refusedAddress(address)).toBeDefined();
  });

  it('control: public addresses stay allowed', () => {
    expect(['1.1.1.1', '2606:4700::1111', '64:ff9b::1.1.1.1', '2001:20::1'].map((a) => refusedAddress(a))).toEqual([undefined, undefined, undefined, undefined]);
  });
});
