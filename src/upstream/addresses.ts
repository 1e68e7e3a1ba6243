// Which IP addresses an upstream connection may reach without the rules
// naming the host: public unicast only. Loopback, private, link-local (and so
// the cloud metadata services), unique-local, unspecified, multicast,
// documentation, benchmarking and reserved ranges are refused: those the IANA
// IPv4 and IPv6 special-purpose address registries list as not globally
// reachable (go-containerregistry's checkRedirectSSRF refuses the main
// classes). 192.0.0.0/24 is refused whole, although IANA lists a few
// anycast /32s in it as global (PCP, TURN): no registry serves there. IPv6
// outside global unicast (2000::/3) is refused too, apart from the forms
// below that carry an IPv4 address.
//
// IPv6 forms that carry an IPv4 address are judged by that IPv4 address: a
// NAT64 gateway, a 6to4 relay or the kernel itself (mapped addresses) turns
// them into IPv4 packets, so `64:ff9b::a9fe:a9fe` is the metadata service on
// a NAT64 network. The forms and their prefixes are those of ipaddr.js's
// IPv6 SpecialRanges (whitequark/ipaddr.js lib/ipaddr.js: ipv4Mapped,
// rfc6145, rfc6052, 6to4, teredo); ssrf-req-filter refuses every one of them
// outright, which also refuses the public registries a NAT64 network reaches
// as 64:ff9b::/96.
import { BlockList, isIP, isIPv4 } from 'node:net';

const V4: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'special-purpose'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6: readonly (readonly [string, number, string])[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // IPv4-compatible addresses (RFC 4291 2.5.5.1, deprecated): no stack sends
  // them as IPv4 any more and nothing public lives there, so the whole ::/96
  // is refused whatever it embeds (ipaddr.js has no range for it either).
  ['::', 96, 'IPv4-compatible'],
  // Local-use NAT64 (RFC 8215): the operator picks the prefix length inside
  // the /48, so where the IPv4 address sits (RFC 6052 2.2) is not knowable
  // from the address; IANA lists it as not globally reachable.
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  // SRv6 segment identifiers (RFC 9602).
  ['5f00::', 16, 'SRv6 SIDs'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

/** What the operator lets through beyond public unicast. */
export interface AddressPolicy {
  /**
   * Teredo (2001::/32, RFC 4380) tunnels IPv6 over IPv4 UDP: the packet goes
   * to the server and client IPv4 addresses written in the address (the
   * client's XOR-obfuscated), chosen by whoever publishes the name. No
   * registry serves from a Teredo address, so it is refused unless allowed;
   * when allowed, both embedded IPv4 addresses must be public.
   */
  readonly allowTeredo: boolean;
}

export const STRICT: AddressPolicy = { allowTeredo: false };

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

/**
 * The 16 bytes of an address `isIP` calls IPv6 (zone index dropped, a
 * dotted-quad tail folded in), or undefined when the text does not make
 * exactly 16: the address is then refused, never guessed at.
 */
function v6Bytes(address: string): Uint8Array | undefined {
  let text = address.split('%')[0] as string;
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
    if ([a, b, c, d].some((x) => x > 255)) return undefined;
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail, extra] = text.split('::') as [string, string | undefined, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)) : []);
  const left = groups(head);
  const right = groups(tail);
  const zeros = 8 - left.length - right.length;
  if (extra !== undefined || (tail === undefined ? zeros !== 0 : zeros < 1)) return undefined;
  const words = [...left, ...new Array<number>(tail === undefined ? 0 : zeros).fill(0), ...right];
  if (words.some(Number.isNaN)) return undefined;
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => ((bytes[2 * i] = w >> 8), (bytes[2 * i + 1] = w & 255)));
  return bytes;
}

/** The address of `bytes` in full form (eight groups): the only text BlockList is asked about. */
const v6Text = (bytes: Uint8Array): string => Array.from({ length: 8 }, (_, i) => (((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number)).toString(16)).join(':');

const dottedQuad = (b: Uint8Array, at: number, xor = 0) => Array.from(b.subarray(at, at + 4), (x) => x ^ xor).join('.');

/** An IPv6 form that embeds IPv4 addresses: its prefix and where the addresses sit. */
interface Embedding {
  readonly form: string;
  readonly prefix: readonly number[];
  readonly v4: (b: Uint8Array) => readonly string[];
}

const EMBEDDINGS: readonly Embedding[] = [
  // ::ffff:0:0/96, RFC 4291 2.5.5.2: the kernel sends these as IPv4.
  { form: 'IPv4-mapped', prefix: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], v4: (b) => [dottedQuad(b, 12)] },
  // ::ffff:0:0:0/96, RFC 2765 (SIIT) IPv4-translated.
  { form: 'IPv4-translated', prefix: [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], v4: (b) => [dottedQuad(b, 12)] },
  // 64:ff9b::/96, RFC 6052 well-known NAT64 prefix: IPv4 in the last 32 bits.
  { form: 'NAT64', prefix: [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], v4: (b) => [dottedQuad(b, 12)] },
  // 2002::/16, RFC 3056 6to4: the relay's IPv4 address in bits 16-47.
  { form: '6to4', prefix: [0x20, 0x02], v4: (b) => [dottedQuad(b, 2)] },
  // 2001::/32, RFC 4380 Teredo: server in bits 32-63, client (inverted) in bits 96-127.
  { form: 'Teredo', prefix: [0x20, 0x01, 0, 0], v4: (b) => [dottedQuad(b, 4), dottedQuad(b, 12, 255)] },
];

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => prefix.every((x, i) => bytes[i] === x);

const v4Refusal = (v4: string): string | undefined => {
  for (const [reason, list] of LISTS) if (list.check(v4, 'ipv4')) return reason;
  return undefined;
};

/** Why an IPv6 address of an embedding form is refused; undefined when it embeds only public IPv4 addresses. */
function embeddedRefusal(embedding: Embedding, bytes: Uint8Array, policy: AddressPolicy): string | undefined {
  if (embedding.form === 'Teredo' && !policy.allowTeredo) return 'Teredo (set upstream.allow_teredo to allow)';
  for (const v4 of embedding.v4(bytes)) {
    const reason = v4Refusal(v4);
    if (reason !== undefined) return `${reason}: ${v4} embedded as ${embedding.form}`;
  }
  return undefined;
}

/** Why `address` may not be reached unless its host is named, or undefined for a public address. */
export function refusedAddress(address: string, policy: AddressPolicy = STRICT): string | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(bare)) return v4Refusal(bare);
  if (isIP(bare) !== 6) return 'not an IP address';
  // Embedded forms first: BlockList would judge ::ffff:a.b.c.d by itself, but
  // the reason should name the IPv4 address whatever the form. BlockList is
  // given only the canonical text built from the bytes: it answers false (not
  // listed) for spellings its own parser rejects, which would fail open.
  const bytes = v6Bytes(bare);
  if (bytes === undefined) return 'not an IP address';
  const embedding = EMBEDDINGS.find((e) => startsWith(bytes, e.prefix));
  if (embedding !== undefined) return embeddedRefusal(embedding, bytes, policy);
  const text = v6Text(bytes);
  for (const [reason, list] of LISTS) if (list.check(text, 'ipv6')) return reason;
  // Global unicast is 2000::/3 (RFC 4291 2.4); IANA has allocated nothing else for it.
  if (((bytes[0] as number) & 0xe0) !== 0x20) return 'not global unicast (outside 2000::/3)';
  return undefined;
}
