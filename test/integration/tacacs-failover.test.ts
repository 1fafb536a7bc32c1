/**
 * Server groups: PAN-OS failover across real test servers — first server down at start,
 * killed mid-stream, all down then one back, return to the first after the retry
 * interval, one outage event per outage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountingRecord } from '../../src/accounting/record.js';
import { isRetriable } from '../../src/accounting/retry.js';
import { ServerGroup, type ServerGroupEvent, type ServerGroupOptions } from '../../src/accounting/server-group.js';
import type { UidError } from '../../src/errors.js';
import { TEST_KEY, closedPort, tcpServerConfig } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';
import { rejection } from '../support/fixtures.js';

function record(n: number): AccountingRecord {
  return { kind: 'start', user: `user${n}`, port: 'esm', remAddr: '10.0.0.1', args: [`task_id=${n}`, 'service=user-id'], orderKey: String(n) };
}

const failure = (promise: Promise<unknown>) => rejection<UidError>(promise);

const taskIds = (server: TacacsTestServer): string[] => server.requests.map((r) => r.args[0]!);

describe('ServerGroup failover', () => {
  const servers: TacacsTestServer[] = [];
  const groups: ServerGroup[] = [];
  afterEach(async () => {
    for (const group of groups.splice(0)) group.close();
    await Promise.all(servers.splice(0).map((s) => s.kill()));
  });

  async function startServers(count: number): Promise<TacacsTestServer[]> {
    const started = await Promise.all(Array.from({ length: count }, () => TacacsTestServer.start({ key: TEST_KEY })));
    servers.push(...started);
    return started;
  }

  function group(members: TacacsTestServer[], over: Partial<ServerGroupOptions> = {}): { group: ServerGroup; events: ServerGroupEvent[] } {
    const events: ServerGroupEvent[] = [];
    const made = new ServerGroup({
      name: 'primary',
      servers: members.map((s) => tcpServerConfig(s, { timeoutMs: 5000, connectTimeoutMs: 5000 })),
      retryIntervalSeconds: 300,
      onEvent: (e) => events.push(e),
      ...over,
    });
    groups.push(made);
    return { group: made, events };
  }

  it('uses the first server while it answers, and reports latency', async () => {
    const [a, b] = await startServers(2);
    const latencies: number[] = [];
    const { group: g, events } = group([a!, b!], { onReplyLatency: (s) => latencies.push(s) });
    await Promise.all([1, 2, 3].map((n) => g.send(record(n))));
    expect(taskIds(a!)).toHaveLength(3);
    expect(b!.requests).toEqual([]);
    expect(events).toEqual([{ type: 'server-active', group: 'primary', server: `127.0.0.1:${a!.port}`, previous: null }]);
    expect(latencies).toHaveLength(3);
    expect(latencies.every((s) => s > 0 && s < 5)).toBe(true);
    expect(g.stats).toMatchObject({ requests: 3, sent: 3, failed: 0, failovers: 0, outages: 0 });
    const status = g.status();
    expect(status).toMatchObject({ name: 'primary', currentServer: `127.0.0.1:${a!.port}`, state: 'up', lastError: null });
    expect(status.servers.map((s) => s.state)).toEqual(['connected', 'unknown']);
  });

  it('moves to the next server when the first is down at start, and stays there', async () => {
    const [a, b] = await startServers(2);
    await a!.kill();
    const { group: g, events } = group([a!, b!]);
    await g.send(record(1));
    await Promise.all([2, 3, 4].map((n) => g.send(record(n))));
    expect(taskIds(b!)).toEqual(['task_id=1', 'task_id=2', 'task_id=3', 'task_id=4']);
    expect(events.map((e) => e.type)).toEqual(['server-failed', 'server-active']);
    expect(events[0]).toMatchObject({ type: 'server-failed', server: `127.0.0.1:${a!.port}`, code: 'UID_ERR_TACACS_CONNECT' });
    expect(events[1]).toMatchObject({ type: 'server-active', server: `127.0.0.1:${b!.port}`, previous: null });
    const status = g.status();
    expect(status).toMatchObject({ currentServer: `127.0.0.1:${b!.port}`, state: 'failing-over' });
    expect(status.servers[0]).toMatchObject({ state: 'failed', lastError: expect.stringContaining('ECONNREFUSED') });
    expect(status.servers[0]!.lastErrorAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
  });

  it('loses nothing when the first server is killed mid-stream: every send succeeds or rejects retriably', async () => {
    const [a, b] = await startServers(2);
    const { group: g } = group([a!, b!]);
    const total = 300;
    const outcomes: Array<'sent' | 'retriable' | 'other'> = [];
    let next = 0;
    // A dispatcher-like sender: 16 in flight, each record retried until a server takes it.
    const worker = async (): Promise<void> => {
      while (next < total) {
        const n = next++;
        for (;;) {
          try {
            await g.send(record(n));
            outcomes.push('sent');
            break;
          } catch (error) {
            outcomes.push(isRetriable(error) ? 'retriable' : 'other');
          }
        }
      }
    };
    const killer = a!.waitForRequests(60).then(() => a!.kill());
    await Promise.all([killer, ...Array.from({ length: 16 }, worker)]);
    expect(outcomes.filter((o) => o === 'other')).toEqual([]);
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(total);
    const delivered = new Set([...taskIds(a!), ...taskIds(b!)]);
    expect(delivered.size).toBe(total);
    expect(taskIds(b!).length).toBeGreaterThan(0);
    expect(g.status().currentServer).toBe(`127.0.0.1:${b!.port}`);
  });

  it('rejects while every server is down with ONE outage event, then recovers when one returns', async () => {
    const [a, b] = await startServers(2);
    const { group: g, events } = group([a!, b!]);
    await g.send(record(0));
    await Promise.all([a!.kill(), b!.kill()]);
    const errors = await Promise.all([1, 2, 3].map((n) => failure(g.send(record(n)))));
    errors.push(await failure(g.send(record(4))));
    for (const error of errors) {
      expect(error.code).toBe('UID_ERR_TACACS_UNAVAILABLE');
      expect(isRetriable(error)).toBe(true);
    }
    expect(errors[0]!.message).toMatch(/no server of accounting group primary answered/);
    expect(events.filter((e) => e.type === 'outage')).toHaveLength(1);
    expect(g.status()).toMatchObject({ state: 'down', currentServer: null });
    expect(g.stats.outages).toBe(1);

    await b!.restart();
    await g.send(record(5));
    expect(taskIds(b!)).toEqual(['task_id=5']);
    expect(events.filter((e) => e.type === 'recovered')).toEqual([
      expect.objectContaining({ server: `127.0.0.1:${b!.port}`, downForMs: expect.any(Number) }),
    ]);
    expect(g.status()).toMatchObject({ state: 'failing-over', currentServer: `127.0.0.1:${b!.port}` });

    await b!.kill();
    await failure(g.send(record(6)));
    await failure(g.send(record(7)));
    expect(events.filter((e) => e.type === 'outage')).toHaveLength(2); // a second outage, a second event
  });

  it('returns to the first server after the retry interval, and not before', async () => {
    const [a, b] = await startServers(2);
    let clock = 1_000_000;
    const { group: g, events } = group([a!, b!], { retryIntervalSeconds: 60, now: () => clock });
    await a!.kill();
    await g.send(record(1)); // fails over to b
    await a!.restart();
    clock += 59_000;
    await g.send(record(2));
    expect(taskIds(b!)).toEqual(['task_id=1', 'task_id=2']);
    clock += 1_000;
    await g.send(record(3)); // the probe goes to a, which answers
    await g.send(record(4));
    expect(taskIds(a!)).toEqual(['task_id=3', 'task_id=4']);
    expect(events.at(-1)).toMatchObject({ type: 'server-active', server: `127.0.0.1:${a!.port}`, previous: `127.0.0.1:${b!.port}` });
    expect(g.status().state).toBe('up');
  });

  it('stays on the backup when the probe of the first server fails, and probes again one interval later', async () => {
    const [a, b] = await startServers(2);
    let clock = 0;
    const { group: g, events } = group([a!, b!], { retryIntervalSeconds: 10, now: () => clock });
    a!.behaviour.reply = 'error';
    await g.send(record(1));
    clock += 10_000;
    await g.send(record(2)); // probe: a answers ERROR, the record goes to b
    await g.send(record(3)); // within the new interval: straight to b
    expect(taskIds(a!)).toEqual(['task_id=1', 'task_id=2']);
    expect(taskIds(b!)).toEqual(['task_id=1', 'task_id=2', 'task_id=3']);
    expect(events.filter((e) => e.type === 'server-failed')).toHaveLength(1);
    a!.behaviour.reply = 'success';
    clock += 10_000;
    await g.send(record(4));
    expect(taskIds(a!).at(-1)).toBe('task_id=4');
    expect(g.status().state).toBe('up');
  });

  it('fails over on ERROR and on a wrong shared secret, naming the secret in the event', async () => {
    const [a, b, c] = await startServers(3);
    a!.behaviour.reply = 'error';
    b!.behaviour.keyOverride = 'not-the-same-key';
    const { group: g, events } = group([a!, b!, c!]);
    await g.send(record(1));
    expect(taskIds(c!)).toEqual(['task_id=1']);
    const failed = events.filter((e) => e.type === 'server-failed');
    expect(failed.map((e) => e.type === 'server-failed' && e.code)).toEqual(['UID_ERR_TACACS_STATUS', 'UID_ERR_TACACS_DECODE']);
    expect(failed[1]).toMatchObject({ message: expect.stringContaining('reply did not decode: shared secret mismatch?') });
    expect(JSON.stringify(events)).not.toContain(TEST_KEY);
  });

  it('does not fail over a record that can never be sent', async () => {
    const [a, b] = await startServers(2);
    const { group: g, events } = group([a!, b!]);
    const error = await failure(g.send({ ...record(1), port: 'p'.repeat(256) }));
    expect(error.code).toBe('UID_ERR_TACACS_FIELD');
    expect(events).toEqual([]);
    expect(a!.requests.length + b!.requests.length).toBe(0);
    expect(g.stats).toMatchObject({ requests: 1, failed: 1, sent: 0 });
  });

  it('close() rejects what is in flight and what comes after, without failing over', async () => {
    const [a, b] = await startServers(2);
    a!.behaviour.reply = 'hang';
    const { group: g, events } = group([a!, b!]);
    const pending = failure(g.send(record(1)));
    await a!.waitForRequests(1);
    g.close();
    expect((await pending).code).toBe('UID_ERR_TACACS_CLOSED');
    expect((await failure(g.send(record(2)))).code).toBe('UID_ERR_TACACS_CLOSED');
    expect(b!.requests).toEqual([]);
    expect(events).toEqual([]);
  });

  it('refuses a server without a secret or with unreadable TLS material at construction', async () => {
    const port = await closedPort();
    const base = { host: '127.0.0.1', port, timeoutMs: 1000, connectTimeoutMs: 1000, singleConnection: true };
    expect(() => new ServerGroup({ name: 'g', retryIntervalSeconds: 1, servers: [base] })).toThrow(
      expect.objectContaining({ code: 'UID_ERR_CONFIG_SECRET' }));
    expect(() => new ServerGroup({
      name: 'g', retryIntervalSeconds: 1,
      servers: [{ ...base, tls: { ca: '/nonexistent/ca.crt', cert: '/nonexistent/c.crt', key: '/nonexistent/c.key' } }],
    })).toThrow(expect.objectContaining({ code: 'UID_ERR_TLS_MATERIAL', message: expect.stringContaining('/nonexistent/ca.crt (ENOENT)') }));
  });
});
