/**
 * Syslog over TLS (RFC 5425): TLS 1.2 and 1.3, octet-counting or LF framing. The TLS
 * handshake starts only after the sender allow-list admitted the address (stream.ts).
 *
 * Client certificates (docs/syslog.md "Client certificates"): one is always requested.
 * A sender with `tlsFingerprints` must present a certificate whose fingerprint is pinned
 * (RFC 5425 §4.2.1; it need not chain to `ca`, so a device's self-signed certificate
 * works). Otherwise, with `requireClientCert`, the certificate must chain to `ca`.
 * Without either, no certificate is needed.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Connection } from './connection.js';
import { matchesFingerprint, formatFingerprint } from './fingerprint.js';
import { StreamSource, type StreamSourceOptions } from './stream.js';
import { loadServerContext } from './tls-material.js';

export interface TlsSourceOptions extends StreamSourceOptions {
  /** PEM files, as paths already resolved against the config file's folder. */
  readonly cert: string;
  readonly key: string;
  readonly ca?: string | undefined;
  readonly requireClientCert: boolean;
  /** Close a connection whose TLS handshake has not finished in this time. */
  readonly handshakeTimeoutMs: number;
}

export class TlsSource extends StreamSource {
  private context: SecureContext | undefined;
  private readonly tlsSockets = new WeakMap<Connection, TLSSocket>();
  private readonly tlsOptions: TlsSourceOptions;

  constructor(options: TlsSourceOptions) {
    super('tls', options);
    this.tlsOptions = options;
  }

  /** Loads the certificate material (UID_ERR_TLS_MATERIAL naming the file), then binds. */
  override start(): Promise<void> {
    try {
      this.context = loadServerContext(this.tlsOptions);
    } catch (error) {
      return Promise.reject(error);
    }
    return super.start();
  }

  protected override open(connection: Connection, socket: Socket): void {
    const tlsSocket = new TLSSocket(socket, {
      isServer: true,
      secureContext: this.context!,
      requestCert: true,
      rejectUnauthorized: false, // decided in verify(), so that pinned self-signed certificates pass
    });
    tlsSocket.disableRenegotiation(); // no syslog client needs it; a peer asking for it is closed
    this.tlsSockets.set(connection, tlsSocket);
    connection.layer(tlsSocket);
    const timer = setTimeout(() => connection.close('handshake_timeout'), this.tlsOptions.handshakeTimeoutMs);
    tlsSocket.once('close', () => clearTimeout(timer));
    tlsSocket.once('secure', () => {
      clearTimeout(timer);
      const refusal = this.verify(tlsSocket, connection);
      if (refusal === undefined) connection.begin();
      else connection.close('certificate_rejected', refusal);
    });
  }

  protected override recheck(connection: Connection): void {
    const tlsSocket = this.tlsSockets.get(connection);
    if (!tlsSocket || !connection.isEstablished) return; // verified when its handshake ends
    const refusal = this.verify(tlsSocket, connection);
    if (refusal !== undefined) connection.close('certificate_rejected', refusal);
  }

  /** Why this peer's certificate is not acceptable for its sender, or undefined. */
  private verify(tlsSocket: TLSSocket, connection: Connection): string | undefined {
    const sender = connection.sender;
    const pins = this.senders.pins(sender);
    if (!pins && !this.tlsOptions.requireClientCert) return undefined;
    const raw = tlsSocket.getPeerCertificate()?.raw as Buffer | undefined;
    if (!raw) {
      return pins ? `no client certificate, and sender "${sender.name}" pins one` : 'no client certificate (requireClientCert)';
    }
    if (pins) {
      if (matchesFingerprint(raw, pins)) return undefined;
      return `client certificate ${formatFingerprint(raw)} is not pinned for sender "${sender.name}"`;
    }
    const problem = chainProblem(tlsSocket);
    if (problem === undefined) return undefined;
    return `client certificate ${formatFingerprint(raw)} is not trusted: ${problem}`;
  }
}

/**
 * Why the peer's certificate chain does not verify against `ca`, or undefined when it does.
 * Node fills in `authorized` only for sockets a tls.Server accepted; a TLSSocket wrapped by
 * hand (so that the handshake starts only after the allow-list admitted the address) gets
 * the same answer from its handle, as Node's own tls.Server does. Should that ever be
 * missing, the check fails closed.
 */
function chainProblem(tlsSocket: TLSSocket): string | undefined {
  const handle = (tlsSocket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  if (typeof handle?.verifyError !== 'function') return 'this Node.js cannot report certificate verification';
  const error = handle.verifyError() as (Error & { code?: string }) | null;
  return error ? (error.code ?? error.message) : undefined;
}
