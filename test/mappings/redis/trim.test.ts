/**
 * Trimming the change stream (keys.ts rule 6, TRIM_SCRIPT): never past an entry an
 * accounting group has not acknowledged; and a replica whose Redis lost its data (a new
 * table epoch) reloads the whole table instead of going on with what it knew.
 */
import { describe, expect, it } from 'vitest';
import { tableKeys } from '../../../src/mappings/redis/keys.js';
import { waitUntil } from '../../support/listener.js';
import { login } from '../support.js';
import { redisTable, useRedis } from './support.js';

const used = useRedis();

describe('change stream trimming', () => {
  it('keeps streamMaxEntries, but never what a consumer group still holds', async () => {
    const table = await redisTable(used.redis, { keyPrefix: 'trim1:', streamMaxEntries: 10 });
    const keys = tableKeys('trim1:');
    for (let i = 0; i < 5; i++) await table.apply(login(`10.0.0.${i + 1}`, `u${i}`));
    await used.client.xgroup('CREATE', keys.log, 'acct:primary', '$');
    for (let i = 5; i < 30; i++) await table.apply(login(`10.0.0.${i + 1}`, `u${i}`));
    // The group read 5 entries and acknowledged none: they and all after them stay.
    const read = (await used.client.xreadgroup('GROUP', 'acct:primary', 'c1', 'COUNT', 5, 'STREAMS', keys.log, '>')) as [string, [string, string[]][]][];
    const firstHeld = read[0]![1][0]![0];
    await table.trim();
    expect(await used.client.xlen(keys.log)).toBe(25);
    expect((await used.client.xrange(keys.log, '-', '+', 'COUNT', 1))[0]![0]).toBe(firstHeld);
    await used.client.xack(keys.log, 'acct:primary', ...read[0]![1].map(([id]) => id));
    await used.client.xgroup('SETID', keys.log, 'acct:primary', '$');
    await table.trim();
    expect(await used.client.xlen(keys.log)).toBe(10);
    expect(await used.client.get(keys.trim)).not.toBeNull();
    await table.close();
  });

  it('reloads a replica whose Redis came back without its data', async () => {
    const a = await redisTable(used.redis, { keyPrefix: 'trim2:', streamMaxEntries: 10 });
    const b = await redisTable(used.redis, { keyPrefix: 'trim2:', streamMaxEntries: 10 });
    await a.apply(login('10.0.1.1', 'before'));
    await b.caughtUp();
    await used.redis.stop(); // b's connections drop; Redis keeps nothing (no persistence) …
    await used.redis.start();
    // … so a starts a new table: a new epoch, which b must notice when it reconnects.
    await waitUntil(() => !a.stale && !b.stale, 'both reconnected');
    for (let i = 0; i < 20; i++) await a.apply(login(`10.0.2.${i + 1}`, `u${i}`));
    await a.trim();
    await waitUntil(() => b.storeStats.reloads > 0 && b.size === 20, 'b reloaded the new table');
    expect(b.get('10.0.1.1')).toBeUndefined();
    expect(b.get('10.0.2.20')?.user).toBe('u19');
    await Promise.all([a.close(), b.close()]);
  });
});
