// The address classes the SSRF filter refuses for hosts the rules do not name.
import { describe, expect, it } from 'vitest';
import { refusedAddress } from '../../../src/upstream/addresses.js';

describe('refused addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['100.100.100.200', 'shared (carrier-grade NAT)'],
    ['192.0.0.192', 'special-purpose'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
  ])('%s is refused (%s)', (address, reason) => {
    expect(refusedAddress(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '172.32.0.1', '100.128.0.1'])('%s is public', (address) => {
    expect(refusedAddress(address)).toBeUndefined();
  });
});

// IPv6 forms carrying an IPv4 address, in every spelling a resolver or URL
// parser may hand over: judged by the IPv4 address.
describe('IPv6 forms that embed IPv4', () => {
  it.each([
    // IPv4-mapped ::ffff:0:0/96 (RFC 4291 2.5.5.2)
    ['::ffff:127.0.0.1', 'loopback: 127.0.0.1 embedded as IPv4-mapped'],
    ['::ffff:7f00:1', 'loopback: 127.0.0.1 embedded as IPv4-mapped'],
    ['0:0:0:0:0:FFFF:7F00:0001', 'loopback: 127.0.0.1 embedded as IPv4-mapped'],
    ['[::ffff:a9fe:a9fe]', 'link-local: 169.254.169.254 embedded as IPv4-mapped'],
    ['::ffff:10.0.0.1', 'private: 10.0.0.1 embedded as IPv4-mapped'],
    // IPv4-translated ::ffff:0:0:0/96 (RFC 2765 SIIT)
    ['::ffff:0:127.0.0.1', 'loopback: 127.0.0.1 embedded as IPv4-translated'],
    ['::ffff:0:a9fe:a9fe', 'link-local: 169.254.169.254 embedded as IPv4-translated'],
    ['0:0:0:0:ffff:0:c0a8:101', 'private: 192.168.1.1 embedded as IPv4-translated'],
    // NAT64 64:ff9b::/96 (RFC 6052)
    ['64:ff9b::a9fe:a9fe', 'link-local: 169.254.169.254 embedded as NAT64'],
    ['64:ff9b::10.0.0.1', 'private: 10.0.0.1 embedded as NAT64'],
    ['64:ff9b:0:0:0:0:7f00:1', 'loopback: 127.0.0.1 embedded as NAT64'],
    // Local-use NAT64 64:ff9b:1::/48 (RFC 8215): refused whatever it carries
    ['64:ff9b:1::8.8.8.8', 'local-use NAT64'],
    ['64:ff9b:1:abcd::1', 'local-use NAT64'],
    // 6to4 2002::/16 (RFC 3056): IPv4 in bits 16-47
    ['2002:7f00:1::', 'loopback: 127.0.0.1 embedded as 6to4'],
    ['2002:a9fe:a9fe:1:2:3:4:5', 'link-local: 169.254.169.254 embedded as 6to4'],
    ['2002:c0a8:0101::1', 'private: 192.168.1.1 embedded as 6to4'],
    ['2002:6440:1::', 'shared (carrier-grade NAT): 100.64.0.1 embedded as 6to4'],
    // IPv4-compatible ::/96 (RFC 4291 2.5.5.1, deprecated): refused whatever it carries
    ['::8.8.8.8', 'IPv4-compatible'],
    ['::a9fe:a9fe', 'IPv4-compatible'],
    // Teredo 2001::/32 (RFC 4380): refused unless allowed
    ['2001:0:808:808::f7f7:f7f7', 'Teredo (set upstream.allow_teredo to allow)'],
    ['2001::7f00:1', 'Teredo (set upstream.allow_teredo to allow)'],
  ])('%s is refused (%s)', (address, reason) => {
    expect(refusedAddress(address)).toBe(reason);
  });

  it.each([
    // Teredo allowed: server (bits 32-63) and client (bits 96-127, inverted) must both be public
    ['2001:0:7f00:1::f7f7:f7f7', 'loopback: 127.0.0.1 embedded as Teredo'],
    ['2001:0:808:808::80ff:fefe', 'loopback: 127.0.1.1 embedded as Teredo'],
    ['2001:0:808:808::5601:5601', 'link-local: 169.254.169.254 embedded as Teredo'],
  ])('with Teredo allowed, %s is refused (%s)', (address, reason) => {
    expect(refusedAddress(address, { allowTeredo: true })).toBe(reason);
  });

  it('a near miss of the mapped prefix is not mapped: judged as itself, outside global unicast', () => {
    expect(refusedAddress('::1:ffff:127.0.0.1')).toBe('not global unicast (outside 2000::/3)');
  });

  it.each(['::ffff:8.8.8.8', '::ffff:0:8.8.8.8', '64:ff9b::8.8.8.8', '64:ff9b::101:101', '2002:808:808::1'])(
    '%s is public',
    (address) => {
      expect(refusedAddress(address)).toBeUndefined();
    },
  );

  it('with Teredo allowed, a Teredo address of public server and client is public', () => {
    expect(refusedAddress('2001:0:808:808::f7f7:f7f7', { allowTeredo: true })).toBeUndefined();
  });
});

