/** TACACS+ over plain TCP (RFC 8907 §3.4): bodies are obfuscated with the shared secret. */
import { connect, type Socket } from 'node:net';
import { formatLabel, whenReady, type Transport } from './transport.js';

/** RFC 8907 §3.4 / RFC 9887 §5.2: 49 for non-TLS TACACS+. */
export const TACACS_PORT = 49;

export class TcpTransport implements Transport {
  readonly kind = 'tcp' as const;
  readonly label: string;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly connectTimeoutMs: number,
  ) {
    this.label = formatLabel(host, port);
  }

  open(): Promise<Socket> {
    const socket = connect({ host: this.host, port: this.port });
    return whenReady(socket, 'connect', this.label, this.connectTimeoutMs);
  }
}

