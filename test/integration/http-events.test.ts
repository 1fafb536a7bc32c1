/**
 * GET /v1/events over a real socket on 127.0.0.1: live changes of every kind, heartbeat,
 * Last-Event-ID resume, a too-old or foreign id, the stream limit, a slow reader dropped
 * without holding up the table or other readers, and streams ended on server close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttpServer } from '../../src/http/server.js';
import type { EventStreamOptions } from '../../src/http/event-streams.js';
import { login, logout } from '../mappings/support.js';
import { testServer, type TestServer } from '../http/harness.js';
import { SseClient } from '../http/sse-client.js';
import { mapping, TableDouble } from '../http/table-double.js';

let server: TestServer | undefined;
const clients: SseClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.app.close();
  server = undefined;
});

async function start(events: Partial<EventStreamOptions> = {}): Promise<{ table: TableDouble; port: number }> {
  const table = new TableDouble();
  server = await testServer({ table, events });
  const { port } = await listenHttpServer(server.app, { host: '127.0.0.1', port: 0 });
  return { table, port };
}

async function connect(port: number, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await SseClient.open(port, headers);
  clients.push(client);
  return client;
}

const data = (client: SseClient, i: number) => JSON.parse(client.events[i]!.data);

describe('GET /v1/events', () => {
  it('streams every change kind as it happens, with an id, the kind and JSON data', async () => {
    const { table, port } = await start();
    const client = await connect(port);
    expect(client.res.statusCode).toBe(200);
    expect(client.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.res.headers['cache-control']).toBe('no-store');

    await table.apply(login('10.1.2.3', 'jdoe'));
    await client.waitForEvents(1);
    expect(client.events[0]!.event).toBe('added');
    expect(data(client, 0)).toEqual({
      kind: 'added', reason: 'login',
      mapping: { ip: '10.1.2.3', user: 'jdoe', sender: 'esm', profile: 'traps-esm-leef',
        firstSeen: '2024-01-15T08:30:00.000Z', lastSeen: '2024-01-15T08:30:00.000Z', expiresAt: '2024-01-15T09:15:00.000Z', timeoutSeconds: 2700 },
    });

    await table.apply(login('10.1.2.3', 'jdoe', { sender: 'vpn' }));
    await table.apply(login('10.1.2.3', 'asmith'));
    await table.apply(logout('10.1.2.3', 'asmith'));
    await table.apply(login('10.1.2.4', 'bob'));
    await table.delete('10.1.2.4');
    table.emit({ kind: 'expired', mapping: mapping('10.1.2.5', 'carol') });
    table.emit({ kind: 'evicted', mapping: mapping('10.1.2.6', 'dave') });
    await client.waitForEvents(8);

    expect(client.events.map((e) => `${e.event}/${JSON.parse(e.data).reason}`)).toEqual([
      'added/login', 'refreshed/login', 'user-changed/replaced', 'removed/logout', 'added/login', 'removed/admin',
      'expired/timeout', 'evicted/capacity',
    ]);
    expect(data(client, 1)).toMatchObject({ newinfo: true, mapping: { sender: 'vpn' } });
    expect(data(client, 2)).toMatchObject({ mapping: { user: 'asmith' }, previous: { user: 'jdoe' } });
    const ids = client.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[0-9a-f]{8}-\d+$/.test(id!))).toBe(true);
  });

  it('sends a heartbeat comment every interval', async () => {
    const { port } = await start({ heartbeatMs: 50 });
    const client = await connect(port);
    await client.waitFor(() => client.comments.filter((c) => c === 'keep-alive').length >= 2, 'two heartbeats');
  });

  it('resumes after Last-Event-ID with the changes missed while away, then goes on live', async () => {
    const { table, port } = await start();
    const first = await connect(port);
    for (let i = 1; i <= 3; i++) await table.apply(login(`10.0.0.${i}`, `u${i}`));
    await first.waitForEvents(3);
    const lastSeen = first.events[2]!.id!;
    first.close();

    for (let i = 4; i <= 6; i++) await table.apply(login(`10.0.0.${i}`, `u${i}`));
    const again = await connect(port, { 'last-event-id': lastSeen });
    await again.waitForEvents(3);
    await table.apply(login('10.0.0.7', 'u7'));
    await again.waitForEvents(4);
    expect(again.events.map((e) => JSON.parse(e.data).mapping.ip)).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7']);
    expect(again.events.some((e) => e.event === 'resync')).toBe(false);
  });

  it('says resync when the id is older than the ring holds, then continues live', async () => {
    const { table, port } = await start({ ringSize: 4 });
    const early = await connect(port);
    for (let i = 1; i <= 10; i++) await table.apply(login(`10.0.0.${i}`, `u${i}`));
    await early.waitForEvents(10);
    const tooOld = early.events[1]!.id!;

    const client = await connect(port, { 'last-event-id': tooOld });
    await client.waitForEvents(1);
    expect(client.events[0]!.event).toBe('resync');
    expect(data(client, 0)).toMatchObject({ reason: 'too-old', lastEventId: tooOld, message: expect.stringContaining('GET /v1/mappings') });
    expect(client.events[0]!.id).toBe(early.events[9]!.id); // a reconnect resumes from "now"
    await table.apply(login('10.0.0.11', 'u11'));
    await client.waitForEvents(2);
    expect(client.events[1]).toMatchObject({ event: 'added' });

    // The oldest id still held resumes without a resync.
    const edge = await connect(port, { 'last-event-id': early.events[6]!.id! });
    await edge.waitForEvents(4);
    expect(edge.events.map((e) => e.event)).toEqual(['added', 'added', 'added', 'added']);
  });

  it('says resync for an id from another server run or a malformed one', async () => {
    const { port } = await start();
    for (const id of ['0badcafe-3', 'garbage', '']) {
      const client = await connect(port, { 'last-event-id': id });
      await client.waitForEvents(1);
      expect(client.events[0]!.event).toBe('resync');
      expect(data(client, 0)).toMatchObject({ reason: 'unknown', lastEventId: id });
    }
  });

  it('refuses streams over the limit with 503 and an error body', async () => {
    const { port } = await start({ maxClients: 1 });
    await connect(port);
    const second = await connect(port);
    expect(second.res.statusCode).toBe(503);
    expect(second.res.headers['retry-after']).toBe('30');
    await second.waitFor(() => second.ended, 'the 503 body');
    expect(JSON.parse(second.text).error.code).toBe('UID_ERR_HTTP_BUSY');
  });

  it('drops a reader that stops reading, without holding up the table or a reader that keeps up', async () => {
    const { table, port } = await start({ ringSize: 256 });
    const slow = await connect(port);
    const fast = await connect(port);
    slow.res.pause(); // stops reading: the kernel buffers fill, then the server's queue for it
    let published = 0;
    const dropped = async () => (await server!.registry.getSingleMetric('uid_http_event_streams_dropped_total')!.get()).values[0]?.value ?? 0;
    const deadline = Date.now() + 15_000;
    while ((await dropped()) === 0) {
      expect(Date.now(), 'the slow reader should have been dropped').toBeLessThan(deadline);
      for (let i = 0; i < 500; i++) {
        const n = ++published;
        await table.apply(login(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${(n & 255) | 1}`, `user${n}`));
      }
      await fast.waitForEvents(published); // the fast reader keeps up with every change
    }
    expect(fast.ended).toBe(false);
    slow.res.resume(); // reads what was already sent, then sees the end
    await slow.waitFor(() => slow.ended, 'the slow reader to be disconnected');
    expect(slow.events.length).toBeLessThan(published);
    const metrics = await server!.registry.metrics();
    expect(metrics).toContain('uid_http_event_streams 1');
    const warning = server!.logs.map((line) => JSON.parse(line)).find((entry) => entry.msg.includes('fell too far behind'));
    expect(warning).toMatchObject({ level: 40, remote: '127.0.0.1' });
  });

  it('ends open streams when the server closes, also one whose reader stalled', async () => {
    const { table, port } = await start({ ringSize: 100_000 });
    const client = await connect(port);
    const stalled = await connect(port);
    stalled.res.pause();
    // Enough to fill the kernel buffers and leave data queued for the stalled reader;
    // in batches, so that the sockets get written between them.
    for (let n = 1; n <= 40_000; n++) {
      await table.apply(login(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${(n & 255) | 1}`, `user${n}`));
      if (n % 1000 === 0) await client.waitForEvents(n);
    }
    await server!.app.close(); // resolves only when every connection is gone
    server = undefined;
    await client.waitFor(() => client.ended, 'the stream to end');
  });
});
