import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MappingTableEvent } from '../../src/mappings/events.js';
import { MemoryMappingTable, type MemoryMappingTableOptions } from '../../src/mappings/memory-table.js';
import type { Mapping, MappingChange } from '../../src/mappings/table.js';
import { ipFor, ipsOf, login, logout } from './support.js';
import { describeMappingTableContract } from './table-contract.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);

describeMappingTableContract('MemoryMappingTable', (options) => {
  vi.useFakeTimers({ now: T0 });
  const table = new MemoryMappingTable({ ...options, now: () => Date.now() });
  return {
    table,
    advance: async (ms) => {
      vi.advanceTimersByTime(ms);
    },
    close: async () => {
      table.close();
      vi.useRealTimers();
    },
  };
});

describe('MemoryMappingTable', () => {
  let table: MemoryMappingTable;
  let changes: MappingChange[];
  let events: MappingTableEvent[];

  function make(options: Partial<MemoryMappingTableOptions> = {}): MemoryMappingTable {
    table?.close();
    events = [];
    table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 1000, now: () => Date.now(), onEvent: (e) => events.push(e), ...options });
    changes = [];
    table.subscribe((c) => changes.push(c));
    return table;
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    make();
  });
  afterEach(() => {
    table.close();
    vi.useRealTimers();
  });

  describe('capacity', () => {
    it('evicts the least recently refreshed entry (reads do not count) and reports it', () => {
      make({ maxEntries: 3 });
      table.apply(login('10.0.0.1', 'a'));
      table.apply(login('10.0.0.2', 'b'));
      table.apply(login('10.0.0.3', 'c'));
      vi.advanceTimersByTime(1000);
      table.apply(login('10.0.0.1', 'a')); // refreshed: now the freshest
      table.get('10.0.0.2'); // a read: must not save it
      table.byUser('b');
      table.page(undefined, 10);
      const evictedBefore = changes.length;
      expect(table.apply(login('10.0.0.4', 'd'))?.kind).toBe('added');
      expect(changes.slice(evictedBefore).map((c) => [c.kind, c.mapping.ip])).toEqual([
        ['evicted', '10.0.0.2'],
        ['added', '10.0.0.4'],
      ]);
      expect(table.size).toBe(3);
      expect(table.stats.changes.evicted).toBe(1);
      expect(table.byUser('b')).toEqual([]);
      expect(ipsOf(allPagesSync(table))).toEqual(['10.0.0.1', '10.0.0.3', '10.0.0.4']);
    });

    it('reports an entry pushed out after its time is up as expired, not evicted', () => {
      make({ maxEntries: 2, sweepIntervalMs: 3_600_000 });
      table.apply(login('10.0.0.1', 'a'));
      vi.advanceTimersByTime(30 * MINUTE);
      table.apply(login('10.0.0.2', 'b'));
      vi.advanceTimersByTime(16 * MINUTE); // 10.0.0.1 is due, the sweep has not run
      table.apply(login('10.0.0.3', 'c'));
      expect(changes.map((c) => [c.kind, c.mapping.ip])).toEqual([
        ['added', '10.0.0.1'],
        ['added', '10.0.0.2'],
        ['expired', '10.0.0.1'],
        ['added', '10.0.0.3'],
      ]);
      expect(table.stats.changes.evicted).toBe(0);
    });
  });

  describe('expiry', () => {
    it('is reported within one sweep period of the due time, not before', () => {
      table.apply(login('10.0.0.1', 'jdoe'));
      vi.advanceTimersByTime(45 * MINUTE - 1);
      expect(changes.map((c) => c.kind)).toEqual(['added']);
      expect(table.get('10.0.0.1')).toBeDefined();
      vi.advanceTimersByTime(1000);
      expect(changes.map((c) => c.kind)).toEqual(['added', 'expired']);
      expect(table.size).toBe(0);
    });

    it('hides an entry whose time is up before the sweep reaches it, and expires it on the next login', () => {
      make({ sweepIntervalMs: 3_600_000 });
      table.apply(login('10.0.0.1', 'jdoe'));
      const first = table.get('10.0.0.1')!;
      vi.advanceTimersByTime(45 * MINUTE);
      expect(table.get('10.0.0.1')).toBeUndefined();
      expect(table.byUser('jdoe')).toEqual([]);
      expect(table.page(undefined, 10).items).toEqual([]);
      const change = table.apply(login('10.0.0.1', 'jdoe'));
      expect(change?.kind).toBe('added');
      expect(change?.mapping.id).not.toBe(first.id);
      expect(changes.map((c) => c.kind)).toEqual(['added', 'expired', 'added']);
    });

    it('expires on logout or admin delete when the time is already up, and reports that instead', () => {
      make({ sweepIntervalMs: 3_600_000 });
      table.apply(login('10.0.0.1', 'jdoe'));
      table.apply(login('10.0.0.2', 'jdoe'));
      vi.advanceTimersByTime(45 * MINUTE);
      expect(table.apply(logout('10.0.0.1', 'jdoe'))).toBeNull();
      expect(table.delete('10.0.0.2')).toBeNull();
      expect(changes.map((c) => c.kind)).toEqual(['added', 'added', 'expired', 'expired']);
      expect(table.size).toBe(0);
    });

    it('sweeps a mass expiry in batches, yielding between them, and reports every entry', () => {
      make({ maxEntries: 30_000 });
      for (let i = 0; i < 25_000; i++) table.apply(login(ipFor(i), `user${i % 100}`));
      vi.advanceTimersByTime(45 * MINUTE + 1000);
      expect(table.stats.changes.expired).toBe(25_000);
      expect(table.size).toBe(0);
      expect(table.byUser('user7')).toEqual([]);
    });

    it('holds its clock still when the wall clock steps back, so nothing is reported out of order', () => {
      table.apply(login('10.0.0.1', 'a'));
      vi.setSystemTime(T0 - 10 * MINUTE); // a step back of ten minutes
      table.apply(login('10.0.0.2', 'b'));
      expect(table.get('10.0.0.2')!.lastSeen).toBe(T0);
      vi.setSystemTime(T0 + 45 * MINUTE);
      vi.advanceTimersByTime(1000);
      expect(changes.filter((c) => c.kind === 'expired').map((c) => c.mapping.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    });

    it('stops sweeping once closed', () => {
      table.apply(login('10.0.0.1', 'a'));
      table.close();
      vi.advanceTimersByTime(50 * MINUTE);
      expect(changes.map((c) => c.kind)).toEqual(['added']);
    });
  });

  describe('ids', () => {
    it('are unique per mapping lifetime and across restarts', () => {
      table.apply(login('10.0.0.1', 'a'));
      table.apply(login('10.0.0.1', 'b'));
      table.apply(logout('10.0.0.1', 'b'));
      table.apply(login('10.0.0.1', 'b'));
      const ids = changes.map((c) => c.mapping.id);
      expect(new Set(ids).size).toBe(3); // added, user-changed, added (removed repeats one)
      vi.advanceTimersByTime(1);
      const next = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 10, now: () => Date.now() });
      const other = next.apply(login('10.0.0.1', 'a'))!;
      next.close();
      expect(ids).not.toContain(other.mapping.id);
      expect(other.mapping.id).toMatch(/^[0-9a-z]+-1$/);
    });
  });

  describe('counters and events', () => {
    it('counts changes per kind and logouts it ignored', () => {
      table.apply(login('10.0.0.1', 'a'));
      table.apply(login('10.0.0.1', 'a'));
      table.apply(login('10.0.0.1', 'b'));
      table.apply(logout('10.0.0.1', 'a'));
      table.apply(logout('10.0.0.9', 'a'));
      table.apply(logout('10.0.0.1', 'B'));
      table.apply(login('10.0.0.2', 'c'));
      table.delete('10.0.0.2');
      expect(table.stats).toMatchObject({
        changes: { added: 2, refreshed: 1, 'user-changed': 1, removed: 2, expired: 0, evicted: 0 },
        logoutsIgnored: 1,
        logoutsUnmatched: 1,
        listenerErrors: 0,
      });
    });

    it('reports a throwing listener as an event and a counter', () => {
      const failure = new Error('sink failed');
      table.subscribe(() => {
        throw failure;
      });
      table.apply(login('10.0.0.1', 'a'));
      expect(table.stats.listenerErrors).toBe(1);
      expect(events).toEqual([{ type: 'listener-error', error: failure }]);
    });

    it('survives an onEvent callback that throws', () => {
      make({ onEvent: () => { throw new Error('log sink down'); } });
      table.subscribe(() => { throw new Error('sink failed'); });
      expect(table.apply(login('10.0.0.1', 'a'))?.kind).toBe('added');
      expect(changes).toHaveLength(1);
    });
  });

  describe('expiry heap', () => {
    it('stays correct through churn of entries that come and go before they expire', () => {
      make({ sweepIntervalMs: 3_600_000 });
      table.apply(login('10.9.0.1', 'keeper', { timeoutMs: 50 * MINUTE }));
      for (let i = 0; i < 5000; i++) {
        table.apply(login(ipFor(i), `u${i}`, { timeoutMs: 10 * MINUTE }));
        table.apply(logout(ipFor(i), `u${i}`));
      }
      table.apply(login('10.9.0.2', 'short', { timeoutMs: 1 * MINUTE }));
      vi.advanceTimersByTime(3_600_000); // one sweep: both due, nothing left of the churn
      expect(changes.filter((c) => c.kind === 'expired').map((c) => c.mapping.ip)).toEqual(['10.9.0.2', '10.9.0.1']);
      expect(table.size).toBe(0);
    });
  });

  describe('restore', () => {
    const saved = (ip: string, user: string, expiresIn: number, id = `old-${ip}`): Mapping => ({
      id, ip, user, sender: 'esm', profile: 'p', firstSeen: T0 - 50 * MINUTE, lastSeen: T0 - 45 * MINUTE + expiresIn, expiresAt: T0 + expiresIn, timeoutMs: 45 * MINUTE,
    });

    it('loads live mappings as they were, without reporting changes, and returns what ended', () => {
      const live = saved('10.0.0.1', 'jdoe', 10 * MINUTE);
      const gone = saved('10.0.0.2', 'asmith', -1);
      const result = table.restore([live, gone]);
      expect({ ...result, restored: [...result.restored] }).toEqual({ restored: [live], expired: [gone], evicted: [] });
      expect(result.restored.size).toBe(1);
      expect(changes).toEqual([]);
      expect(table.get('10.0.0.1')).toEqual(live);
      expect(table.byUser('JDOE')).toEqual([live]);
      // The restored session goes on: a refresh keeps its id; its expiry is reported later.
      expect(table.apply(login('10.0.0.1', 'jdoe'))?.mapping.id).toBe(live.id);
    });

    it('expires restored mappings in order through the sweep', () => {
      table.restore([saved('10.0.0.3', 'c', 3 * MINUTE), saved('10.0.0.1', 'a', 1 * MINUTE), saved('10.0.0.2', 'b', 2 * MINUTE)]);
      vi.advanceTimersByTime(2 * MINUTE + 1000);
      expect(changes.map((c) => [c.kind, c.mapping.ip])).toEqual([['expired', '10.0.0.1'], ['expired', '10.0.0.2']]);
      expectUserIndexConsistentSync(table, ['a', 'b', 'c']);
    });

    it('keeps the most recently refreshed within maxEntries and caps expiry at each one\'s own timeout', () => {
      make({ maxEntries: 3, timeoutMinutes: 5 });
      const { timeoutMs: _, ...v1 } = saved('10.0.0.2', 'b', 30 * MINUTE); // an older snapshot: no timeoutMs
      const result = table.restore([
        saved('10.0.0.1', 'a', 1 * MINUTE),
        v1,
        saved('10.0.0.3', 'c', 2 * MINUTE),
        { ...saved('10.0.0.4', 'd', 40 * MINUTE), timeoutMs: 10 * MINUTE },
      ]);
      expect(result.evicted.map((m) => m.ip)).toEqual(['10.0.0.1']); // refreshed longest ago
      expect([...result.restored].map((m) => [m.ip, m.expiresAt, m.timeoutMs, m.id])).toEqual([
        ['10.0.0.3', T0 + 2 * MINUTE, 45 * MINUTE, 'old-10.0.0.3'],
        ['10.0.0.2', T0 + 5 * MINUTE, 5 * MINUTE, 'old-10.0.0.2'], // the default timeout now
        ['10.0.0.4', T0 + 10 * MINUTE, 10 * MINUTE, 'old-10.0.0.4'],
      ]);
      expect(table.size).toBe(3);
    });

    it('restores a mapping that lasts until logout as such: the sweep never takes it', () => {
      table.restore([{ ...saved('10.0.0.5', 'e', 0), expiresAt: Infinity, timeoutMs: 0 }]);
      vi.advanceTimersByTime(1000 * 60 * MINUTE);
      expect(changes).toEqual([]);
      expect(table.get('10.0.0.5')).toMatchObject({ timeoutMs: 0, expiresAt: Infinity });
    });

    it('refuses to restore into a table that already has entries', () => {
      table.apply(login('10.0.0.1', 'a'));
      expect(() => table.restore([])).toThrow(/empty table/);
    });
  });

  it('keeps the user index consistent through a random mix of every path', () => {
    make({ maxEntries: 20, sweepIntervalMs: 1000 });
    const users = ['Ann', 'ann', 'BOB', 'carol', 'Dave'];
    let seed = 7;
    const random = (n: number) => {
      // mulberry32: a small, well-mixed deterministic generator
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    for (let step = 0; step < 3000; step++) {
      if (step % 250 === 0) expectUserIndexConsistentSync(table, users);
      const ip = `10.0.${random(2)}.${random(30) + 1}`;
      const user = users[random(users.length)]!;
      const action = random(10);
      if (action < 6) table.apply(login(ip, user));
      else if (action < 8) table.apply(logout(ip, user));
      else if (action < 9) table.delete(ip);
      else vi.advanceTimersByTime(random(10) * MINUTE);
    }
    expect(changes.some((c) => c.kind === 'evicted')).toBe(true);
    expect(changes.some((c) => c.kind === 'expired')).toBe(true);
    expectUserIndexConsistentSync(table, users);
    expect(allPagesSync(table)).toHaveLength(table.size);
  });
});

function allPagesSync(table: MemoryMappingTable): Mapping[] {
  const items: Mapping[] = [];
  let cursor: string | undefined;
  do {
    const page = table.page(cursor, 3);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}

function expectUserIndexConsistentSync(table: MemoryMappingTable, users: readonly string[]): void {
  const all = allPagesSync(table);
  for (const user of users) {
    expect(ipsOf(table.byUser(user))).toEqual(ipsOf(all.filter((m) => m.user.toLowerCase() === user.toLowerCase())));
  }
}
