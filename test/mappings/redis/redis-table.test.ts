/**
 * The shared table on a real redis-server (test/support/redis-server.ts) passes the same
 * MappingTable contract as the in-memory table (STYLE §5), plus what only it has.
 */
import { afterAll, beforeAll } from 'vitest';
import { RedisMappingTable } from '../../../src/mappings/redis/redis-table.js';
import { RedisServer } from '../../support/redis-server.js';
import { describeMappingTableContract } from '../table-contract.js';
import { redisTable } from './support.js';

const T0 = Date.UTC(2025, 0, 1);

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis.close());

describeMappingTableContract('RedisMappingTable', async (options) => {
  let clock = T0;
  const table: RedisMappingTable = await redisTable(redis, { ...options, now: () => clock });
  return {
    table,
    advance: async (ms) => {
      clock += ms;
      await table.sweep();
    },
    close: () => table.close(),
  };
});
