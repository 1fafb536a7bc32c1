/**
 * Who the client of a proxied connection is, told once per upstream connection by the
 * lookup thread to the main thread, as the PROXY protocol version 1 header (HAProxy,
 * proxy-protocol.txt §2.1): `PROXY TCP4 <src> <dst> <sport> <dport>\r\n` (TCP6 for IPv6,
 * `PROXY UNKNOWN\r\n` when the peer is already gone), at most 107 bytes, before any HTTP.
 * Only the internal socket carries it: the lookup thread writes it itself as the first bytes
 * of each connection it opens, and what a client sends only ever follows it as HTTP, so a
 * client cannot speak for another address.
 */
import { isIP } from 'node:net';

/** proxy-protocol.txt §2.1: the longest v1 line, CRLF included. */
export const MAX_PROXY_HEADER_BYTES = 107;

export interface ProxiedPeer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: 'IPv4' | 'IPv6';
}

interface SocketEnds {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

export function proxyHeader(socket: SocketEnds): string {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined || localAddress === undefined || localPort === undefined) return 'PROXY UNKNOWN\r\n';
  const family = isIP(remoteAddress);
  if (family === 0 || isIP(localAddress) !== family) return 'PROXY UNKNOWN\r\n';
  return `PROXY TCP${family} ${remoteAddress} ${localAddress} ${remotePort} ${localPort}\r\n`;
}

const PORT = /^(?:0|[1-9]\d{0,4})$/;

/**
 * The peer a header line (without its CRLF) names; null for UNKNOWN; throws for a line
 * that is not a PROXY v1 header (the internal socket then drops the connection).
 */
export function parseProxyHeader(line: string): ProxiedPeer | null {
  const fields = line.split(' ');
  if (fields[0] !== 'PROXY') throw new Error('not a PROXY protocol header');
  if (fields[1] === 'UNKNOWN') return null;
  const [, protocol, source, destination, sourcePort, destinationPort] = fields;
  const family = protocol === 'TCP4' ? 4 : protocol === 'TCP6' ? 6 : 0;
  if (fields.length !== 6 || family === 0 || isIP(source!) !== family || isIP(destination!) !== family
    || !PORT.test(sourcePort!) || !PORT.test(destinationPort!) || Number(sourcePort) > 65535 || Number(destinationPort) > 65535) {
    throw new Error(`malformed PROXY protocol header '${line.slice(0, MAX_PROXY_HEADER_BYTES)}'`);
  }
  return { remoteAddress: source!, remotePort: Number(sourcePort), remoteFamily: family === 4 ? 'IPv4' : 'IPv6' };
}
