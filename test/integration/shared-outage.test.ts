/**
 * Redis down while logins arrive (issue 12 "Done when"): both listeners keep ingesting
 * into their bounded queues, answer lookups from their replicas marked stale, say
 * degraded on /healthz; when Redis is back the queued logins are applied, both converge,
 * and the TACACS+ server still gets exactly one START and one STOP per mapping.
 *
 * The outage lasts UID_TEST_OUTAGE_MS (default 3000 so `npm test` stays short; the issue's
 * 30 s: UID_TEST_OUTAGE_MS=30000 npx vitest run test/integration/shared-outage.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { churnIp } from '../support/listener-clients.js';
import { FLAGS, flagsByTask } from '../support/listener-data.js';
import { waitUntil } from '../support/listener.js';
import { sendChurn, servedTable, startShared, testPrefix, waitForSize , sharedServers } from './shared-table-support.js';

const OUTAGE_MS = Number(process.env['UID_TEST_OUTAGE_MS'] ?? 3000);

const servers = sharedServers({ persistent: true });

describe('a shared table while Redis is down', () => {
  it(`queues ${100} logins through a ${OUTAGE_MS} ms outage, answers stale meanwhile, and accounts each mapping once`, async () => {
    const config = servers.accounting();
    const prefix = testPrefix();
    const [a, b] = await Promise.all([startShared(servers.redis, prefix, config), startShared(servers.redis, prefix, config)]);
    const before = Array.from({ length: 20 }, (_, i) => churnIp(i, 33));
    const during = Array.from({ length: 100 }, (_, i) => churnIp(i, 34));
    await sendChurn(a, before.map((ip, i) => ['login', `early${i}`, ip]));
    await Promise.all([waitForSize(a, 20), waitForSize(b, 20)]);

    await servers.redis.stop();
    const outageStarted = Date.now();
    await waitUntil(async () => (await a.http('GET', '/healthz')).body.status === 'degraded', 'a degraded /healthz');
    const health = (await b.http('GET', '/healthz')).body;
    expect(health.status).toBe('degraded');
    expect(health.store).toMatchObject({ type: 'redis', state: 'degraded' });
    expect(health.store.reason).toMatch(/Redis is unreachable/);
    const stale = await fetch(`http://127.0.0.1:${a.ports.http}/v1/mappings/${before[0]}`);
    expect(stale.headers.get('x-uid-stale')).toBe('1');
    expect(await stale.json()).toMatchObject({ user: 'early0', stale: true });
    const refused = await a.http('DELETE', `/v1/mappings/${before[1]}`);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'UID_ERR_STORE_UNAVAILABLE' } } });

    await Promise.all([
      sendChurn(a, during.slice(0, 50).map((ip, i) => ['login', `late${i}`, ip])),
      sendChurn(b, during.slice(50).map((ip, i) => ['login', `late${50 + i}`, ip])),
    ]);
    await waitUntil(async () => {
      const depths = await Promise.all([a, b].map(async (l) => (await l.metrics()).get('uid_store_queue_events') ?? 0));
      return depths[0] === 50 && depths[1] === 50;
    }, '50 events queued on each listener');
    expect((await a.metrics()).get('uid_store_up')).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)))); // the outage's length is the point
    await servers.redis.start();

    await Promise.all([waitForSize(a, 120, 30_000), waitForSize(b, 120, 30_000)]);
    expect(await servedTable(b)).toEqual(await servedTable(a));
    await waitUntil(async () => (await a.http('GET', '/healthz')).body.status === 'ok', 'ok again');
    const fresh = await fetch(`http://127.0.0.1:${a.ports.http}/v1/mappings/${during[99]}`);
    expect(fresh.headers.get('x-uid-stale')).toBeNull();
    expect(await fresh.json()).toMatchObject({ user: 'late99' });

    await sendChurn(b, [...before.map((ip, i) => ['logout', `early${i}`, ip] as const), ...during.map((ip, i) => ['logout', `late${i}`, ip] as const)]);
    await Promise.all([waitForSize(a, 0), waitForSize(b, 0)]);
    await waitUntil(() => [...flagsByTask(servers.tacacs.requests).values()].filter((f) => f.includes(FLAGS.stop)).length === 120, '120 sessions stopped', 30_000);
    await waitUntil(async () => {
      const pending = await Promise.all([a, b].map(async (l) => (await l.metrics()).get('uid_accounting_stream_pending_records{group="primary"}') ?? 0));
      return pending.every((p) => p === 0);
    }, 'every stream record acknowledged');
    const sessions = flagsByTask(servers.tacacs.requests);
    const leaders = [a, b].map((l) => l.lines.filter((line) => line['event'] === 'accounting-leader').map((line) => `${line['leader']}`));
    expect(sessions.size, JSON.stringify(leaders)).toBe(120);
    for (const [taskId, flags] of sessions) expect(flags, `task ${taskId}; leadership ${JSON.stringify(leaders)}`).toEqual([FLAGS.start, FLAGS.stop]);
  }, 60_000 + OUTAGE_MS);
});
