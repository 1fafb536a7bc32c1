/**
 * The audit trail sink (src/audit/trail.ts) and its line format (format.ts): the format's
 * stated rules, which changes are written, size rotation with `keep`, and that a failing
 * or slow disk is counted, reported and retried, never thrown into the table.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.js';
import { TIME_LENGTH, TIME_OFFSET, ipNeedle, parseAuditLine } from '../../src/audit/format.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { TableDouble, T0, mapping } from '../http/table-double.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'uid-audit-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
}

function trail(table: TableDouble, more: Partial<ConstructorParameters<typeof AuditTrail>[1]> = {}) {
  const events: AuditEvent[] = [];
  let now = T0;
  const t = new AuditTrail(table, { path: join(dir, 'sub', 'audit.log'), maxBytes: 1 << 20, keep: 3, now: () => now++, onEvent: (e) => events.push(e), ...more });
  t.start();
  return { t, events };
}

describe('audit trail format', () => {
  it('writes one line per change with time first, the reason vocabulary, and oldUser only on user-changed', async () => {
    const table = new TableDouble();
    const { t } = trail(table);
    const jdoe = mapping('10.1.2.3', 'ACME\\jdoe');
    const bob = mapping('10.1.2.3', 'ACME\\bob', { id: 'id-2', sender: 'vpn', profile: 'vpn-login' });
    table.emit({ kind: 'added', mapping: jdoe });
    table.emit({ kind: 'refreshed', mapping: jdoe, newinfo: false });
    table.emit({ kind: 'refreshed', mapping: jdoe, newinfo: true });
    table.emit({ kind: 'user-changed', mapping: bob, previous: jdoe });
    table.emit({ kind: 'removed', mapping: bob, reason: 'logout' });
    table.emit({ kind: 'expired', mapping: jdoe });
    table.emit({ kind: 'evicted', mapping: jdoe });
    table.emit({ kind: 'removed', mapping: jdoe, reason: 'admin' });
    await t.stop();

    const text = await lines(t.path);
    expect(text).toHaveLength(7); // the refresh without new information is not written
    const entries = text.map((l) => parseAuditLine(l)!);
    expect(entries.map((e) => [e.kind, e.reason])).toEqual([
      ['added', 'login'], ['refreshed', 'login'], ['user-changed', 'replaced'], ['removed', 'logout'],
      ['expired', 'timeout'], ['evicted', 'capacity'], ['removed', 'admin'],
    ]);
    expect(entries[2]).toEqual({
      time: new Date(T0 + 2).toISOString(), kind: 'user-changed', reason: 'replaced', ip: '10.1.2.3', user: 'ACME\\bob',
      oldUser: 'ACME\\jdoe', sender: 'vpn', profile: 'vpn-login', id: 'id-2', firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0).toISOString(),
    });
    expect(entries.filter((e) => e.kind !== 'user-changed').every((e) => e.oldUser === null)).toBe(true);
    for (const [i, line] of text.entries()) {
      expect(line).toBe(JSON.stringify(entries[i])); // the same bytes as stringifying the object
      expect(line.startsWith('{"time":"')).toBe(true);
      expect(line.slice(TIME_OFFSET, TIME_OFFSET + TIME_LENGTH)).toBe(JSON.parse(line).time);
      expect(line.includes(ipNeedle('10.1.2.3').toString())).toBe(true);
    }
  });

  it('keeps times in order when the clock steps back, and escapes users that hold quotes or line feeds', async () => {
    const table = new TableDouble();
    const clock = [T0 + 5000, T0, T0 + 9000];
    const { t } = trail(table, { now: () => clock.shift()! });
    table.emit({ kind: 'added', mapping: mapping('10.0.0.1', 'a') });
    table.emit({ kind: 'added', mapping: mapping('10.0.0.2', 'evil"\n{"time":"x",') });
    table.emit({ kind: 'added', mapping: mapping('10.0.0.3', 'c') });
    await t.stop();
    const entries = (await lines(t.path)).map((l) => parseAuditLine(l)!);
    expect(entries.map((e) => e.time)).toEqual([T0 + 5000, T0 + 5000, T0 + 9000].map((ms) => new Date(ms).toISOString()));
    expect(entries[1]!.user).toBe('evil"\n{"time":"x",');
  });

  it('writes every refresh when refreshes: true', async () => {
    const table = new TableDouble();
    const { t } = trail(table, { refreshes: true });
    table.emit({ kind: 'refreshed', mapping: mapping('10.0.0.1', 'a'), newinfo: false });
    await t.stop();
    expect(await lines(t.path)).toHaveLength(1);
  });
});

describe('audit trail rotation', () => {
  it('rotates before a file would pass maxBytes and keeps `keep` rotated files, oldest dropped', async () => {
    const table = new TableDouble();
    const { t } = trail(table, { maxBytes: 1 << 20, keep: 2 });
    const big = 'u'.repeat(100_000); // each line ~100 kB: 10 lines per file
    for (let i = 0; i < 45; i++) {
      table.emit({ kind: 'added', mapping: mapping(`10.0.0.${i + 1}`, `${big}${i}`) });
      if (i % 7 === 0) await t.flushed(); // several writes, not one
    }
    await t.stop();
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    const files = [`${t.path}.2`, `${t.path}.1`, t.path];
    const all: number[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1 << 20);
      all.push(...text.split('\n').filter((l) => l).map((l) => Number(parseAuditLine(l)!.user.slice(big.length))));
    }
    // The newest 3 files hold the newest lines, in order; the oldest were dropped with audit.log.3.
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => 45 - all.length + i));
    expect(all.length).toBeGreaterThanOrEqual(25);
    expect(t.stats.rotations).toBe(4);
    expect(t.stats.written).toBe(45);
  });

  it('appends to the file a previous run left', async () => {
    const table = new TableDouble();
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'audit.log'), '{"time":"2024-01-01T00:00:00.000Z","ip":"10.9.9.9"}\n');
    const { t } = trail(table);
    table.emit({ kind: 'added', mapping: mapping('10.0.0.1', 'a') });
    await t.stop();
    expect(await lines(t.path)).toHaveLength(2);
  });
});

describe('audit trail under a failing or slow disk', () => {
  it('counts and reports a write error once, keeps the lines and writes them when the disk is back', async () => {
    const table = new TableDouble();
    const blocker = join(dir, 'sub');
    await writeFile(blocker, 'a file where the folder should be');
    const { t, events } = trail(table, { retryMs: 20 });
    table.emit({ kind: 'added', mapping: mapping('10.0.0.1', 'a') });
    table.emit({ kind: 'added', mapping: mapping('10.0.0.2', 'b') });
    await expect.poll(() => t.stats.writeErrors).toBeGreaterThanOrEqual(2); // retried
    expect(events.filter((e) => e.type === 'audit-io-error')).toHaveLength(1);
    await rm(blocker);
    await expect.poll(() => t.stats.written).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['audit-io-error', 'audit-io-recovered']);
    await t.stop();
    expect((await lines(t.path)).map((l) => parseAuditLine(l)!.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('never blocks or throws into the table: past bufferBytes new lines are dropped and counted', async () => {
    const table = new TableDouble();
    await writeFile(join(dir, 'sub'), 'a file where the folder should be');
    const { t, events } = trail(table, { bufferBytes: 4096, retryMs: 60_000 });
    for (let i = 0; i < 100; i++) table.emit({ kind: 'added', mapping: mapping(`10.0.1.${i + 1}`, `user${i}`) });
    expect(t.stats.dropped).toBeGreaterThan(50);
    expect(t.stats.bufferedBytes).toBeLessThanOrEqual(4096);
    expect(events.filter((e) => e.type === 'audit-buffer-full')).toHaveLength(1);
    await t.stop();
    expect(t.stats.written).toBe(0);
  });
});
