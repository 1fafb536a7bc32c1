/** Shared tables on a test Redis, each under a key prefix of its own unless told. */
import { redisConnector } from '../../../src/mappings/redis/connect.js';
import { RedisMappingTable, type RedisMappingTableOptions } from '../../../src/mappings/redis/redis-table.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from '../../support/redis-server.js';
import type { TableFactory } from '../table-contract.js';

let tables = 0;

export function uniquePrefix(): string {
  return `t${process.pid}-${++tables}:`;
}

/** A started table on `redis` (through ioredis' Cluster client when it is a cluster; sweep timer off unless `sweepIntervalMs` is given). */
export async function redisTable(redis: RedisServer, options: Partial<RedisMappingTableOptions> = {}): Promise<RedisMappingTable> {
  const keyPrefix = options.keyPrefix ?? uniquePrefix();
  const table = new RedisMappingTable({
    connect: redisConnector({
      type: 'redis', url: redis.url, keyPrefix, queueMaxEvents: 1000, claimIdleSeconds: 30, streamMaxEntries: 100_000,
      ...(redis.options.cluster ? { cluster: [{ host: '127.0.0.1', port: redis.port }] } : {}),
    }, 'test'),
    keyPrefix,
    timeoutMinutes: 45,
    maxEntries: 1000,
    queueMaxEvents: 1000,
    streamMaxEntries: 100_000,
    sweepIntervalMs: 0,
    ...options,
  });
  await table.start();
  return table;
}

/** The contract suite's factory for tables on `redis()` (a function: the server starts in beforeAll), on a clock the suite moves. */
export function redisContractFactory(redis: () => RedisServer): TableFactory {
  return async (options) => {
    let clock = Date.UTC(2025, 0, 1);
    const table = await redisTable(redis(), { ...options, now: () => clock });
    return {
      table,
      advance: async (ms) => {
        clock += ms;
        await table.sweep();
      },
      close: () => table.close(),
    };
  };
}

/** A redis-server for one test file and a plain client to inspect it, stopped after the file. */
export function useRedis(): { readonly redis: RedisServer; readonly client: Redis } {
  const used = {} as { redis: RedisServer; client: Redis };
  beforeAll(async () => {
    used.redis = await RedisServer.start();
    used.client = new Redis(used.redis.port, '127.0.0.1');
  });
  afterAll(async () => {
    used.client.disconnect();
    await used.redis.close();
  });
  return used;
}
