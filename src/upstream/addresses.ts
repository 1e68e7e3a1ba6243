// Which IP addresses an upstream connection may reach without the rules
// naming the host: public unicast only. Loopback, private, link-local (and so
// the cloud metadata services), unique-local, unspecified, multicast and
// reserved ranges are refused, in IPv4, IPv4-mapped and NAT64 IPv6 forms
// alike (IANA special-purpose registries; go-containerregistry's
// checkRedirectSSRF refuses the same classes).
import { BlockList, isIP, isIPv4 } from 'node:net';

const V4: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'special-purpose'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6: readonly (readonly [string, number, string])[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // IPv4-compatible (deprecated) addresses: nothing public lives there.
  ['::', 96, 'IPv4-compatible'],
  ['100::', 64, 'discard'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockList(): Map<string, BlockList> {
  const byReason = new Map<string, BlockList>();
  const add = (ranges: typeof V4, family: 'ipv4' | 'ipv6') => {
    for (const [net, prefix, reason] of ranges) {
      const list = byReason.get(reason) ?? new BlockList();
      list.addSubnet(net, prefix, family);
      byReason.set(reason, list);
    }
  };
  add(V4, 'ipv4');
  add(V6, 'ipv6');
  return byReason;
}

const LISTS = blockList();

/** The IPv4 address embedded in an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) IPv6 address. */
function embeddedV4(address: string): string | undefined {
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = parseInt(m[2] as string, 16);
  const lo = parseInt(m[3] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why `address` may not be reached unless its host is named, or undefined for a public address. */
export function refusedAddress(address: string): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = isIPv4(bare) ? bare : embeddedV4(bare);
  if (v4 !== undefined) {
    for (const [reason, list] of LISTS) if (list.check(v4, 'ipv4')) return reason;
    return undefined;
  }
  if (isIP(bare) !== 6) return 'not an IP address';
  for (const [reason, list] of LISTS) if (list.check(bare, 'ipv6')) return reason;
  return undefined;
}
