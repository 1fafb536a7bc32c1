import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER, payloadText } from '../../src/accounting/spool-format.js';
import { events, openSpool, readAll, rec, tempDir, until } from './spool-fixtures.js';

const segmentFiles = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
const frameBytes = (record: ReturnType<typeof rec>) => FRAME_HEADER + Buffer.byteLength(payloadText(record));

describe('spool: append, read, ack', () => {
  it('returns records only once written, in order, and forgets them when acked', async () => {
    const dir = await tempDir();
    const spool = await openSpool({ dir, batchDelayMs: 50 });
    const seqs = [rec('start', 'a'), rec('start', 'b'), rec('stop', 'a')].map((r) => spool.append(r));
    expect(seqs).toEqual([1, 2, 3]);
    expect(spool.depth).toBe(3);
    expect((await spool.read(1, 10)).records).toEqual([]); // not durable yet: never sent
    await spool.flush();
    const batch = await spool.read(1, 10);
    expect(batch.records.map((r) => [r.seq, r.record.kind, r.record.orderKey])).toEqual([
      [1, 'start', 'a'],
      [2, 'start', 'b'],
      [3, 'stop', 'a'],
    ]);
    expect(batch.nextSeq).toBe(4);
    const gone = spool.whenGone(2);
    spool.ack(2);
    await gone;
    spool.ack(2); // twice is harmless
    expect(spool.depth).toBe(2);
    expect(spool.stats).toMatchObject({ appended: 3, acked: 1 });
    expect((await readAll(spool)).map((r) => r.seq)).toEqual([1, 3]);
  });

  it('writes a batch as soon as batchMaxRecords records are queued', async () => {
    const dir = await tempDir();
    const spool = await openSpool({ dir, batchDelayMs: 60_000, batchMaxRecords: 3 });
    let durable = 0;
    spool.onDurable = () => durable++;
    for (let i = 0; i < 3; i++) spool.append(rec('start', `k${i}`));
    await until(() => durable === 1, 'the full batch written without waiting for the delay');
    expect((await spool.read(1, 10)).records).toHaveLength(3);
  });

  it('reads records back from disk once they no longer fit the memory cache', async () => {
    const dir = await tempDir();
    const spool = await openSpool({ dir, cacheRecords: 2, segmentBytes: 600 });
    for (let i = 0; i < 30; i++) spool.append(rec(i % 3 ? 'watchdog' : 'start', `k${i}`, i));
    await spool.flush();
    spool.ack(5);
    const all = await readAll(spool);
    expect(all.map((r) => r.record.args[1])).toEqual(Array.from({ length: 30 }, (_, i) => `n=${i}`).filter((n) => n !== 'n=4'));
    expect(all[7]!.record).toEqual(rec('watchdog', 'k8', 8));
  });

  it('readCached hands out durable cached records at once and stops at the first one only the disk holds', async () => {
    const dir = await tempDir();
    const spool = await openSpool({ dir, cacheRecords: 4 });
    for (let i = 0; i < 6; i++) spool.append(rec('start', `k${i}`, i));
    expect(spool.readCached(1, 10).records).toEqual([]); // not durable yet
    await spool.flush();
    // The cache holds the first 4 written (seq 1-4); 5 and 6 are on disk only.
    const cached = spool.readCached(2, 10);
    expect(cached.records.map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(cached.nextSeq).toBe(5);
    expect(spool.readCached(5, 10)).toEqual({ records: [], nextSeq: 5 });
    // read() goes on from there through the disk, in order.
    expect((await spool.read(cached.nextSeq, 10)).records.map((r) => r.record.args[1])).toEqual(['n=4', 'n=5']);
  });

  it('a record damaged on disk after it was written is skipped when read back, and reported', async () => {
    const dir = await tempDir();
    const ev = events();
    const spool = await openSpool({ dir, cacheRecords: 0, onEvent: ev.onEvent });
    for (let i = 1; i <= 3; i++) spool.append(rec('start', `k${i}`, i));
    await spool.flush();
    const file = join(dir, (await segmentFiles(dir))[0]!);
    const data = await readFile(file);
    data[data.length / 3 + FRAME_HEADER + 1] = 0x7e; // inside record 2's payload
    await writeFile(file, data);
    expect((await readAll(spool)).map((r) => r.seq)).toEqual([1, 3]);
    expect(spool.depth).toBe(2);
    expect(ev.list).toContainEqual(expect.objectContaining({ type: 'spool-corrupt', regions: 1 }));
  });
});

describe('spool: replay after a restart', () => {
  it('a new instance on the same directory replays unacked records first, in order', async () => {
    const dir = await tempDir();
    const first = await openSpool({ dir });
    for (let i = 1; i <= 5; i++) first.append(rec(i % 2 ? 'start' : 'stop', `k${i}`, i));
    await first.flush();
    first.ack(2);
    first.ack(4);
    await first.close();

    const ev = events();
    const second = await openSpool({ dir, onEvent: ev.onEvent });
    expect(ev.list).toContainEqual(expect.objectContaining({ type: 'spool-opened', records: 3 }));
    expect(second.depth).toBe(3);
    expect((await readAll(second)).map((r) => [r.seq, r.record.args[1]])).toEqual([
      [1, 'n=1'],
      [3, 'n=3'],
      [5, 'n=5'],
    ]);
    expect(second.append(rec('start', 'new'))).toBe(6); // never reuses a sequence number
  });

  it('acks written before a crash (no close) are honoured; unwritten ones only cause a resend', async () => {
    const dir = await tempDir();
    const crashed = await openSpool({ dir, batchDelayMs: 60_000 }); // nothing is written unless flushed
    for (let i = 1; i <= 3; i++) crashed.append(rec('start', `k${i}`));
    await crashed.flush();
    crashed.ack(1);
    await crashed.flush(); // the ack reaches the ledger
    crashed.ack(2); // this one never does: the process "dies" here
    const reopened = await openSpool({ dir });
    expect((await readAll(reopened)).map((r) => r.seq)).toEqual([2, 3]);
  });

  it('rolls segments and deletes those whose records are all acked', async () => {
    const dir = await tempDir();
    const spool = await openSpool({ dir, segmentBytes: 1000, batchMaxRecords: 4 });
    const seqs: number[] = [];
    for (let i = 0; i < 40; i++) seqs.push(spool.append(rec('start', `k${i}`, i)));
    await spool.flush();
    expect((await segmentFiles(dir)).length).toBeGreaterThanOrEqual(3);
    for (const seq of seqs.slice(0, 39)) spool.ack(seq);
    await spool.flush();
    const left = await segmentFiles(dir);
    expect(left).toHaveLength(1); // only the one holding the last record
    expect((await readAll(spool)).map((r) => r.seq)).toEqual([40]);
    expect((await readdir(dir)).filter((name) => name.endsWith('.acks')).every((name) => left.includes(name.replace('.acks', '.log')))).toBe(true);
  });
});

describe('spool: damage', () => {
  async function spoolWithFive(dir: string) {
    const spool = await openSpool({ dir });
    for (let i = 1; i <= 5; i++) spool.append(rec('start', `k${i}`, i));
    await spool.close();
    const [file] = await segmentFiles(dir);
    return join(dir, file!);
  }

  it('a flipped byte skips that record only; the intact ones are replayed in order', async () => {
    const dir = await tempDir();
    const file = await spoolWithFive(dir);
    const data = await readFile(file);
    const size = data.length / 5;
    data[2 * size + FRAME_HEADER + 3] = data[2 * size + FRAME_HEADER + 3]! ^ 0x20; // inside record 3's payload
    await writeFile(file, data);
    const ev = events();
    const spool = await openSpool({ dir, onEvent: ev.onEvent });
    expect((await readAll(spool)).map((r) => r.seq)).toEqual([1, 2, 4, 5]);
    expect(spool.stats.corrupt).toBe(1);
    expect(ev.list).toContainEqual(expect.objectContaining({ type: 'spool-corrupt', code: 'UID_ERR_SPOOL_CORRUPT', regions: 1, bytes: size }));
  });

  it('a damaged length field does not lose the records after it', async () => {
    const dir = await tempDir();
    const file = await spoolWithFive(dir);
    const data = await readFile(file);
    data.writeUInt32BE(0xffff, data.length / 5 + 4); // record 2 claims 64 KiB
    await writeFile(file, data);
    const spool = await openSpool({ dir });
    expect((await readAll(spool)).map((r) => r.seq)).toEqual([1, 3, 4, 5]);
  });

  it('a file truncated mid-record (crash while writing) keeps everything before the cut', async () => {
    const dir = await tempDir();
    const file = await spoolWithFive(dir);
    const size = (await stat(file)).size;
    await truncate(file, size - 7);
    const ev = events();
    const spool = await openSpool({ dir, onEvent: ev.onEvent });
    expect((await readAll(spool)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(ev.types()).toContain('spool-corrupt');
    expect(spool.append(rec('stop', 'k1'))).toBeGreaterThan(4);
  });

  it('a damaged ack entry means a resend, never a loss', async () => {
    const dir = await tempDir();
    const spool = await openSpool({ dir });
    for (let i = 1; i <= 3; i++) spool.append(rec('start', `k${i}`));
    await spool.flush();
    spool.ack(1);
    spool.ack(2);
    await spool.close();
    const ackFile = join(dir, (await readdir(dir)).find((name) => name.endsWith('.acks'))!);
    const acks = await readFile(ackFile);
    acks[0] = acks[0]! ^ 0xff;
    await writeFile(ackFile, Buffer.concat([acks, Buffer.from([1, 2, 3])])); // plus a torn entry
    const reopened = await openSpool({ dir });
    expect((await readAll(reopened)).map((r) => r.seq)).toEqual([1, 3]);
    expect(reopened.stats.corrupt).toBe(1);
  });
});

describe('spool: size cap', () => {
  it('drops the oldest WATCHDOGs first, then refuses new records once only STARTs and STOPs are left', async () => {
    const dir = await tempDir();
    const r = (kind: Parameters<typeof rec>[0], n: number) => rec(kind, `k${n}`, n); // n in 10..99: equal sizes
    const size = frameBytes(r('start', 10));
    const ev = events();
    const spool = await openSpool({ dir, maxBytes: 6 * size, onEvent: ev.onEvent });
    spool.append(r('start', 10));
    spool.append(r('watchdog', 11));
    spool.append(r('stop', 12));
    spool.append(r('watchdog-update', 13));
    spool.append(r('start', 14));
    spool.append(r('watchdog', 15));
    await spool.flush();
    expect(spool.bytes).toBe(6 * size);

    expect(spool.append(r('stop', 16))).toBe(7); // room made by dropping seq 2
    expect(spool.append(r('start', 17))).toBe(8); // … and seq 4
    await spool.flush();
    expect(ev.types()).toEqual(['spool-opened', 'spool-cap-reached']);
    expect((await readAll(spool)).map((x) => x.record.args[1])).toEqual(['n=10', 'n=12', 'n=14', 'n=15', 'n=16', 'n=17']);

    expect(spool.append(r('stop', 18))).toBe(9); // drops the last WATCHDOG (seq 6)
    await spool.flush();
    expect(spool.append(r('stop', 19))).toBe(0); // nothing left to drop: refused
    expect(spool.append(r('start', 20))).toBe(0);
    expect(spool.stats).toMatchObject({ dropped: 3, refused: 2 });
    expect(ev.list.at(-1)).toMatchObject({ type: 'spool-full', code: 'UID_ERR_SPOOL_FULL', group: 'g1' });
    expect(ev.types().filter((t) => t === 'spool-full')).toHaveLength(1); // once per episode
    expect((await readAll(spool)).map((x) => x.record.kind)).toEqual(['start', 'stop', 'start', 'stop', 'start', 'stop']);

    spool.ack(1);
    spool.ack(3);
    expect(spool.append(r('stop', 21))).toBeGreaterThan(0); // a server answered: room again
    expect(ev.list.at(-1)).toMatchObject({ type: 'spool-cap-cleared' });
  });

  it('compacts segments emptied by dropped WATCHDOGs so the files stay near the cap', async () => {
    const dir = await tempDir();
    const r = (i: number) => rec(i % 10 === 0 ? 'start' : 'watchdog', `k${1000 + i}`, 1000 + i); // equal sizes
    const size = frameBytes(r(0));
    const maxBytes = 48 * size;
    const segmentBytes = 8 * size;
    const spool = await openSpool({ dir, maxBytes, segmentBytes, batchMaxRecords: 8 });
    for (let i = 0; i < 400; i++) {
      expect(spool.append(r(i)), `record ${i}`).toBeGreaterThan(0);
      if (i % 8 === 7) await spool.flush();
    }
    await spool.flush();
    expect(spool.bytes).toBeLessThanOrEqual(maxBytes);
    expect(spool.diskBytes).toBeLessThanOrEqual(2 * maxBytes + segmentBytes); // without compaction: 10 x the cap
    const onDisk = await Promise.all((await segmentFiles(dir)).map((name) => stat(join(dir, name))));
    expect(onDisk.reduce((sum, s) => sum + s.size, 0)).toBe(spool.diskBytes);
    const kept = await readAll(spool);
    expect(kept.filter((x) => x.record.kind === 'start')).toHaveLength(40); // every START survived
    const keptWatchdogs = kept.filter((x) => x.record.kind === 'watchdog').map((x) => x.seq);
    expect(keptWatchdogs).toHaveLength(8);
    expect(spool.stats.dropped).toBe(352);
    const allWatchdogSeqs = Array.from({ length: 400 }, (_, i) => i + 1).filter((seq) => (seq - 1) % 10 !== 0);
    expect(keptWatchdogs).toEqual(allWatchdogSeqs.slice(360 - keptWatchdogs.length)); // the newest ones
  });
});

describe('spool: unwritable directory', () => {
  it('refuses and counts records, reports once, never throws, and recovers when the directory is fixed', async () => {
    const root = await tempDir();
    const blocker = join(root, 'not-a-dir');
    await writeFile(blocker, 'x');
    const ev = events();
    const spool = await openSpool({ dir: join(blocker, 'g1'), onEvent: ev.onEvent });
    expect(ev.list).toEqual([expect.objectContaining({ type: 'spool-io-error', code: 'UID_ERR_SPOOL_IO', group: 'g1' })]);
    for (let i = 0; i < 5; i++) expect(spool.append(rec('start', `k${i}`))).toBe(0);
    expect(spool.stats.refused).toBe(5);
    expect(ev.types().filter((t) => t === 'spool-io-error')).toHaveLength(1);

    await rm(blocker);
    await until(() => spool.append(rec('start', 'late')) > 0, 'the directory read again (retried once a second)', 5000);
    await spool.flush();
    expect((await readAll(spool)).map((r) => r.record.orderKey)).toEqual(['late']);
    expect(ev.types()).toContain('spool-io-recovered');
  });

  it('a failed write refuses that batch only; the next one goes through', async () => {
    const root = await tempDir();
    const dir = join(root, 'g1');
    const ev = events();
    const spool = await openSpool({ dir, onEvent: ev.onEvent });
    await rm(dir, { recursive: true });
    await writeFile(dir, 'in the way'); // the first segment cannot be created
    spool.append(rec('start', 'lost'));
    await spool.flush();
    expect(spool.stats.refused).toBe(1);
    expect(spool.depth).toBe(0);
    expect(ev.types()).toContain('spool-io-error');
    await rm(dir);
    spool.append(rec('start', 'kept'));
    await spool.flush();
    expect((await readAll(spool)).map((r) => r.record.orderKey)).toEqual(['kept']);
    expect(ev.types().at(-1)).toBe('spool-io-recovered');
  });
});
