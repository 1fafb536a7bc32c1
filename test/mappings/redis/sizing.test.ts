/**
 * Bytes per mapping in Redis (docs/high-availability.md "Sizing"), measured: INFO memory
 * before and after loading mappings, and MEMORY USAGE of the keys. Prints the figures;
 * asserts only that they stay within the documented bound.
 */
import { describe, expect, it } from 'vitest';
import { tableKeys } from '../../../src/mappings/redis/keys.js';
import { ipFor, login } from '../support.js';
import { redisTable, useRedis } from './support.js';

const COUNT = 5000;

const used = useRedis();

async function usedMemory(): Promise<number> {
  const info = await used.client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

describe('shared table sizing', () => {
  it(`measures the bytes a mapping and its change entry take in Redis (${COUNT} mappings)`, async () => {
    const table = await redisTable(used.redis, { keyPrefix: 'size:', maxEntries: COUNT * 2 });
    const keys = tableKeys('size:');
    const before = await usedMemory();
    await Promise.all(Array.from({ length: COUNT }, (_, i) => table.apply(login(ipFor(i), `ACME\\user${i}`))));
    const after = await usedMemory();
    const [map = 0, exp = 0, log = 0] = await Promise.all([keys.map, keys.exp, keys.log].map(async (key) => Number(await used.client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))));
    const perMapping = (after - before) / COUNT;
    const tableBytes = (map + exp) / COUNT;
    const logBytes = log / COUNT;
    console.log(`redis sizing: ${perMapping.toFixed(0)} B/mapping (INFO used_memory delta), map+exp ${tableBytes.toFixed(0)} B, stream ${logBytes.toFixed(0)} B/entry`);
    expect(tableBytes).toBeLessThan(400);
    expect(logBytes).toBeLessThan(400);
    expect(perMapping).toBeLessThan(800);
    await table.close();
  });
});
