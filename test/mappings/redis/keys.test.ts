/** The key layout rules of src/mappings/redis/keys.ts, checked against a real Redis. */
import { describe, expect, it } from 'vitest';
import { tableKeys } from '../../../src/mappings/redis/keys.js';
import { login, logout } from '../support.js';
import { redisTable, useRedis } from './support.js';

const used = useRedis();

describe('the shared table key layout', () => {
  it('puts every key of a table in one Cluster slot under its hash tag (rule 1)', async () => {
    const keys = tableKeys('site1:uid:');
    expect(keys.map).toBe('{site1:uid}:map');
    const slots = await Promise.all(Object.values(keys).map((key) => used.client.call('CLUSTER', 'KEYSLOT', key).catch(() => null)));
    // CLUSTER KEYSLOT answers on a non-cluster server too (Redis ≥ 7).
    expect(new Set(slots).size).toBe(1);
    expect(() => tableKeys('{bad}')).toThrow(RangeError);
  });

  it('keeps map, exp, log and ids as the rules say (rules 2-5)', async () => {
    const table = await redisTable(used.redis, { keyPrefix: 'layout:' });
    const keys = tableKeys('layout:');
    await table.apply(login('10.1.2.3', 'ACME\\JDoe'));
    await table.apply(login('10.1.2.4', 'forever', { timeoutMs: 0 }));
    const stored = JSON.parse((await used.client.hget(keys.map, '10.1.2.3'))!);
    expect(stored).toMatchObject({ u: 'ACME\\JDoe', k: 'acme\\jdoe', s: 'esm', p: 'traps-esm-leef', t: 45 * 60_000 });
    expect(stored.i).toMatch(/^[0-9a-z]+-1$/);
    expect(Number(await used.client.zscore(keys.exp, '10.1.2.3'))).toBe(stored.e);
    expect(await used.client.zscore(keys.exp, '10.1.2.4')).toBeNull(); // timeout 0: until logout
    expect((await table.get('10.1.2.4'))?.expiresAt).toBe(Number.POSITIVE_INFINITY);
    await table.apply(logout('10.1.2.3', 'acme\\jdoe'));
    const log = await used.client.xrange(keys.log, '-', '+');
    expect(log.map(([, fields]) => fields[1])).toEqual(['added', 'added', 'removed']);
    expect(await used.client.hget(keys.ids, 'seq')).toBe('2');
    await table.close();
  });

  it('skips stream entries and map fields its scripts did not write, and goes on', async () => {
    const keys = tableKeys('foreign:');
    await used.client.hset(keys.map, '10.9.9.9', 'not json');
    const table = await redisTable(used.redis, { keyPrefix: 'foreign:' });
    expect(table.size).toBe(0);
    await used.client.xadd(keys.log, '*', 'k', 'bogus', 'ip', '10.9.9.8');
    await used.client.xadd(keys.log, '*', 'junk', 'x');
    await table.apply(login('10.9.9.7', 'after'));
    expect(table.get('10.9.9.7')?.user).toBe('after');
    await table.close();
  });
});
