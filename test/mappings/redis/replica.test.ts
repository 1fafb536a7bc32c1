/**
 * The Redis table's local replica on its own (src/mappings/redis/replica.ts): what it
 * holds after changes and loads, in place, and what it does when the shared table holds
 * more than its capacity or something it cannot store (counted, never thrown).
 */
import { describe, expect, it } from 'vitest';
import { Replica, type DropReason } from '../../../src/mappings/redis/replica.js';
import { openTableReader } from '../../../src/mappings/shared-memory/reader.js';
import type { Mapping } from '../../../src/mappings/table.js';
import { ipFor, ipsOf } from '../support.js';

const T0 = Date.UTC(2025, 0, 1);

function mapping(i: number, more: Partial<Mapping> = {}): Mapping {
  return {
    id: `mz1-${i}`, ip: ipFor(i), user: `u${i}`, sender: 'esm', profile: 'traps',
    firstSeen: T0 + i, lastSeen: T0 + i, expiresAt: T0 + i + 60_000, timeoutMs: 60_000, ...more,
  };
}

function replicaOf(capacity: number): { replica: Replica; drops: DropReason[] } {
  const drops: DropReason[] = [];
  return { replica: new Replica(capacity, (reason) => drops.push(reason)), drops };
}

describe('Replica', () => {
  it('applies changes in stream order: set, user change, removal; reads by IP, by user and by page', () => {
    const { replica, drops } = replicaOf(10);
    replica.apply({ kind: 'added', mapping: mapping(1) });
    replica.apply({ kind: 'added', mapping: mapping(2, { user: 'U1' }) });
    replica.apply({ kind: 'user-changed', mapping: mapping(3, { ip: ipFor(2), user: 'ana' }), previous: mapping(2, { user: 'U1' }) });
    expect(replica.get(ipFor(2), T0)).toEqual(mapping(3, { ip: ipFor(2), user: 'ana' }));
    expect(ipsOf(replica.byUser('U1', T0))).toEqual([ipFor(1)]);
    replica.apply({ kind: 'removed', mapping: mapping(1), reason: 'logout' });
    replica.apply({ kind: 'expired', mapping: mapping(9) }); // not held: nothing to do
    expect(replica.size).toBe(1);
    expect(replica.page(undefined, 5, T0).items).toEqual([mapping(3, { ip: ipFor(2), user: 'ana' })]);
    // Past its time it is hidden (the sweep script will say when it goes), but still held.
    expect(replica.get(ipFor(2), T0 + 3 + 60_000)).toBeUndefined();
    expect(replica.peek(ipFor(2))?.user).toBe('ana');
    expect(drops).toEqual([]);
  });

  it('keeps the most recently refreshed when the shared table holds more than its capacity, and counts the rest', () => {
    const { replica, drops } = replicaOf(3);
    for (let i = 1; i <= 5; i++) replica.apply({ kind: 'added', mapping: mapping(i) });
    replica.apply({ kind: 'refreshed', mapping: mapping(3, { lastSeen: T0 + 100 }), newinfo: false });
    replica.apply({ kind: 'added', mapping: mapping(6) }); // 4 is now the least recently refreshed
    expect(ipsOf(replica.page(undefined, 10, T0).items)).toEqual(ipsOf([mapping(3), mapping(5), mapping(6)]));
    expect(drops).toEqual(['capacity', 'capacity', 'capacity']);
  });

  it('loads in place (a reader opened before sees the result): new mappings in, changed ones rewritten, absent ones out', () => {
    const { replica, drops } = replicaOf(9);
    const reader = openTableReader(replica.share());
    for (let i = 1; i <= 8; i++) replica.apply({ kind: 'added', mapping: mapping(i) });
    // The table in Redis now: 1–4 as they were, 5 with another user, 6–8 gone, 9–12 new: more than
    // the 9 the replica could hold at once if it did not make room from what is leaving.
    const now = [1, 2, 3, 4].map((i) => mapping(i)).concat([mapping(5, { user: 'other' })], [9, 10, 11, 12].map((i) => mapping(i)));
    replica.load([...now].reverse());
    expect(ipsOf(replica.page(undefined, 20, T0).items)).toEqual(ipsOf(now));
    expect(replica.get(ipFor(5), T0)?.user).toBe('other');
    expect(reader.get(ipFor(12), T0)).toEqual(mapping(12));
    expect(reader.size).toBe(9);
    expect(drops).toEqual([]);
  });

  it('loads over capacity: the least recently refreshed are left out and counted', () => {
    const { replica, drops } = replicaOf(4);
    replica.load([7, 3, 5, 1, 6, 2].map((i) => mapping(i)));
    expect(ipsOf(replica.page(undefined, 10, T0).items)).toEqual(ipsOf([3, 5, 6, 7].map((i) => mapping(i))));
    expect(drops).toEqual(['capacity', 'capacity']);
    // Refresh order follows lastSeen: the next one in pushes out 3.
    replica.apply({ kind: 'added', mapping: mapping(8) });
    expect(replica.get(ipFor(3), T0)).toBeUndefined();
    expect(replica.get(ipFor(5), T0)).toBeDefined();
  });

  it('leaves out, counts and survives what it cannot store', () => {
    const { replica, drops } = replicaOf(4);
    replica.apply({ kind: 'added', mapping: mapping(1, { ip: '10.1.2.3.4' }) });
    replica.apply({ kind: 'added', mapping: mapping(2, { ip: '::ffff:10.0.0.1' }) });
    replica.load([mapping(3), mapping(4, { ip: 'nonsense' })]);
    expect(drops).toEqual(['unusable', 'unusable', 'unusable']);
    expect(ipsOf(replica.page(undefined, 10, T0).items)).toEqual([ipFor(3)]);
  });

  it('tells readers on other threads whether it is stale', () => {
    const { replica } = replicaOf(4);
    const reader = openTableReader(replica.share());
    expect(reader.stale).toBe(true); // nothing loaded yet
    replica.stale = false;
    expect(reader.stale).toBe(false);
  });
});
