/**
 * One configured TACACS+ server (`accounting.groups[].servers[]`, already resolved by the
 * config loader: `secret` holds the value, paths are absolute) turned into what a client
 * needs: a transport and the obfuscation key. `tls:` means TLS and nothing else (RFC 9887
 * §5.2: no ambiguity about whether TLS is used); without it a shared secret is required,
 * because RFC 8907 §4.1 forbids unobfuscated bodies in production.
 */
import type { TacacsServerConfig } from '../config/schema.js';
import { UidError } from '../errors.js';
import { readTlsFile } from '../shared/tls-file.js';
import type { Transport } from './transport.js';
import { TACACS_PORT, TcpTransport } from './transport-tcp.js';
import { TACACS_TLS_PORT, TlsTransport } from './transport-tls.js';

export interface ServerEndpoint {
  readonly transport: Transport;
  /** RFC 8907 §4.5 shared secret; null over TLS, where obfuscation is not used. */
  readonly key: Buffer | null;
  /** How long to wait for each reply. */
  readonly timeoutMs: number;
  /** Offer single-connection mode (RFC 8907 §4.3). */
  readonly singleConnection: boolean;
}

/** Throws UID_ERR_TLS_MATERIAL or UID_ERR_CONFIG_SECRET when the server cannot be used. */
export function endpointFromConfig(server: TacacsServerConfig): ServerEndpoint {
  const common = { timeoutMs: server.timeoutMs, singleConnection: server.singleConnection };
  if (server.tls !== undefined) {
    const port = server.port ?? TACACS_TLS_PORT;
    const name = `${server.host}:${port}`;
    const transport = new TlsTransport(server.host, port, server.connectTimeoutMs, {
      ca: readTlsFile(`TACACS+ server ${name} tls.ca`, server.tls.ca),
      cert: readTlsFile(`TACACS+ server ${name} tls.cert`, server.tls.cert),
      key: readTlsFile(`TACACS+ server ${name} tls.key`, server.tls.key),
      servername: server.tls.servername,
    });
    return { transport, key: null, ...common };
  }
  const port = server.port ?? TACACS_PORT;
  if (server.secret === undefined || server.secret === '') {
    throw new UidError('UID_ERR_CONFIG_SECRET',
      `TACACS+ server ${server.host}:${port} has no shared secret: give secret or secretFile, or use tls: (RFC 9887)`);
  }
  const transport = new TcpTransport(server.host, port, server.connectTimeoutMs);
  return { transport, key: Buffer.from(server.secret, 'utf8'), ...common };
}
