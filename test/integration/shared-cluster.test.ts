/**
 * Two listeners sharing a table on Redis Cluster (`mappings.store.cluster`, a real
 * single-node cluster): both answer alike for every address, and accounting through the
 * change stream's consumer group (on the table's one slot) gives the TACACS+ test server
 * one START and one STOP per mapping.
 */
import { describe, expect, it } from 'vitest';
import { churnIp } from '../support/listener-clients.js';
import { FLAGS, flagsByTask } from '../support/listener-data.js';
import { waitUntil } from '../support/listener.js';
import { sendChurn, servedTable, sharedServers, startShared, testPrefix, waitForSize } from './shared-table-support.js';

const servers = sharedServers({ cluster: true });

const N = 40;
const ips = Array.from({ length: N }, (_, i) => churnIp(i, 39));

describe('a shared table on Redis Cluster', () => {
  it('gives two listeners one table and the server one START and one STOP per mapping', async () => {
    const prefix = testPrefix();
    const [a, b] = await Promise.all([startShared(servers.redis, prefix, servers.accounting()), startShared(servers.redis, prefix, servers.accounting())]);
    expect((await a.http('GET', '/healthz')).body.store).toMatchObject({ type: 'redis', state: 'ok' });
    const half = N / 2;
    await Promise.all([
      sendChurn(a, ips.slice(0, half).map((ip, i) => ['login', `u${i}`, ip])),
      sendChurn(b, ips.slice(half).map((ip, i) => ['login', `u${half + i}`, ip])),
    ]);
    await Promise.all([waitForSize(a, N), waitForSize(b, N)]);
    expect(await servedTable(b)).toEqual(await servedTable(a));
    await sendChurn(b, ips.map((ip, i) => ['logout', `u${i}`, ip]));
    await Promise.all([waitForSize(a, 0), waitForSize(b, 0)]);
    await waitUntil(() => [...flagsByTask(servers.tacacs.requests).values()].filter((f) => f.includes(FLAGS.stop)).length === N, `${N} sessions stopped`, 30_000);
    const sessions = flagsByTask(servers.tacacs.requests);
    expect(sessions.size).toBe(N);
    for (const [taskId, flags] of sessions) expect(flags, `task ${taskId}`).toEqual([FLAGS.start, FLAGS.stop]);
  }, 60_000);
});
