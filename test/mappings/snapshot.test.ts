import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SnapshotEvent } from '../../src/mappings/events.js';
import { MemoryMappingTable, NOTHING_RESTORED } from '../../src/mappings/memory-table.js';
import { MappingSnapshot, type SnapshotTable } from '../../src/mappings/snapshot.js';
import { encodeEntry, encodeHeader, encodeTrailer } from '../../src/mappings/snapshot-format.js';
import type { Mapping } from '../../src/mappings/table.js';
import { ipFor, login } from './support.js';

/** The process's external memory right after each full collection the snapshot asked for. */
const collections = vi.hoisted((): number[] => []);
vi.mock('../../src/shared/full-collection.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/shared/full-collection.js')>();
  return {
    fullCollection: () => {
      real.fullCollection();
      collections.push(process.memoryUsage().external);
    },
  };
});
const { fullCollection } = await import('../../src/shared/full-collection.js');

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);

/** Polls (real timers) until `condition` holds, failing after a generous deadline for a loaded machine. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function allOf(table: MemoryMappingTable): Mapping[] {
  const items: Mapping[] = [];
  let cursor: string | undefined;
  do {
    const page = table.page(cursor, 1000);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items.sort((a, b) => a.ip.localeCompare(b.ip));
}

describe('MappingSnapshot', () => {
  let dir: string;
  let path: string;
  let clock: number;
  let events: SnapshotEvent[];
  const tables: MemoryMappingTable[] = [];

  function newTable(maxEntries = 100_000): MemoryMappingTable {
    const table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries, now: () => clock });
    tables.push(table);
    return table;
  }
  function newSnapshot(table: SnapshotTable, options: { chunkEntries?: number; path?: string } = {}): MappingSnapshot {
    return new MappingSnapshot(table, { path: options.path ?? path, intervalSeconds: 30, now: () => clock, onEvent: (e) => events.push(e), ...options });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uid-snapshot-'));
    path = join(dir, 'data', 'mappings.json');
    clock = T0;
    events = [];
  });
  afterEach(() => {
    for (const table of tables.splice(0)) table.close();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips the table: ids and times kept, expired ones dropped and returned', async () => {
    const table = newTable();
    table.apply(login('10.0.0.1', 'ACME\\jdoe'));
    clock += 10 * MINUTE;
    table.apply(login('10.0.0.2', 'Zoë', { sender: 'nac', profile: 'vpn' }));
    table.apply(login('2001:db8::7', 'asmith'));
    clock += 40 * MINUTE;
    table.apply(login('10.0.0.1', 'acme\\JDOE', { sender: 'nac' })); // refreshed, newinfo
    table.apply(login('10.0.0.3', 'bob'));
    const before = allOf(table);
    const snapshot = newSnapshot(table);
    expect(await snapshot.write()).toBe(true);
    expect(events).toEqual([expect.objectContaining({ type: 'snapshot-written', path, entries: 4 })]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'data'))).toEqual(['mappings.json']);

    // A restart 6 minutes later: 10.0.0.2 and 2001:db8::7 (last seen at +10 min) are past 45 minutes.
    clock += 6 * MINUTE;
    const next = newTable();
    events = [];
    const result = await newSnapshot(next).restore();
    expect(result.expired.map((m) => m.ip).sort()).toEqual(['10.0.0.2', '2001:db8::7']);
    expect([...result.restored].map((m) => m.ip).sort()).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(allOf(next)).toEqual(before.filter((m) => m.ip === '10.0.0.1' || m.ip === '10.0.0.3'));
    expect(next.byUser('acme\\jdoe').map((m) => m.ip)).toEqual(['10.0.0.1']);
    expect(events).toEqual([expect.objectContaining({ type: 'snapshot-restored', restored: 2, expired: 2, evicted: 0 })]);
  });

  it('renames a snapshot under the old default name (.json) to the configured .jsonl path, and keeps reading a configured .json path', async () => {
    const table = newTable();
    table.apply(login('10.0.0.1', 'jdoe'));
    expect(await newSnapshot(table).write()).toBe(true); // an older build's data/mappings.json
    const jsonl = `${path}l`;
    events = [];
    const next = newTable();
    expect([...(await newSnapshot(next, { path: jsonl }).restore()).restored].map((m) => m.ip)).toEqual(['10.0.0.1']);
    expect(events[0]).toEqual({ type: 'snapshot-renamed', from: path, path: jsonl });
    expect(readdirSync(join(dir, 'data'))).toEqual(['mappings.jsonl']);
    // When both exist the configured one wins and the old one is left alone.
    expect(await newSnapshot(table).write()).toBe(true);
    events = [];
    await newSnapshot(newTable(), { path: jsonl }).restore();
    expect(events.map((e) => e.type)).toEqual(['snapshot-restored']);
    expect(readdirSync(join(dir, 'data')).sort()).toEqual(['mappings.json', 'mappings.jsonl']);
  });

  it('round-trips a table larger than one read chunk, writing it in many pages', async () => {
    const table = newTable();
    for (let i = 0; i < 20_000; i++) table.apply(login(ipFor(i), `user${i}`));
    let turns = 0;
    let spinning = true;
    const spin = () => { turns++; if (spinning) setImmediate(spin); };
    setImmediate(spin);
    expect(await newSnapshot(table, { chunkEntries: 500 }).write()).toBe(true);
    spinning = false;
    // The event loop ran between pages: the write did not hold it for the whole table.
    expect(turns).toBeGreaterThan(20);
    expect(statSync(path).size).toBeGreaterThan(1 << 20);
    const next = newTable();
    expect((await newSnapshot(next).restore()).restored.size).toBe(20_000);
    expect(allOf(next)).toEqual(allOf(table));
  });

  it('collects what a large restore leaves behind (the file, its arrays) before start goes on; not after a small one', async () => {
    const small = newTable();
    small.apply(login(ipFor(1), 'alice'));
    expect(await newSnapshot(small).write()).toBe(true);
    collections.splice(0);
    await newSnapshot(newTable()).restore();
    expect(collections).toEqual([]);

    const table = newTable(200_000);
    for (let i = 0; i < 150_000; i++) table.apply(login(ipFor(i), `user${i}`));
    expect(await newSnapshot(table).write()).toBe(true);
    expect(statSync(path).size).toBeGreaterThan(8 << 20);
    const next = newTable(200_000);
    fullCollection(); // what the write left behind is not counted
    const before = process.memoryUsage().external;
    collections.splice(0);
    expect((await newSnapshot(next).restore()).restored.size).toBe(150_000);
    // One collection, when nothing held the file any more: of its 11 MiB and the arrays,
    // what stays is the restored order the result holds (4 bytes an entry).
    expect(collections).toHaveLength(1);
    expect(collections[0]! - before).toBeLessThan(1 << 20);
  });

  it('still reads a version 2 (JSON Lines) snapshot, and writes version 3 after it', async () => {
    const saved: Mapping = { id: 'old-1', ip: '10.0.0.1', user: 'ACME\\jdoe', sender: 'esm', profile: 'p', firstSeen: T0 - MINUTE, lastSeen: T0 - MINUTE, expiresAt: T0 + 44 * MINUTE, timeoutMs: 45 * MINUTE };
    // More than one read piece (1 MiB) of lines, so the text is fed in pieces cut at line ends.
    const more = Array.from({ length: 20_000 }, (_, i) => ({ ...saved, id: `old-${i + 2}`, ip: ipFor(i + 10), user: `user${i}` }));
    const body = encodeHeader(T0, ['nps']) + [saved, ...more].map(encodeEntry).join('');
    expect(body.length).toBeGreaterThan(1 << 20);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(path, body + encodeTrailer(more.length + 1, createHash('sha256').update(body).digest('hex')));
    const table = newTable();
    const snapshot = newSnapshot(table);
    const result = await snapshot.restore();
    expect(result).toMatchObject({ expired: [], evicted: [], startsSentTo: ['nps'] });
    expect(result.restored.size).toBe(more.length + 1);
    expect(table.get('10.0.0.1')).toEqual(saved);
    expect(table.get(ipFor(20_009))?.user).toBe('user19999');
    expect(await snapshot.write()).toBe(true);
    expect(JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!)).toMatchObject({ version: 3 });
  });

  it('starts empty, silently, when there is no snapshot yet', async () => {
    const table = newTable();
    expect(await newSnapshot(table).restore()).toBe(NOTHING_RESTORED);
    expect(events).toEqual([]);
  });

  describe('corrupt or unreadable snapshots are moved aside', () => {
    const cases: [string, (valid: string) => string][] = [
      ['garbage', () => 'this is not a snapshot\n'],
      ['a truncated file', (valid) => valid.slice(0, Math.floor(valid.length / 2))],
      ['a flipped byte that still parses', (valid) => valid.replace('jdoe', 'jdoa')],
    ];
    for (const [what, damage] of cases) {
      it(`${what}: typed error event, empty table, file kept for inspection`, async () => {
        const table = newTable();
        table.apply(login('10.0.0.1', 'jdoe'));
        await newSnapshot(table).write();
        const damaged = damage(readFileSync(path, 'utf8'));
        writeFileSync(path, damaged);
        events = [];
        const next = newTable();
        const snapshot = newSnapshot(next);
        expect(await snapshot.restore()).toBe(NOTHING_RESTORED);
        expect(next.size).toBe(0);
        const movedTo = `${path}.corrupt-2025-01-01T00-00-00-000Z`;
        expect(events).toEqual([expect.objectContaining({ type: 'snapshot-error', code: 'UID_ERR_SNAPSHOT_CORRUPT', path, movedTo })]);
        expect(readFileSync(movedTo, 'utf8')).toBe(damaged);
        expect(snapshot.stats.corruptFiles).toBe(1);
        // The next write starts afresh.
        next.apply(login('10.0.0.9', 'x'));
        expect(await snapshot.write()).toBe(true);
      });
    }

    it('a path that cannot be read as a file', async () => {
      mkdirSync(path, { recursive: true });
      const snapshot = newSnapshot(newTable());
      await snapshot.restore();
      expect(events).toEqual([expect.objectContaining({ code: 'UID_ERR_SNAPSHOT_CORRUPT', movedTo: expect.stringContaining('.corrupt-') })]);
    });
  });

  it('reports an unwritable directory as an I/O error and the table keeps working', async () => {
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const table = newTable();
    table.apply(login('10.0.0.1', 'jdoe'));
    const snapshot = newSnapshot(table, { path: join(dir, 'not-a-dir', 'mappings.json') });
    expect(await snapshot.write()).toBe(false);
    expect(await snapshot.write()).toBe(false);
    expect(snapshot.stats.writeErrors).toBe(2);
    expect(events).toEqual([
      expect.objectContaining({ type: 'snapshot-error', code: 'UID_ERR_SNAPSHOT_IO', message: expect.stringContaining('the table keeps working') }),
      expect.objectContaining({ type: 'snapshot-error', code: 'UID_ERR_SNAPSHOT_IO' }),
    ]);
    expect(table.apply(login('10.0.0.2', 'asmith'))?.kind).toBe('added');
  });

  it('never runs two writes at once', async () => {
    const table = newTable();
    for (let i = 0; i < 3000; i++) table.apply(login(ipFor(i), 'u'));
    let open = 0;
    let overlapped = false;
    const watched: SnapshotTable = {
      restore: (m) => table.restore(m),
      exportEntries: (bucket, max, sink) => {
        if (bucket === 0 && open++ > 0) overlapped = true;
        const next = table.exportEntries(bucket, max, sink);
        if (next < 0) open--;
        return next;
      },
    };
    const snapshot = newSnapshot(watched, { chunkEntries: 100 });
    expect(await Promise.all([snapshot.write(), snapshot.write(), snapshot.write()])).toEqual([true, true, true]);
    expect(overlapped).toBe(false);
    expect(snapshot.stats.writes).toBe(3);
  });

  it('writes every interval, skips a tick while a write is under way, and writes once more on stop', async () => {
    const table = newTable(); // its sweep timer stays real
    table.apply(login('10.0.0.1', 'jdoe'));
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const snapshot = newSnapshot(table);
    snapshot.start();
    vi.advanceTimersByTime(30_000); // starts a write
    vi.advanceTimersByTime(30_000); // that write cannot have finished: skipped
    expect(snapshot.stats.writesSkipped).toBe(1);
    await until(() => snapshot.stats.writes === 1, 'the first write');
    table.apply(login('10.0.0.2', 'asmith'));
    expect(await snapshot.stop()).toBe(true);
    expect(snapshot.stats.writes).toBe(2);
    expect(snapshot.stats.lastWriteEntries).toBe(2);
    expect(vi.getTimerCount()).toBe(0); // no interval left to write again
  });
});
