/** Server entries (`accounting.groups[].servers[]`, as the config loader resolves them) pointing at test servers. */
import type { TacacsServerConfig } from '../../src/config/schema.js';
import type { Pki } from './certs.js';
import type { TacacsTestServer } from './tacacs-server.js';

export const TEST_KEY = 'test-shared-secret';

const defaults = { host: '127.0.0.1', timeoutMs: 3000, connectTimeoutMs: 3000, singleConnection: true };

export function tcpServerConfig(server: TacacsTestServer, over: Partial<TacacsServerConfig> = {}): TacacsServerConfig {
  return { ...defaults, port: server.port, secret: TEST_KEY, ...over };
}

/** TLS with the client certificate of `client` (default: the PKI the server trusts). */
export function tlsServerConfig(server: TacacsTestServer, pki: Pki, over: Partial<TacacsServerConfig> = {}, client: Pki = pki): TacacsServerConfig {
  return {
    ...defaults,
    port: server.port,
    tls: { ca: pki.path('ca.crt'), cert: client.path('client.crt'), key: client.path('client.key') },
    ...over,
  };
}

/** A port nothing listens on (a server that is down). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}