// Ranges the IANA special-purpose registries list as not globally reachable:
// a name the rules do not name (a redirect target, a token realm, any host in
// open mode) may resolve to them, and networks that reuse these never-routed
// ranges internally were reachable (red-team finding). Judged without a
// socket: a connection to them would leave loopback; connect-guard.ts calls
// this same function on every answer.
describe('not globally reachable ranges', () => {
  it.each([
    ['192.0.2.10', 'documentation'],
    ['198.51.100.10', 'documentation'],
    ['203.0.113.10', 'documentation'],
    ['2001:db8::10', 'documentation'],
    ['3fff::10', 'documentation'],
    ['3fff:fff:ffff::1', 'documentation'],
    ['2001:2::10', 'benchmarking'],
    ['5f00::10', 'SRv6 SIDs'],
    ['::ffff:192.0.2.10', 'documentation: 192.0.2.10 embedded as IPv4-mapped'],
    ['64:ff9b::203.0.113.10', 'documentation: 203.0.113.10 embedded as NAT64'],
    // Outside global unicast 2000::/3 and no listed range: nothing public lives there.
    ['4000::1', 'not global unicast (outside 2000::/3)'],
    ['1::1', 'not global unicast (outside 2000::/3)'],
    ['e000::1', 'not global unicast (outside 2000::/3)'],
  ])('%s is refused (%s)', (address, reason) => {
    expect(refusedAddress(address)).toBe(reason);
  });

  it.each(['192.0.3.1', '198.51.101.1', '203.0.114.1', '2606:4700::1111', '2001:20::1', '3fff:1000::1', '2001:db9::1'])('%s, next to them, is public', (address) => {
    expect(refusedAddress(address)).toBeUndefined();
  });
});

// BlockList answers false (not listed, so allowed) for text its own parser
// rejects, and isIP accepts some such spellings (zone id + dotted tail +
// leading zeros, found by fuzzing): the filter judges the canonical text it
// builds from the 16 bytes, never the text it was given (red-team finding).
describe('an IPv6 address is judged as its canonical form, whatever its spelling', () => {
  const canonical = (address: string) => new URL(`http://[${address.split('%')[0]}]/`).hostname.slice(1, -1);
  it.each([
    ['fe80:c738:fe80:be00:2002:0a00:73.0.145.0%eth0', 'link-local'],
    ['FE80:C738:FE80:be00:2002:0A00:73.0.145.0%eth0', 'link-local'],
    ['fd00:6540:0001:2002:d000:c0a8:163.0.255.255%eth0', 'unique-local'],
    ['ffff:FC00:7f00:FC00:7200:6239:16.0.203.0%eth0', 'multicast'],
    ['2001:0db8:0000::0a00:1.2.3.4%1', 'documentation'],
  ])('%s is refused as %s, like its canonical form', (spelling, reason) => {
    expect({ spelling: refusedAddress(spelling), canonical: refusedAddress(canonical(spelling)) }).toEqual({ spelling: reason, canonical: reason });
  });

  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', '::1.2.3.256', 'fe80::12345', 'not-an-address'])('%s, not 16 bytes, is refused', (text) => {
    expect(refusedAddress(text)).toBeDefined();
  });
});
