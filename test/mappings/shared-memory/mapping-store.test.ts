/** The shared-memory store on its own (src/mappings/shared-memory/mapping-store.ts), without the table's rules. */
import { describe, expect, it } from 'vitest';
import { SharedMappingStore, type StoredMapping } from '../../../src/mappings/shared-memory/mapping-store.js';
import type { Mapping } from '../../../src/mappings/table.js';
import { ipFor } from '../support.js';

const T0 = Date.UTC(2025, 0, 1);

function stored(user: string, id = 'run1-a', more: Partial<StoredMapping> = {}): StoredMapping {
  return { id, user, sender: 'esm', profile: 'traps', firstSeen: T0, lastSeen: T0, expiresAt: T0 + 60_000, timeoutMs: 60_000, ...more };
}

function allPages(store: SharedMappingStore, limit: number): Mapping[] {
  const items: Mapping[] = [];
  let cursor: string | undefined;
  do {
    const page = store.page(cursor, limit, () => true);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}

describe('SharedMappingStore', () => {
  it('sets, gets, finds by user in any case and removes', () => {
    const store = new SharedMappingStore(10);
    expect(store.set({ ip: '10.0.0.1', ...stored('ACME\\Ana') })).toBe(true);
    expect(store.set({ ip: '2001:db8::1', ...stored('acme\\ana', 'run1-b') })).toBe(true);
    expect(store.get('10.0.0.1')).toEqual({ ip: '10.0.0.1', ...stored('ACME\\Ana') });
    expect(store.entriesOf('ACME\\ANA').map((e) => store.ipOf(e)).sort()).toEqual(['10.0.0.1', '2001:db8::1']);
    expect(store.set({ ip: '10.0.0.1', ...stored('ACME\\Bob', 'run1-c') })).toBe(true);
    expect(store.size).toBe(2);
    expect(store.entriesOf('acme\\ana').map((e) => store.ipOf(e))).toEqual(['2001:db8::1']);
    store.remove(store.find('2001:db8::1'));
    expect(store.entriesOf('acme\\ana')).toEqual([]);
    expect(store.get('2001:db8::1')).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('keeps an id of another form as it is', () => {
    const store = new SharedMappingStore(4);
    for (const id of ['legacy id', 'x-00', 'x-', '-1', 'x-zzzzzzzzzzzzz', 'ünï-1']) {
      store.set({ ip: '10.0.0.1', ...stored('a', id) });
      expect(store.get('10.0.0.1')?.id).toBe(id);
    }
  });

  it('keeps id numbers up to 2^32 - 1 as numbers and larger ones as text, and timeouts of any length', () => {
    const store = new SharedMappingStore(4);
    for (const n of [0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const id = `run1-${n.toString(36)}`;
      store.set({ ip: '10.0.0.1', ...stored('a', id) });
      expect(store.get('10.0.0.1')?.id).toBe(id);
    }
    for (const timeoutMs of [0, 1, 2 ** 31 - 1, 30 * 24 * 3_600_000, 1_000_000 * 60_000]) {
      store.set({ ip: '10.0.0.2', ...stored('b', 'run1-b', { timeoutMs, expiresAt: timeoutMs === 0 ? Infinity : T0 + timeoutMs }) });
      expect(store.get('10.0.0.2')?.timeoutMs).toBe(timeoutMs);
    }
  });

  it('reuses freed names: churn of user names never outgrows the arena', () => {
    // One entry and the smallest arena (64 KiB): a leak would run out within a few thousand names.
    const store = new SharedMappingStore(1);
    store.insert('10.0.0.1', stored('first'));
    for (let i = 0; i < 50_000; i++) {
      expect(store.update(0, stored(`ACME\\user-${i}-${'x'.repeat(i % 200)}`, `run1-${i.toString(36)}`), true)).toBe(true);
    }
    expect(store.get('10.0.0.1')?.user).toBe(`ACME\\user-49999-${'x'.repeat(49_999 % 200)}`);
  });

  it('keeps refresh order and expiry order', () => {
    const store = new SharedMappingStore(10);
    store.insert('10.0.0.1', stored('a', 'r-1', { expiresAt: T0 + 3 }));
    store.insert('10.0.0.2', stored('b', 'r-2', { expiresAt: Number.POSITIVE_INFINITY, timeoutMs: 0 }));
    store.insert('10.0.0.3', stored('c', 'r-3', { expiresAt: T0 + 1 }));
    expect(store.ipOf(store.soonest())).toBe('10.0.0.3');
    store.refresh(store.find('10.0.0.1'), T0 + 1, T0 + 2, 1, 'esm', 'traps', true);
    expect([...store.entries()].map((e) => store.ipOf(e))).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.1']);
    store.remove(store.find('10.0.0.3'));
    expect(store.ipOf(store.soonest())).toBe('10.0.0.1');
    store.remove(store.find('10.0.0.1'));
    expect(store.soonest()).toBe(-1); // the one left never expires
  });

  it('pages every entry that stays exactly once while others come and go', () => {
    const store = new SharedMappingStore(5000);
    for (let i = 0; i < 3000; i++) store.insert(ipFor(i), stored(`u${i}`));
    const seen: string[] = [];
    let cursor: string | undefined;
    let round = 0;
    do {
      const page = store.page(cursor, 97, () => true);
      seen.push(...page.items.map((m) => m.ip));
      cursor = page.next;
      // Churn between pages: the odd ones leave, new ones come.
      for (let k = 0; k < 50; k++) {
        const i = 2 * (round * 50 + k) + 1;
        if (i < 3000) store.remove(store.find(ipFor(i)));
        store.insert(ipFor(3000 + round * 50 + k), stored('new'));
      }
      round++;
    } while (cursor !== undefined);
    const stayed = Array.from({ length: 1500 }, (_, k) => ipFor(2 * k));
    for (const ip of stayed) expect(seen.filter((s) => s === ip), ip).toHaveLength(1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(allPages(store, 1000).length).toBe(store.size);
  });
});
