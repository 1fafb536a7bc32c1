/**
 * RedisMappingTable.share(): the replica read from another thread, as the lookup thread
 * reads it (src/mappings/table-reader.ts); and a replica smaller than the shared table
 * (another listener configured with a larger maxEntries) leaves mappings out, counted,
 * without failing.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { RedisStoreEvent } from '../../../src/mappings/redis/events.js';
import { openTableReader } from '../../../src/mappings/shared-memory/reader.js';
import { waitUntil } from '../../support/listener.js';
import { login } from '../support.js';
import { redisTable, uniquePrefix, useRedis } from './support.js';

const WORKER = fileURLToPath(new URL('./lookup.worker.mjs', import.meta.url));

const used = useRedis();

describe('RedisMappingTable.share()', () => {
  it('gives a worker thread a reader that sees a mapping applied through the table', async () => {
    const table = await redisTable(used.redis);
    const worker = new Worker(WORKER, { workerData: { share: table.share(), ip: '10.9.8.7', deadlineMs: 10_000 } });
    try {
      const [ready] = (await once(worker, 'message')) as [{ stale: boolean }];
      expect(ready.stale).toBe(false); // loaded: the flag is in the shared header
      const answer = once(worker, 'message') as Promise<[{ mapping: unknown; size: number }]>;
      const change = await table.apply(login('10.9.8.7', 'ACME\\jdoe'));
      expect(change?.kind).toBe('added');
      const [seen] = await answer;
      expect(seen.mapping).toEqual(table.get('10.9.8.7'));
      expect(seen.size).toBe(1);
    } finally {
      await worker.terminate();
      await table.close();
    }
  });

  it('marks the reader stale while Redis is away', async () => {
    const table = await redisTable(used.redis);
    const reader = openTableReader(table.share());
    try {
      await table.apply(login('10.9.8.1', 'ana'));
      expect(reader.stale).toBe(false);
      await used.redis.stop();
      await waitUntil(() => reader.stale, 'the reader sees the table stale');
      expect(reader.get('10.9.8.1', Date.now())?.user).toBe('ana'); // still answered, from the replica
      await used.redis.start();
      await waitUntil(() => !reader.stale, 'not stale once Redis is back and the replica reloaded');
    } finally {
      await table.close();
    }
  });

  it('leaves out, counts and logs what does not fit when Redis holds more than maxEntries', async () => {
    const keyPrefix = uniquePrefix();
    let clock = Date.now();
    const large = await redisTable(used.redis, { keyPrefix, maxEntries: 20, now: () => clock }); // one login a second: refresh order is strict
    const events: RedisStoreEvent[] = [];
    const small = await redisTable(used.redis, { keyPrefix, maxEntries: 5, onStoreEvent: (event) => events.push(event) });
    try {
      for (let i = 1; i <= 12; i++, clock += 1000) await large.apply(login(`10.7.0.${i}`, `u${i}`));
      await small.caughtUp();
      expect(large.size).toBe(12);
      expect(small.size).toBe(5);
      expect(small.storeStats.replicaDropped).toBe(7);
      // The most recently refreshed are the ones kept.
      for (let i = 8; i <= 12; i++) expect(small.get(`10.7.0.${i}`)?.user).toBe(`u${i}`);
      expect(small.get('10.7.0.7')).toBeUndefined();
      expect(events.filter((e) => e.type === 'store-replica-dropped')).toEqual([
        { type: 'store-replica-dropped', code: 'UID_ERR_STORE_REPLICA_DROPPED', reason: 'capacity', capacity: 5, dropped: 1 },
      ]);
      // A listener starting now loads the table: the same, through load.
      const late = await redisTable(used.redis, { keyPrefix, maxEntries: 5 });
      expect(late.size).toBe(5);
      expect(late.storeStats.replicaDropped).toBe(7);
      for (let i = 8; i <= 12; i++) expect(late.get(`10.7.0.${i}`)?.user).toBe(`u${i}`);
      await late.close();
    } finally {
      await Promise.all([large.close(), small.close()]);
    }
  });
});
