/**
 * One suite, two transports (STYLE §5): the TACACS+ client behaves the same over plain TCP
 * (obfuscated, RFC 8907) and TLS 1.3 (RFC 9887), against the RFC-based test server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountingRecord } from '../../src/accounting/record.js';
import { ServerClient } from '../../src/accounting/server-client.js';
import { endpointFromConfig } from '../../src/accounting/transport-config.js';
import { isRetriable } from '../../src/accounting/retry.js';
import type { TacacsServerConfig } from '../../src/config/schema.js';
import type { UidError } from '../../src/errors.js';
import { testPki } from '../support/certs.js';
import { TEST_KEY, closedPort, tcpServerConfig, tlsServerConfig } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';
import { rejection } from '../support/fixtures.js';

const pki = testPki().trusted;

interface Setup {
  readonly kind: 'tcp' | 'tls';
  start(): Promise<TacacsTestServer>;
  config(server: TacacsTestServer, over?: Partial<TacacsServerConfig>): TacacsServerConfig;
}

const setups: Setup[] = [
  {
    kind: 'tcp',
    start: () => TacacsTestServer.start({ key: TEST_KEY }),
    config: (server, over) => tcpServerConfig(server, over),
  },
  {
    kind: 'tls',
    start: () => TacacsTestServer.start({ tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca } }),
    config: (server, over) => tlsServerConfig(server, pki, over),
  },
];

function record(n: number, kind: AccountingRecord['kind'] = 'start'): AccountingRecord {
  return {
    kind,
    user: 'ACME\\jdoe',
    port: 'esm',
    remAddr: `10.0.0.${n % 250}`,
    args: [`task_id=${n}`, 'start_time=1700000000', 'timezone=UTC', 'service=user-id', 'event=login', `addr=10.0.0.${n % 250}`],
    orderKey: String(n),
  };
}

const failure = (promise: Promise<unknown>) => rejection<UidError>(promise);

describe.each(setups)('TACACS+ accounting over $kind', (setup) => {
  const servers: TacacsTestServer[] = [];
  const clients: ServerClient[] = [];

  async function start(): Promise<TacacsTestServer> {
    const server = await setup.start();
    servers.push(server);
    return server;
  }
  function client(server: TacacsTestServer, over?: Partial<TacacsServerConfig>): ServerClient {
    const made = new ServerClient(endpointFromConfig(setup.config(server, over)));
    clients.push(made);
    return made;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(servers.splice(0).map((s) => s.kill()));
  });

  it('delivers a record with every field, obfuscated over TCP and flagged UNENCRYPTED over TLS', async () => {
    const server = await start();
    await client(server).send(record(1));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      seqNo: 1,
      singleConnectAsked: true,
      unencrypted: setup.kind === 'tls',
      flags: 0x02,
      authenMethod: 0x00,
      privLvl: 0x00,
      authenType: 0x00,
      authenService: 0x00,
      user: 'ACME\\jdoe',
      port: 'esm',
      remAddr: '10.0.0.1',
      args: record(1).args,
    });
    expect(server.violations).toEqual([]);
  });

  it('negotiates single-connection mode and keeps sessions in flight at once, replies matched by session_id', async () => {
    const server = await start();
    const c = client(server);
    await c.send(record(0));
    // The server now holds replies until 10 requests wait, then answers newest first.
    server.behaviour.reverseBatch = 10;
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.send(record(i + 1))));
    expect(server.connectionsAccepted).toBe(1);
    expect(server.requests.map((r) => r.connection)).toEqual(Array(11).fill(1));
    expect(server.requests.filter((r) => r.singleConnectAsked)).toHaveLength(1);
    expect(new Set(server.requests.map((r) => r.sessionId)).size).toBe(11);
    expect(c.connected).toBe(true);
    expect(server.violations).toEqual([]);
  });

  it('sends nothing more on a connection until single-connect is established', async () => {
    const server = await start();
    server.behaviour.delayMs = 100;
    const c = client(server);
    await Promise.all(Array.from({ length: 5 }, (_, i) => c.send(record(i))));
    expect(server.violations).toEqual([]); // the server refuses a second packet sent too early
    expect(server.connectionsAccepted).toBe(1);
  });

  it('uses one connection per session when the server refuses single-connect', async () => {
    const server = await start();
    server.behaviour.singleConnect = false;
    const c = client(server);
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.send(record(i))));
    await c.send(record(6));
    expect(server.requests).toHaveLength(7);
    expect(new Set(server.requests.map((r) => r.connection)).size).toBe(7);
    expect(server.connectionsAccepted).toBe(7);
    expect(server.violations).toEqual([]);
    await server.waitFor(() => server.openConnections === 0, 5000, 'every connection closed');
  });

  it('does not offer single-connect when it is off', async () => {
    const server = await start();
    const c = client(server, { singleConnection: false });
    await Promise.all([c.send(record(1)), c.send(record(2))]);
    expect(server.requests.map((r) => r.singleConnectAsked)).toEqual([false, false]);
    expect(server.connectionsAccepted).toBe(2);
  });

  it('rejects ERROR and FOLLOW replies with UID_ERR_TACACS_STATUS, retriably', async () => {
    const server = await start();
    const c = client(server);
    server.failNext(1, 'error');
    server.failNext(1, 'follow');
    const error = await failure(c.send(record(1)));
    expect(error.code).toBe('UID_ERR_TACACS_STATUS');
    expect(error.message).toContain('ERROR');
    const follow = await failure(c.send(record(2)));
    expect(follow.code).toBe('UID_ERR_TACACS_STATUS');
    expect(follow.message).toContain('FOLLOW');
    expect(isRetriable(error) && isRetriable(follow)).toBe(true);
    await c.send(record(3));
  });

  it('times out a server that never replies, failing the others in flight on that connection', async () => {
    const server = await start();
    const c = client(server, { timeoutMs: 300 });
    await c.send(record(0));
    server.behaviour.reply = 'hang';
    const errors = await Promise.all([failure(c.send(record(1))), failure(c.send(record(2)))]);
    expect(errors.map((e) => e.code).sort()).toEqual(['UID_ERR_TACACS_CLOSED', 'UID_ERR_TACACS_TIMEOUT']);
    expect(errors.every(isRetriable)).toBe(true);
    server.behaviour.reply = 'success';
    await c.send(record(3)); // a fresh connection
    expect(server.connectionsAccepted).toBe(2);
  });

  it('rejects what is in flight when the server closes the connection', async () => {
    const server = await start();
    server.behaviour.reply = 'close';
    const error = await failure(client(server).send(record(1)));
    expect(error.code).toBe('UID_ERR_TACACS_CLOSED');
    expect(isRetriable(error)).toBe(true);
  });

  it('retries once on a new connection when an idle single connection was closed under it', async () => {
    const server = await start();
    const c = client(server);
    await c.send(record(1));
    server.failNext(1, 'close'); // the server drops the connection as the next request arrives
    await c.send(record(2));
    expect(server.requests.map((r) => r.args[0])).toEqual(['task_id=1', 'task_id=2', 'task_id=2']);
    expect(server.connectionsAccepted).toBe(2);
  });

  it('fails fast with UID_ERR_TACACS_CONNECT when nothing listens, for every record waiting', async () => {
    const server = await start();
    const c = client(server, { port: await closedPort() });
    const errors = await Promise.all([1, 2, 3].map((n) => failure(c.send(record(n)))));
    expect(errors.map((e) => e.code)).toEqual(Array(3).fill('UID_ERR_TACACS_CONNECT'));
    expect(errors.every(isRetriable)).toBe(true);
  });

  it('refuses a record with a field over 255 octets without sending it, and carries on', async () => {
    const server = await start();
    const c = client(server);
    const error = await failure(c.send({ ...record(1), user: 'u'.repeat(256) }));
    expect(error.code).toBe('UID_ERR_TACACS_FIELD');
    expect(isRetriable(error)).toBe(false);
    await c.send(record(2));
    expect(server.requests.map((r) => r.args[0])).toEqual(['task_id=2']);
  });

  it('rejects everything queued or in flight on close(), and anything sent after', async () => {
    const server = await start();
    server.behaviour.reply = 'hang';
    const c = client(server);
    const pending = [c.send(record(1)), c.send(record(2))];
    await server.waitForRequests(1);
    c.close();
    const errors = await Promise.all(pending.map(failure));
    expect(errors.map((e) => e.code)).toEqual(['UID_ERR_TACACS_CLOSED', 'UID_ERR_TACACS_CLOSED']);
    expect((await failure(c.send(record(3)))).code).toBe('UID_ERR_TACACS_CLOSED');
  });
});

describe('TACACS+ over TCP: shared secret', () => {
  it('reports a server with another key as "reply did not decode: shared secret mismatch?"', async () => {
    const server = await TacacsTestServer.start({ key: 'the-servers-key' });
    const c = new ServerClient(endpointFromConfig(tcpServerConfig(server)));
    try {
      const error = await failure(c.send(record(1)));
      expect(error.code).toBe('UID_ERR_TACACS_DECODE');
      expect(error.message).toMatch(/^reply did not decode: shared secret mismatch\?/);
      expect(isRetriable(error)).toBe(true);
      // The server could not make sense of the body either, and answered ERROR (§4.5).
      expect(server.violations).toHaveLength(1);
      expect(server.requests).toEqual([]);
      // Records queued behind the first one fail with it instead of trying one by one.
      const queued = await Promise.all([1, 2, 3, 4].map((n) => failure(c.send(record(n)))));
      expect(queued.map((e) => e.code)).toEqual(Array(4).fill('UID_ERR_TACACS_DECODE'));
      expect(server.connectionsAccepted).toBe(2);
    } finally {
      c.close();
      await server.kill();
    }
  });
});
