/**
 * Reading one address's history back from the audit files (src/audit/history.ts), checked
 * against a plain read of every line: newest first across rotated files, exact paging
 * with cursors (also through many changes in one millisecond and across the reader's
 * chunk boundaries), since/until, the per-request scan budget, and damaged lines.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAuditLine, parseAuditLine, type AuditEntry } from '../../src/audit/format.js';
import { AuditHistory, decodeCursor, type HistoryQuery } from '../../src/audit/history.js';

const T0 = Date.UTC(2026, 10, 24, 8, 0, 0); // a Tuesday
let dir: string;
let path: string;
/** Every line written, oldest first. */
const written: AuditEntry[] = [];

function entry(ms: number, ip: string, user: string): AuditEntry {
  const time = new Date(ms).toISOString();
  return { time, kind: 'added', reason: 'login', ip, user, oldUser: null, sender: 'esm', profile: 'p', id: `${ms}-${user}`, firstSeen: time, lastSeen: time };
}

/** Three files (audit.log.2 oldest), ~1.5 MB each; 10.1.2.3 every 7th line, bursts of 30 in one millisecond. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid-history-'));
  path = join(dir, 'audit.log');
  let ms = T0;
  for (const file of [`${path}.2`, `${path}.1`, path]) {
    let text = '';
    for (let i = 0; i < 6000; i++) {
      const burst = i % 500 < 30; // every 500th line starts a burst of 30 in one millisecond
      if (!burst || i % 500 === 0) ms += 1000;
      const e = entry(ms, i % 7 === 0 || burst ? '10.1.2.3' : `10.0.${i % 200}.${(i % 250) + 1}`, `user-${written.length}-${'x'.repeat(150)}`);
      written.push(e);
      text += formatAuditLine(e);
    }
    await writeFile(file, text);
  }
  // A crash cut the last line short.
  await writeFile(path, `${formatAuditLine(entry(ms + 1000, '10.1.2.3', 'cut')).slice(0, 40)}`, { flag: 'a' });
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

function expected(ip: string, filter: (e: AuditEntry) => boolean = () => true): AuditEntry[] {
  return written.filter((e) => e.ip === ip && filter(e)).reverse();
}

async function all(history: AuditHistory, query: HistoryQuery): Promise<{ items: AuditEntry[]; pages: number }> {
  const items: AuditEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await history.read({ ...query, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.next;
    if (++pages > 10_000) throw new Error('no end');
  } while (cursor);
  return { items, pages };
}

describe('audit history', () => {
  it('answers newest first from the current and rotated files, skipping the cut line', async () => {
    const history = new AuditHistory(path, 2);
    const page = await history.read({ ip: '10.1.2.3', limit: 5 });
    expect(page.items).toEqual(expected('10.1.2.3').slice(0, 5));
    expect(page.next).toBeDefined();
  });

  it('pages through everything exactly with cursors, through bursts within one millisecond', async () => {
    const history = new AuditHistory(path, 2);
    const want = expected('10.1.2.3');
    for (const limit of [7, 30, 1000]) {
      const { items } = await all(history, { ip: '10.1.2.3', limit });
      expect(items.map((e) => e.user)).toEqual(want.map((e) => e.user));
    }
  });

  it('keeps to since and until (until found by bisection in the middle of a file)', async () => {
    const history = new AuditHistory(path, 2);
    const since = new Date(T0 + 3_000_000).toISOString();
    const until = new Date(T0 + 12_500_000).toISOString();
    const { items } = await all(history, { ip: '10.1.2.3', limit: 100, since, until });
    const want = expected('10.1.2.3', (e) => e.time >= since && e.time < until);
    expect(want.length).toBeGreaterThan(100);
    expect(items).toEqual(want);
    // An instant inside a burst: until is exclusive, since inclusive.
    const burst = written[6000 + 500 * 3]!.time;
    expect((await all(history, { ip: '10.1.2.3', limit: 10, until: burst })).items[0]!.time < burst).toBe(true);
    const onlyBurst = await all(history, { ip: '10.1.2.3', limit: 10, since: burst, until: new Date(Date.parse(burst) + 1).toISOString() });
    expect(onlyBurst.items).toHaveLength(30);
  });

  it('reads at most scanBytes per request and hands back a cursor that finds the rest', async () => {
    const history = new AuditHistory(path, 2, 300 * 1024);
    const rare = written[100]!; // not 10.1.2.3: a few lines in each file
    const first = await history.read({ ip: rare.ip, limit: 1000 });
    expect(first.items).toEqual(expected(rare.ip).slice(0, first.items.length));
    expect(first.items.length).toBeLessThan(expected(rare.ip).length / 5);
    expect(first.next).toBeDefined();
    const { items, pages } = await all(history, { ip: rare.ip, limit: 1000 });
    expect(items).toEqual(expected(rare.ip));
    expect(pages).toBeGreaterThan(10); // ~4.5 MB in 300 kB steps
  });

  it('answers an empty page with no cursor for an address never seen, and when files are missing', async () => {
    expect(await new AuditHistory(path, 2).read({ ip: '192.0.2.1', limit: 10 })).toEqual({ items: [] });
    expect(await new AuditHistory(join(dir, 'none.log'), 5).read({ ip: '10.1.2.3', limit: 10 })).toEqual({ items: [] });
    expect(parseAuditLine('{"time":')).toBeUndefined();
  });

  it('refuses cursors it did not make', () => {
    expect(decodeCursor('nonsense')).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"t":"yesterday","n":1}').toString('base64url'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"t":"2026-01-01T00:00:00.000Z","n":-1}').toString('base64url'))).toBeUndefined();
  });
});
