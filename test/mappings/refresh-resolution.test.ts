/**
 * REFRESH_RESOLUTION_MS: a login repeated within a second (same user, sender and profile)
 * is still a `refreshed` change but leaves the mapping as it was, so busy senders do not
 * cost a new mapping object and a recency move per message.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryMappingTable, REFRESH_RESOLUTION_MS } from '../../src/mappings/memory-table.js';
import type { MappingChange } from '../../src/mappings/table.js';
import { login } from './support.js';

const T0 = Date.UTC(2025, 0, 1);

describe('refresh resolution', () => {
  let table: MemoryMappingTable;
  let changes: MappingChange[];

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 3, now: () => Date.now() });
    changes = [];
    table.subscribe((c) => changes.push(c));
  });
  afterEach(() => {
    table.close();
    vi.useRealTimers();
  });

  it('keeps the same mapping (times and all) for a repeat within the resolution, and reports it', () => {
    table.apply(login('10.0.0.1', 'a'));
    const first = table.get('10.0.0.1')!;
    vi.advanceTimersByTime(REFRESH_RESOLUTION_MS - 1);
    const change = table.apply(login('10.0.0.1', 'A'));
    expect(change).toEqual({ kind: 'refreshed', mapping: first, newinfo: false });
    expect(table.get('10.0.0.1')).toEqual(first) // equal, not the same object: mappings are built on read from shared memory;
    expect(changes.map((c) => c.kind)).toEqual(['added', 'refreshed']);
    expect(table.stats.changes.refreshed).toBe(1);
  });

  it('moves the times on once the resolution has passed', () => {
    table.apply(login('10.0.0.1', 'a'));
    vi.advanceTimersByTime(REFRESH_RESOLUTION_MS);
    table.apply(login('10.0.0.1', 'a'));
    expect(table.get('10.0.0.1')).toMatchObject({ lastSeen: T0 + REFRESH_RESOLUTION_MS, expiresAt: T0 + REFRESH_RESOLUTION_MS + 45 * 60_000 });
  });

  it('never holds back new information: another sender or profile refreshes at once', () => {
    table.apply(login('10.0.0.1', 'a'));
    vi.advanceTimersByTime(10);
    expect(table.apply(login('10.0.0.1', 'a', { sender: 'nac' }))).toMatchObject({ kind: 'refreshed', newinfo: true, mapping: { sender: 'nac', lastSeen: T0 + 10 } });
    vi.advanceTimersByTime(10);
    expect(table.apply(login('10.0.0.1', 'a', { sender: 'nac', profile: 'vpn' }))).toMatchObject({ newinfo: true, mapping: { profile: 'vpn', lastSeen: T0 + 20 } });
  });

  it('a held repeat does not save an entry from eviction: recency moves at most once a resolution', () => {
    table.apply(login('10.0.0.1', 'a'));
    table.apply(login('10.0.0.2', 'b'));
    table.apply(login('10.0.0.3', 'c'));
    table.apply(login('10.0.0.1', 'a')); // within the resolution: still the least recent
    table.apply(login('10.0.0.4', 'd'));
    expect(changes.filter((c) => c.kind === 'evicted').map((c) => c.mapping.ip)).toEqual(['10.0.0.1']);
  });
});
