/**
 * Syslog senders for end-to-end tests: UDP datagrams, TCP and TLS streams (RFC 6587 octet
 * counting or LF framing) to 127.0.0.1, optionally from another loopback address
 * (127.0.0.2 is not a configured sender in the harness's base config).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Pki } from './certs.js';

/** The Traps ESM heartbeat of the PAN-OS knowledge-base article (LEEF 1.0, tab-separated). */
export function esmLeef(user = 'jdoe', ip = '10.1.2.3'): string {
  return `LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=${user}\tdst=${ip}`;
}

/** The PAN-OS help's Field Identifier example (profile panos-doc-example). */
export function panosField(user: string, ip: string, outcome: 'success' | 'failure' = 'success'): string {
  return `[Tue Jul 5 13:15:04 2005 CDT] Administrator authentication ${outcome} User:${user} Source:${ip}`;
}

export type Framing = 'octet' | 'lf';

/** RFC 6587 §3.4.1 `MSG-LEN SP SYSLOG-MSG`, or §3.4.2 the message and an LF. */
export function frame(message: string | Buffer, framing: Framing): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  return framing === 'octet'
    ? Buffer.concat([Buffer.from(`${body.length} `), body])
    : Buffer.concat([body, Buffer.from('\n')]);
}

/** One UDP socket (bound to `from` when given) that sends datagrams to 127.0.0.1:port. */
export class UdpClient {
  readonly #socket: UdpSocket;
  readonly #bound: Promise<void>;

  constructor(readonly port: number, from?: string) {
    this.#socket = createSocket('udp4');
    this.#socket.on('error', () => {});
    this.#bound = from === undefined ? Promise.resolve() : new Promise((resolve) => this.#socket.bind(0, from, resolve));
  }

  async send(message: string | Buffer): Promise<void> {
    await this.#bound;
    await new Promise<void>((resolve, reject) => this.#socket.send(message, this.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    this.#socket.close();
  }
}

export async function sendUdp(port: number, message: string | Buffer, from?: string): Promise<void> {
  const client = new UdpClient(port, from);
  try {
    await client.send(message);
  } finally {
    client.close();
  }
}

export interface StreamOptions {
  /** Local address to connect from. */
  readonly from?: string;
  /** TLS: trust `ca` of this PKI (server name localhost); present its client certificate when `cert` is set. */
  readonly tls?: { readonly pki: Pki; readonly cert?: Pki };
}

/** A TCP or TLS syslog connection. */
export class StreamClient {
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;
  #isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('error', () => {}); // resets from a refusing listener are what some tests expect
    this.closed = new Promise((resolve) => socket.once('close', () => { this.#isClosed = true; resolve(); }));
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /**
   * Connects; resolves once connected (TCP) or once the TLS handshake is done. A refused
   * or failed handshake resolves too (the listener may close a connection at once by
   * design): check `closed` / `isClosed`.
   */
  static connect(port: number, options: StreamOptions = {}): Promise<StreamClient> {
    const { from, tls } = options;
    const base = { host: '127.0.0.1', port, ...(from === undefined ? {} : { localAddress: from }) };
    const socket = tls === undefined
      ? tcpConnect(base)
      : tlsConnect({
        ...base,
        ca: tls.pki.ca,
        servername: 'localhost',
        ...(tls.cert ? { cert: tls.cert.clientCert, key: tls.cert.clientKey } : {}),
      });
    const client = new StreamClient(socket);
    const ready = tls === undefined ? 'connect' : 'secureConnect';
    return new Promise((resolve) => {
      socket.once(ready, () => resolve(client));
      void client.closed.then(() => resolve(client));
    });
  }

  /** Writes bytes; resolves once handed to the kernel (rejects if the socket is gone). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  send(message: string | Buffer, framing: Framing): Promise<void> {
    return this.write(frame(message, framing));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Two small profiles for churn tests: "LOGIN user=U ip=A" and "LOGOUT user=U ip=A". */
export const CHURN_PROFILES: Readonly<Record<string, string>> = Object.fromEntries((['login', 'logout'] as const).map((event) => [
  `churn-${event}.yaml`,
  `name: churn-${event}
type: regex
event: ${event}
eventRegex: '^${event.toUpperCase()} '
usernameRegex: 'user=(\\S+)'
addressRegex: 'ip=([0-9a-f.:]+)'
samples:
  - message: '${event.toUpperCase()} user=u1 ip=10.0.0.1'
    expect: [{ user: u1, ip: 10.0.0.1, event: ${event} }]
`,
]));

export const churnMessage = (event: 'login' | 'logout', user: string, ip: string): string => `${event.toUpperCase()} user=${user} ip=${ip}`;

/** The i-th address of a churn run: 10.(block).x.y, distinct for i below 65,536. */
export const churnIp = (i: number, block = 20): string => `10.${block}.${(i >> 8) & 255}.${i & 255}`;
