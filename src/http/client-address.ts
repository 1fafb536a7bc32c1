/**
 * Who a forward-auth request is about (GET /v1/auth). The socket's peer, unless that peer
 * is one of `http.trustedProxies`: then the proxy's word, `X-Real-IP` (nginx
 * `proxy_set_header X-Real-IP $remote_addr`), else `X-Forwarded-For` read from the right,
 * skipping hops that are themselves trusted proxies, since only the entry appended by
 * the nearest trusted hop can be believed (anything to its left was written by the client).
 * An empty trust list believes no header, loopback included: a header never widens who
 * may claim an address.
 */
import { NetworkSet, normaliseAddress, parseNetwork } from '../identify/address.js';
import { UidError } from '../errors.js';

/** The address a request speaks for, or `{ invalid }` naming the header text that is no address. */
export type ClientAddress = { readonly ip: string } | { readonly invalid: string; readonly header: string };

export type ClientAddressResolver = (peer: string | undefined, realIp: string | string[] | undefined, forwardedFor: string | string[] | undefined) => ClientAddress;

/** Throws UID_ERR_CONFIG_VALUE for an entry that is no address or network (the config check reports it first). */
export function trustedProxySet(networks: readonly string[]): NetworkSet {
  return new NetworkSet(networks.map((text) => {
    const network = parseNetwork(text);
    if (!network) throw new UidError('UID_ERR_CONFIG_VALUE', `http.trustedProxies: "${text}" is not an IPv4 or IPv6 address or network`);
    return network;
  }));
}

/** How many addresses' trust a resolver remembers before it starts over. */
const REMEMBERED = 1024;

/**
 * `trusted.has`, remembered per address: BlockList#check builds a SocketAddress for each
 * call (1 µs), and a forward-auth request asks about the same few proxy peers every time.
 */
function rememberedTrust(trusted: NetworkSet): (ip: string) => boolean {
  const known = new Map<string, boolean>();
  return (ip) => {
    let yes = known.get(ip);
    if (yes === undefined) {
      if (known.size >= REMEMBERED) known.clear();
      yes = trusted.has(ip);
      known.set(ip, yes);
    }
    return yes;
  };
}

export function createClientAddressResolver(networks: NetworkSet): ClientAddressResolver {
  const trusted = { size: networks.size, has: rememberedTrust(networks) };
  return (peer, realIp, forwardedFor) => {
    const socketIp = peer === undefined ? null : normaliseAddress(peer);
    if (socketIp === null) return { invalid: peer ?? '', header: 'socket' };
    if (trusted.size === 0 || !trusted.has(socketIp)) return { ip: socketIp };
    if (realIp !== undefined) {
      // A repeated X-Real-IP is not something a proxy writes: refuse rather than pick one.
      const text = typeof realIp === 'string' ? realIp.trim() : realIp.join(',');
      const ip = normaliseAddress(text);
      return ip === null ? { invalid: text, header: 'X-Real-IP' } : { ip };
    }
    if (forwardedFor === undefined) return { ip: socketIp };
    return fromForwardedFor(typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(','), trusted);
  };
}

/** The rightmost hop that is not a trusted proxy; the leftmost when every hop is one. */
function fromForwardedFor(header: string, trusted: { has(ip: string): boolean }): ClientAddress {
  const hops = header.split(',');
  let ip: string | null = null;
  for (let i = hops.length - 1; i >= 0; i--) {
    const text = hops[i]!.trim();
    ip = normaliseAddress(text);
    if (ip === null) return { invalid: text, header: 'X-Forwarded-For' };
    if (!trusted.has(ip)) return { ip };
  }
  return { ip: ip! };
}
