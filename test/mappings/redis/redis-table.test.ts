/**
 * The shared table on a real redis-server (test/support/redis-server.ts) passes the same
 * MappingTable contract as the in-memory table (STYLE §5), plus what only it has.
 */
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from '../../support/redis-server.js';
import { describeMappingTableContract } from '../table-contract.js';
import { redisContractFactory } from './support.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(() => redis.close());

describeMappingTableContract('RedisMappingTable', redisContractFactory(() => redis));
