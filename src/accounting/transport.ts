/**
 * How bytes reach a TACACS+ server: plain TCP (RFC 8907, port 49) or TLS 1.3 (RFC 9887,
 * port 300). A connection (connection.ts) runs the protocol over either and does not care
 * which; the one difference in the packets, obfuscation versus TAC_PLUS_UNENCRYPTED_FLAG,
 * follows from `obfuscates`.
 */
import type { Socket } from 'node:net';
import { UidError } from '../errors.js';

export interface Transport {
  readonly kind: 'tcp' | 'tls';
  /** "host:port", for status and events. */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  /**
   * Opens a connection ready for TACACS+ data (for TLS, the handshake is complete and the
   * server verified). Rejects with UID_ERR_TACACS_CONNECT, or UID_ERR_TACACS_TIMEOUT after
   * the connect timeout.
   */
  open(): Promise<Socket>;
}

/** "host:port", with IPv6 literals in brackets. */
export function formatLabel(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Keeps a late socket error from crashing the process before a connection adopts the socket. */
function ignoreUntilAdopted(): void {}

/**
 * Resolves with `socket` once it emits `readyEvent`; destroys it and rejects on error,
 * early close or after `timeoutMs`.
 */
export function whenReady(
  socket: Socket,
  readyEvent: 'connect' | 'secureConnect',
  label: string,
  timeoutMs: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off(readyEvent, onReady);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const fail = (error: UidError): void => {
      cleanup();
      socket.on('error', ignoreUntilAdopted);
      socket.destroy();
      reject(error);
    };
    const onReady = (): void => {
      cleanup();
      socket.on('error', ignoreUntilAdopted);
      resolve(socket);
    };
    const onError = (error: Error): void => {
      fail(new UidError('UID_ERR_TACACS_CONNECT', `cannot connect to ${label}: ${error.message}`, { cause: error }));
    };
    const onClose = (): void => {
      fail(new UidError('UID_ERR_TACACS_CONNECT', `cannot connect to ${label}: closed during connect`));
    };
    const timer = setTimeout(() => {
      fail(new UidError('UID_ERR_TACACS_TIMEOUT', `cannot connect to ${label}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(readyEvent, onReady);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}
