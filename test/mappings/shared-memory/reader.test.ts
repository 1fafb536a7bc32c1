/**
 * The shared table read from another thread (src/mappings/shared-memory/reader.ts): a
 * real worker_threads Worker reads while this thread writes, and never sees a torn or
 * mixed entry; and the reader's answers in one thread, beside the writer's.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryMappingTable } from '../../../src/mappings/memory-table.js';
import { SharedMappingStore, type StoredMapping } from '../../../src/mappings/shared-memory/mapping-store.js';
import { openTableReader } from '../../../src/mappings/shared-memory/reader.js';
import { ipFor, login } from '../support.js';

const WORKER = fileURLToPath(new URL('./read-while-writing.worker.mjs', import.meta.url));

/** Version r of a mapping: every field says r, so a mix of two versions shows. */
function version(r: number): StoredMapping {
  return {
    id: `p-${r.toString(36)}`, user: `user-${r}-${'x'.repeat(r % 40)}`, sender: `s${r % 3}`, profile: `p${r % 5}`,
    firstSeen: r, lastSeen: r, expiresAt: r + 1e12, timeoutMs: r,
  };
}

describe('openTableReader', () => {
  let table: MemoryMappingTable | undefined;
  afterEach(() => table?.close());

  it('reads from a worker thread while this one writes, never a torn or mixed entry', async () => {
    const store = new SharedMappingStore(256);
    const ips = [...Array.from({ length: 40 }, (_, i) => ipFor(i)), ...Array.from({ length: 24 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`)];
    for (const ip of ips) store.insert(ip, version(1));
    const control = new SharedArrayBuffer(12);
    const flags = new Int32Array(control);
    const worker = new Worker(WORKER, { workerData: { share: store.share(), ips, control } });
    try {
      await once(worker, 'message');
      // Write until the reader has seen many versions go by and read a great deal (no clock: counters).
      const deadline = Date.now() + 15_000;
      let r = 1;
      while ((Atomics.load(flags, 2) < 500 || Atomics.load(flags, 1) < 200_000) && Date.now() < deadline) {
        r++;
        for (let i = 0; i < ips.length; i++) {
          const entry = store.find(ips[i]!);
          if (i % 8 === r % 8) {
            // Some leave and come back: chains change under the reader, slots and names are reused.
            store.remove(entry);
            store.insert(ips[i]!, version(r));
          } else {
            store.update(entry, version(r), true);
          }
        }
      }
      Atomics.store(flags, 0, 1);
      const [result] = (await once(worker, 'message')) as [{ bad: unknown[]; versions: number; missing: number }];
      expect(result.bad).toEqual([]);
      expect(result.versions).toBeGreaterThanOrEqual(500);
      expect(Atomics.load(flags, 1)).toBeGreaterThanOrEqual(200_000);
    } finally {
      await worker.terminate();
    }
  });

  it('answers as the table does: live, expired, absent, malformed, size and stale', () => {
    let now = Date.UTC(2025, 0, 1);
    table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 100, now: () => now });
    const reader = openTableReader(table.share());
    table.apply(login('10.0.0.1', 'ACME\\jdoe', { timeoutMs: 60_000 }));
    table.apply(login('2001:db8::7', 'ACME\\ana', { timeoutMs: 0 }));
    expect(reader.get('10.0.0.1', now)).toEqual(table.get('10.0.0.1'));
    expect(reader.get('2001:db8::7', now)).toEqual(table.get('2001:db8::7'));
    expect(reader.size).toBe(2);
    expect(reader.stale).toBe(false);
    expect(reader.get('10.0.0.2', now)).toBeUndefined();
    for (const garbage of ['', 'nope', '10.0.0', '10.0.0.1.2', '1::2::3', 'g::1', '300.0.0.1']) expect(reader.get(garbage, now)).toBeUndefined();
    now += 60_000;
    expect(reader.get('10.0.0.1', now)).toBeUndefined(); // its time is up, swept or not
    expect(reader.get('2001:db8::7', now + 1e12)?.user).toBe('ACME\\ana'); // until logout
  });
});
