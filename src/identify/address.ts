/**
 * IP host addresses and networks, validated and written one canonical way so that the
 * same host is always the same table key: IPv4 as a dotted quad, IPv4-mapped IPv6
 * (::ffff:a.b.c.d) as that IPv4, other IPv6 in RFC 5952 §4 form (lower case, no leading
 * zeros, the longest run of two or more zero groups compressed, the first run on a tie).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Canonical text of a usable host address, or null (malformed, unspecified, broadcast or multicast). */
export function normaliseAddress(text: string): string | null {
  if (isIPv4(text)) return usableV4(text) ? text : null;
  if (!isIPv6(text) || text.includes('%')) return null; // a zone index (fe80::1%eth0) names no routable host
  const groups = ipv6Groups(text);
  if (isV4Mapped(groups)) {
    const v4 = `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
    return usableV4(v4) ? v4 : null;
  }
  if (groups.every((g) => g === 0)) return null; // :: (unspecified, RFC 4291 §2.5.2)
  if (groups[0]! >> 8 === 0xff) return null; // ff00::/8 multicast (RFC 4291 §2.7)
  return formatIpv6(groups);
}

function usableV4(text: string): boolean {
  if (text === '0.0.0.0' || text === '255.255.255.255') return false;
  const first = Number(text.slice(0, text.indexOf('.')));
  return first < 224 || first > 239; // 224.0.0.0/4 multicast
}

function isV4Mapped(g: number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/** Eight 16-bit groups of an address that `isIPv6` accepted. */
function ipv6Groups(text: string): number[] {
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (body.indexOf('.', lastColon) !== -1) {
    // An embedded IPv4 tail (RFC 4291 §2.2 form 3) is two groups written as a dotted quad.
    const [a, b, c, d] = body.slice(lastColon + 1).split('.').map(Number) as [number, number, number, number];
    body = `${body.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const gap = body.indexOf('::');
  if (gap === -1) return parse(body);
  const left = parse(body.slice(0, gap));
  const right = parse(body.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1; // RFC 5952 §4.2.2: a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** A parsed network: the canonical form of its address and its prefix length. */
export interface Network {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128); null when malformed. */
export function parseNetwork(text: string): Network | null {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const family = isIPv4(addressText) ? 'ipv4' : isIPv6(addressText) && !addressText.includes('%') ? 'ipv6' : null;
  if (!family) return null;
  const max = family === 'ipv4' ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > max) return null;
  const address = family === 'ipv4' ? addressText : formatIpv6(ipv6Groups(addressText));
  return { address, prefix, family };
}

/** The network's first address, host bits cleared: 10.0.0.5/8 → 10.0.0.0. */
export function networkBase(n: Network): string {
  if (n.family === 'ipv4') {
    const value = n.address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
    const size = 2 ** (32 - n.prefix);
    const base = value - (value % size);
    return [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join('.');
  }
  const groups = ipv6Groups(n.address).map((g, i) => {
    const kept = Math.max(0, Math.min(16, n.prefix - 16 * i)); // bits of this group inside the prefix
    return kept === 16 ? g : g & (0xffff << (16 - kept)) & 0xffff;
  });
  return formatIpv6(groups);
}

/** Whether every address of `inner` is in `outer` (same family only). */
export function networkCovers(outer: Network, inner: Network): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix
    && networkBase({ ...inner, prefix: outer.prefix }) === networkBase(outer);
}

/**
 * A set of networks with membership tests. An IPv4 address also matches as its
 * IPv4-mapped IPv6 form and the reverse (BlockList handles both directions).
 */
export class NetworkSet {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(networks: readonly Network[]) {
    for (const n of networks) this.list.addSubnet(n.address, n.prefix, n.family);
    this.size = networks.length;
  }

  has(address: string): boolean {
    return this.list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }
}

/** A bind or peer host that only this machine can reach: localhost, 127.0.0.0/8, ::1 (or ::ffff:127.x.y.z). */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const address = normaliseAddress(host);
  return address !== null && (address === '::1' || address.startsWith('127.'));
}
