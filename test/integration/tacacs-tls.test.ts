/**
 * TACACS+ over TLS 1.3 (RFC 9887): mutual certificates, TLS 1.3 only, server identity,
 * session resumption, and never a fallback to plain TCP.
 */
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountingRecord } from '../../src/accounting/record.js';
import { ServerClient } from '../../src/accounting/server-client.js';
import { endpointFromConfig } from '../../src/accounting/transport-config.js';
import type { TacacsServerConfig } from '../../src/config/schema.js';
import type { UidError } from '../../src/errors.js';
import { testPki } from '../support/certs.js';
import { TEST_KEY, tlsServerConfig } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';
import { rejection } from '../support/fixtures.js';

const { trusted, other } = testPki();
const record: AccountingRecord = { kind: 'stop', user: 'jdoe', port: 'vpn', remAddr: '10.9.9.9', args: ['task_id=9', 'reason=logout'], orderKey: '9' };

const failure = (promise: Promise<unknown>) => rejection<UidError>(promise);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('TACACS+ over TLS 1.3', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function tlsTestServer(): Promise<TacacsTestServer> {
    const server = await TacacsTestServer.start({ tls: { cert: trusted.serverCert, key: trusted.serverKey, ca: trusted.ca } });
    cleanups.push(() => server.kill());
    return server;
  }
  function client(config: TacacsServerConfig): ServerClient {
    const made = new ServerClient(endpointFromConfig(config));
    cleanups.push(() => made.close());
    return made;
  }

  it('is accepted with a trusted client certificate, verifying the server by IP or by servername', async () => {
    const server = await tlsTestServer();
    await client(tlsServerConfig(server, trusted)).send(record);
    const named = tlsServerConfig(server, trusted);
    await client({ ...named, tls: { ...named.tls!, servername: 'localhost' } }).send(record);
    expect(server.requests).toHaveLength(2);
    expect(server.requests.every((r) => r.unencrypted)).toBe(true);
  });

  it('refuses a server whose certificate does not chain to our CA', async () => {
    const server = await tlsTestServer();
    const config = tlsServerConfig(server, trusted);
    const error = await failure(client({ ...config, tls: { ...config.tls!, ca: other.path('ca.crt') } }).send(record));
    expect(error.code).toBe('UID_ERR_TACACS_CONNECT');
    expect(error.message).toMatch(/certificate/i);
    expect(server.requests).toEqual([]);
  });

  it('refuses a server certificate that does not name the configured servername', async () => {
    const server = await tlsTestServer();
    const config = tlsServerConfig(server, trusted);
    const error = await failure(client({ ...config, tls: { ...config.tls!, servername: 'tacacs.example' } }).send(record));
    expect(error.code).toBe('UID_ERR_TACACS_CONNECT');
    expect(error.message).toContain('tacacs.example');
  });

  it('is refused by the server with a client certificate from another CA, and sends nothing', async () => {
    const server = await tlsTestServer();
    const error = await failure(client(tlsServerConfig(server, trusted, {}, other)).send(record));
    expect(['UID_ERR_TACACS_CONNECT', 'UID_ERR_TACACS_CLOSED']).toContain(error.code);
    expect(server.requests).toEqual([]);
  });

  it('does not speak TLS 1.2', async () => {
    const tls12 = createTlsServer({ cert: trusted.serverCert, key: trusted.serverKey, maxVersion: 'TLSv1.2' });
    tls12.on('tlsClientError', () => {});
    cleanups.push(() => new Promise((resolve) => tls12.close(resolve)));
    const port = await listen(tls12);
    const config: TacacsServerConfig = { ...tlsServerConfig({ port } as TacacsTestServer, trusted) };
    const error = await failure(client(config).send(record));
    expect(error.code).toBe('UID_ERR_TACACS_CONNECT');
    expect(error.message).toMatch(/protocol|version/i);
  });

  it('never falls back to plain TCP: a plain TACACS+ server on the port gets nothing', async () => {
    const plain = await TacacsTestServer.start({ key: TEST_KEY });
    cleanups.push(() => plain.kill());
    const error = await failure(client(tlsServerConfig(plain, trusted, { connectTimeoutMs: 500 })).send(record));
    expect(['UID_ERR_TACACS_CONNECT', 'UID_ERR_TACACS_TIMEOUT']).toContain(error.code);
    expect(plain.requests).toEqual([]);
  });

  it('times out a handshake that never completes', async () => {
    const silent = createServer(() => {});
    const sockets = new Set<import('node:net').Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    cleanups.push(() => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(resolve);
    }));
    const port = await listen(silent);
    const error = await failure(client(tlsServerConfig({ port } as TacacsTestServer, trusted, { connectTimeoutMs: 300 })).send(record));
    expect(error.code).toBe('UID_ERR_TACACS_TIMEOUT');
    expect(error.message).toContain('within 300 ms');
  });

  it('resumes the TLS session with a ticket when every session needs its own connection (RFC 9887 §3.6)', async () => {
    const server = await tlsTestServer();
    server.behaviour.singleConnect = false;
    const c = client(tlsServerConfig(server, trusted));
    for (let i = 0; i < 3; i++) await c.send(record);
    expect(server.connectionsAccepted).toBe(3);
    expect(server.resumedConnections).toBeGreaterThanOrEqual(1);
  });
});
