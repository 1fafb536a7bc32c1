/**
 * Several listeners, one table (issue 12, DESIGN §5): two real listeners on one real
 * redis-server answer alike for every address, whichever of them heard the login.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { churnIp } from '../support/listener-clients.js';
import { REFRESH_RESOLUTION_MS } from '../../src/mappings/memory-table.js';
import { cleanupListeners, waitUntil } from '../support/listener.js';
import { RedisServer } from '../support/redis-server.js';
import { sendChurn, servedTable, startShared, testPrefix, waitForSize } from './shared-table-support.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterEach(cleanupListeners);
afterAll(() => redis.close());

const N = 100;
const ips = Array.from({ length: N }, (_, i) => churnIp(i, 31));

describe('two listeners sharing a table on Redis', () => {
  it('give identical answers for every address when each hears half the logins and refreshes the other half', async () => {
    const prefix = testPrefix();
    const [a, b] = await Promise.all([startShared(redis, prefix), startShared(redis, prefix)]);
    const half = N / 2;
    await Promise.all([
      sendChurn(a, ips.slice(0, half).map((ip, i) => ['login', `u${i}`, ip])),
      sendChurn(b, ips.slice(half).map((ip, i) => ['login', `u${half + i}`, ip])),
    ]);
    await Promise.all([waitForSize(a, N), waitForSize(b, N)]);
    const beforeRefresh = await servedTable(a);
    await Promise.all([
      sendChurn(a, ips.slice(half).map((ip, i) => ['login', `U${half + i}`, ip])), // any case: the same user
      sendChurn(b, ips.slice(0, half).map((ip, i) => ['login', `u${i}`, ip])),
    ]);
    // Those landed within a second of the logins (coalesced, as in memory); the next round, past that, moves lastSeen.
    const latestLogin = Math.max(...[...beforeRefresh.values()].map((m) => Date.parse((m as { lastSeen: string }).lastSeen)));
    await waitUntil(() => Date.now() > latestLogin + REFRESH_RESOLUTION_MS, 'the refresh resolution to pass');
    await Promise.all([
      sendChurn(a, ips.slice(half).map((ip, i) => ['login', `u${half + i}`, ip])),
      sendChurn(b, ips.slice(0, half).map((ip, i) => ['login', `u${i}`, ip])),
    ]);
    // The refreshes are sent, not yet applied: wait until both serve every one of them.
    const refreshed = async (l: typeof a) => [...(await servedTable(l)).values()]
      .every((m) => Date.parse((m as { lastSeen: string }).lastSeen) > latestLogin);
    await waitUntil(async () => (await refreshed(a)) && (await refreshed(b)), 'every refresh served by both');
    const [servedA, servedB] = await Promise.all([servedTable(a), servedTable(b)]);
    expect(servedA.size).toBe(N);
    expect(servedB).toEqual(servedA);
    for (const [i, ip] of ips.entries()) {
      const mapping = servedA.get(ip) as { user: string; firstSeen: string; lastSeen: string };
      expect(mapping.user).toBe(`u${i}`); // as first seen
      expect(mapping.firstSeen).toBe((beforeRefresh.get(ip) as { firstSeen: string }).firstSeen);
      expect(Date.parse(mapping.lastSeen)).toBeGreaterThan(Date.parse(mapping.firstSeen));
    }
    expect(a.app.table.stats.changes.added).toBe(N);
    expect(b.app.table.stats.changes.added).toBe(N);

    await sendChurn(b, ips.map((ip, i) => ['logout', `u${i}`, ip]));
    await Promise.all([waitForSize(a, 0), waitForSize(b, 0)]);
    expect(a.app.table.stats.changes.removed).toBe(N);
  });

  it('makes one mapping of the same login received by both at once', async () => {
    const prefix = testPrefix();
    const [a, b] = await Promise.all([startShared(redis, prefix), startShared(redis, prefix)]);
    const lines = ips.map((ip, i) => ['login', `u${i}`, ip] as ['login', string, string]);
    await Promise.all([sendChurn(a, lines), sendChurn(b, lines)]);
    await Promise.all([waitForSize(a, N), waitForSize(b, N)]);
    await Promise.all([a, b].map((l) => (l.app.table as { caughtUp?: () => Promise<void> }).caughtUp?.()));
    expect(a.app.table.stats.changes.added).toBe(N);
    expect(b.app.table.stats.changes.added).toBe(N);
    expect(a.app.table.stats.changes['user-changed']).toBe(0);
  });

  it('starts while Redis is down, says so, answers stale, and loads the table when Redis comes', async () => {
    const prefix = testPrefix();
    const writer = await startShared(redis, prefix);
    await sendChurn(writer, [['login', 'early', ips[0]!]]);
    await waitForSize(writer, 1);
    await writer.stop();
    await redis.stop();
    const late = await startShared(redis, prefix);
    await late.waitForLog((l) => l['event'] === 'store-unavailable');
    expect((await late.http('GET', '/healthz')).body).toMatchObject({ status: 'degraded', store: { type: 'redis', state: 'degraded' } });
    const miss = await fetch(`http://127.0.0.1:${late.ports.http}/v1/mappings/${ips[0]}`);
    expect(miss.status).toBe(404);
    await sendChurn(late, [['login', 'queued', ips[1]!]]);
    await redis.start(); // without persistence: the table starts empty, the queued login fills it
    await late.waitForMapping(ips[1]!, 'queued');
    expect((await late.http('GET', '/healthz')).body.status).toBe('ok');
  });
});
