/**
 * TACACS+ over TLS 1.3 (RFC 9887). The handshake starts as soon as TCP connects (§3.2);
 * TLS 1.3 is the minimum (§3.2); the server is verified against the configured CA and
 * name (§3.4) and we present a client certificate (mutual authentication, §3.3). There is
 * no way back to plain TCP from here (§5.1.1): a failed handshake is a failed connect.
 * Session tickets are kept and each used once (§3.6), which saves a full handshake per
 * session when the server refuses single-connection mode.
 */
import { isIP, type Socket } from 'node:net';
import { connect, createSecureContext, type SecureContext } from 'node:tls';
import { UidError } from '../errors.js';
import { formatLabel, whenReady, type Transport } from './transport.js';

/** RFC 9887 §3.1 / §5.2: 300 for TACACS+ over TLS. */
export const TACACS_TLS_PORT = 300;

export interface TlsMaterial {
  /** PEM: the CA(s) the server's certificate must chain to. */
  readonly ca: Buffer | string;
  /** PEM: our client certificate and its key. */
  readonly cert: Buffer | string;
  readonly key: Buffer | string;
  /** The name to verify and to send as SNI (§3.4.2); defaults to `host` when it is a name. */
  readonly servername?: string | undefined;
}

export class TlsTransport implements Transport {
  readonly kind = 'tls' as const;
  readonly label: string;
  private readonly context: SecureContext;
  private readonly servername: string | undefined;
  /** A ticket from the last handshake, used at most once (RFC 9887 §3.6). */
  private ticket: Buffer | undefined;

  /** Throws UID_ERR_TLS_MATERIAL when the certificate, key or CA cannot be used. */
  constructor(
    readonly host: string,
    readonly port: number,
    private readonly connectTimeoutMs: number,
    material: TlsMaterial,
  ) {
    this.label = formatLabel(host, port);
    try {
      this.context = createSecureContext({
        minVersion: 'TLSv1.3',
        ca: material.ca,
        cert: material.cert,
        key: material.key,
      });
    } catch (error) {
      throw new UidError('UID_ERR_TLS_MATERIAL',
        `TACACS+ server ${this.label}: the TLS certificate, key or CA cannot be used: ${(error as Error).message}`,
        { cause: error });
    }
    this.servername = material.servername ?? (isIP(host) === 0 ? host : undefined);
  }

  open(): Promise<Socket> {
    const session = this.ticket;
    this.ticket = undefined;
    const socket = connect({
      host: this.host,
      port: this.port,
      secureContext: this.context,
      minVersion: 'TLSv1.3',
      rejectUnauthorized: true,
      ...(this.servername !== undefined ? { servername: this.servername } : {}),
      ...(session !== undefined ? { session } : {}),
    });
    socket.on('session', (ticket: Buffer) => {
      this.ticket = ticket;
    });
    return whenReady(socket, 'secureConnect', this.label, this.connectTimeoutMs);
  }
}
