/**
 * The shared table on Redis Cluster (docs/high-availability.md "Redis Cluster"): a real
 * single-node cluster (redis-server --cluster-enabled yes, every slot assigned), reached
 * through ioredis' Cluster client (`mappings.store.cluster`). The whole table is one slot
 * (keys.ts rule 1), so every script runs on one node; the same contract suite as the
 * memory table and plain Redis, two tables (two listeners) that agree, and an outage of
 * the cluster with the queue applied when it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { RedisServer } from '../../support/redis-server.js';
import { describeMappingTableContract } from '../table-contract.js';
import { login, logout } from '../support.js';
import { redisContractFactory, redisTable, uniquePrefix } from './support.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start({ cluster: true, persistent: true }); // persistent: the outage test restarts it
});
afterAll(() => redis.close());

describeMappingTableContract('RedisMappingTable on Redis Cluster', redisContractFactory(() => redis));

describe('two listeners on one Redis Cluster', () => {
  it('see each other\'s changes and make one mapping of a login both receive', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = await Promise.all([redisTable(redis, { keyPrefix }), redisTable(redis, { keyPrefix })]);
    try {
      await Promise.all([a.apply(login('10.5.0.1', 'CORP\\alice')), b.apply(login('10.5.0.1', 'CORP\\alice'))]);
      await b.apply(login('10.5.0.2', 'CORP\\bob'));
      await a.apply(logout('10.5.0.2', 'CORP\\bob'));
      await Promise.all([a.caughtUp(), b.caughtUp()]);
      expect(a.get('10.5.0.1')).toEqual(b.get('10.5.0.1'));
      expect(a.get('10.5.0.1')?.user).toBe('CORP\\alice');
      expect([a.size, b.size]).toEqual([1, 1]);
      expect(a.stale || b.stale).toBe(false);
      // The client really is a Cluster client, and every key of the table is in one slot.
      const cluster = a.connect('commands');
      expect(cluster).toBeInstanceOf(Cluster);
      cluster.disconnect();
      const inspect = new Cluster([{ host: '127.0.0.1', port: redis.port }]);
      const slots = await Promise.all(Object.values(a.keys).map((key) => inspect.call('CLUSTER', 'KEYSLOT', key)));
      inspect.disconnect();
      expect(new Set(slots).size).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('queues while the cluster is down and applies what waited when it is back', async () => {
    const table = await redisTable(redis);
    try {
      await table.apply(login('10.5.1.1', 'CORP\\before'));
      await redis.stop();
      await waitFor(() => table.stale, 'the table stale');
      expect(table.apply(login('10.5.1.2', 'CORP\\during'))).toBeNull(); // queued
      expect(table.queueDepth).toBe(1);
      expect(table.degradedReason).toMatch(/Redis is unreachable/);
      await redis.start();
      await waitFor(() => table.queueDepth === 0 && !table.stale, 'the queue applied');
      await table.caughtUp();
      expect(table.get('10.5.1.2')?.user).toBe('CORP\\during');
      expect(table.get('10.5.1.1')?.user).toBe('CORP\\before');
    } finally {
      await table.close();
    }
  }, 30_000);
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
