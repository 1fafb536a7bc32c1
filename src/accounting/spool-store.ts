/**
 * The files and index behind one spool (rules at the top of spool.ts): segments, the
 * active one being appended to, ack ledgers, and a bounded cache of records written but
 * not yet read. No policy, no events: the Spool decides, and runs every async method
 * here on its one I/O chain, so none of them overlaps another.
 */
import { mkdir, open } from 'node:fs/promises';
import type { AccountingRecord } from './record.js';
import { ACK_ENTRY, checkFrame, decodeFrameWith, encodeAck, type SpoolCodec } from './spool-format.js';
import { fsyncDir, listSegments, loadSegment, removeSegmentFiles, rewriteSegment } from './spool-files.js';
import { Segment } from './spool-segment.js';

export interface SpooledRecord<T = AccountingRecord> {
  readonly seq: number;
  readonly record: T;
}

export interface SpoolBatch<T = AccountingRecord> {
  readonly records: SpooledRecord<T>[];
  /** Where the next read continues: past every record this one looked at. */
  readonly nextSeq: number;
}

export interface QueuedRecord<T = AccountingRecord> {
  readonly seq: number;
  readonly kind: number;
  readonly frame: Buffer;
  readonly record: T;
}

export interface StoreHooks {
  /** Damaged bytes skipped in `file` (at load, or a frame that fails its check when read back). */
  onDamage(file: string, regions: number, bytes: number): void;
  /** A record left the index (acked, dropped or damaged). */
  onRemoved(seq: number): void;
}

/** One disk read brings at most this much of a segment back. */
const READ_CHUNK = 1024 * 1024;

export class SegmentStore<T = AccountingRecord> {
  nextSeq = 1;
  liveRecords = 0;
  liveBytes = 0;
  #segments: Segment[] = [];
  #active: Segment | null = null;
  /** Emptied sealed segments whose files are removed on the next disk turn. */
  #doomed: Segment[] = [];
  #acksPending = false;
  readonly #cache = new Map<number, T>();

  constructor(
    readonly dir: string,
    readonly segmentBytes: number,
    readonly cacheMax: number,
    readonly hooks: StoreHooks,
    readonly codec: SpoolCodec<T>,
  ) {}

  get diskBytes(): number {
    let total = 0;
    for (const segment of this.#segments) total += segment.size;
    return total;
  }

  get lastSeq(): number {
    const last = this.#segments[this.#segments.length - 1];
    return last ? last.lastSeq : 0;
  }

  /** Acks to write or files to remove. */
  get hasDiskWork(): boolean {
    return this.#acksPending || this.#doomed.length > 0;
  }

  /** All or nothing: indexes what an earlier run left; on failure nothing changes. */
  async scan(): Promise<{ records: number; segments: number }> {
    const found: Segment[] = [];
    let nextSeq = this.nextSeq;
    for (const firstSeq of await listSegments(this.dir)) {
      const loaded = await loadSegment(this.dir, firstSeq);
      const { segment } = loaded;
      nextSeq = Math.max(nextSeq, firstSeq + 1, segment.lastSeq + 1);
      if (loaded.regions + loaded.badAcks > 0) this.hooks.onDamage(segment.logPath, loaded.regions + loaded.badAcks, loaded.damagedBytes);
      if (segment.liveCount === 0) await removeSegmentFiles(segment);
      else found.push(segment);
    }
    this.#segments = found;
    this.nextSeq = nextSeq;
    for (const segment of found) {
      this.liveRecords += segment.liveCount;
      this.liveBytes += segment.liveBytes;
    }
    return { records: this.liveRecords, segments: found.length };
  }

  /** Writes and fdatasyncs a batch, then indexes it; throws when it could not be made durable. */
  async write(batch: readonly QueuedRecord<T>[], bytes: number): Promise<void> {
    const segment = await this.#writableSegment(batch[0]!.seq);
    const fh = segment.fh!;
    try {
      const { bytesWritten } = await fh.writev(batch.map((queued) => queued.frame), segment.size);
      if (bytesWritten !== bytes) throw new Error(`short write to ${segment.logPath}: ${bytesWritten} of ${bytes} bytes`);
      await fh.datasync();
    } catch (error) {
      // Cut the half-written batch off; if even that fails, leave the file for the next start.
      await fh.truncate(segment.size).catch(() => this.#seal(segment));
      throw error;
    }
    let offset = segment.size;
    for (const queued of batch) {
      segment.add(queued.seq, offset, queued.frame.length, queued.kind);
      offset += queued.frame.length;
      if (this.#cache.size < this.cacheMax) this.#cache.set(queued.seq, queued.record);
    }
    segment.size = offset;
    this.liveRecords += batch.length;
    this.liveBytes += bytes;
    if (segment.size >= this.segmentBytes) this.#seal(segment);
  }

  /** Appends pending acks to the ledgers and removes emptied segments; returns the errors met. */
  async writeAcksAndRemovals(): Promise<unknown[]> {
    const errors: unknown[] = [];
    const doomed = this.#doomed;
    this.#doomed = [];
    for (const segment of doomed) await removeSegmentFiles(segment).catch((error: unknown) => errors.push(error));
    this.#acksPending = false;
    for (const segment of [...this.#segments]) {
      const seqs = segment.pendingAcks;
      if (seqs.length === 0) continue;
      segment.pendingAcks = [];
      const entries = Buffer.allocUnsafe(seqs.length * ACK_ENTRY);
      for (let i = 0; i < seqs.length; i++) encodeAck(seqs[i]!, entries, i * ACK_ENTRY);
      try {
        segment.ackFh ??= await open(segment.ackPath, 'a');
        await segment.ackFh.write(entries);
      } catch (error) {
        errors.push(error); // those records are sent once more after a restart, never lost
      }
    }
    return errors;
  }

  /** Up to `max` live records with seq >= fromSeq, in order: from the cache, else from disk. */
  async read(fromSeq: number, max: number): Promise<SpoolBatch<T>> {
    const records: SpooledRecord<T>[] = [];
    let nextSeq = fromSeq;
    for (;;) {
      nextSeq = this.#takeCached(nextSeq, max, records);
      // Unless it filled `out` or went past the end, #takeCached stopped at a live record that only the disk holds.
      const segment = records.length < max ? this.#segmentOf(nextSeq) : undefined;
      const pos = segment ? segment.find(nextSeq) : -1;
      if (pos === -1) return { records, nextSeq };
      const end = await this.#readFromDisk(segment!, pos, max - records.length, records);
      nextSeq = segment!.seqAt(end - 1) + 1;
    }
  }

  /** The part of `read` that needs no disk: cached records up to the first that is not cached. */
  readCached(fromSeq: number, max: number): SpoolBatch<T> {
    const records: SpooledRecord<T>[] = [];
    return { records, nextSeq: this.#takeCached(fromSeq, max, records) };
  }

  /**
   * Moves live cached records with seq >= fromSeq into `out` until it holds `max`; returns
   * where to go on: past the last record looked at, or the seq of a live record that is not
   * cached.
   */
  #takeCached(fromSeq: number, max: number, out: SpooledRecord<T>[]): number {
    let nextSeq = fromSeq;
    for (const segment of this.#segments) {
      if (segment.lastSeq < nextSeq) continue;
      for (let pos = segment.lowerBound(nextSeq); pos < segment.count && out.length < max; pos++) {
        const seq = segment.seqAt(pos);
        if (!segment.isGone(pos)) {
          const record = this.#cache.get(seq);
          if (record === undefined) return seq;
          this.#cache.delete(seq);
          out.push({ seq, record });
        }
        nextSeq = seq + 1;
      }
      if (out.length >= max) break;
    }
    return nextSeq;
  }

  isLive(seq: number): boolean {
    const segment = this.#segmentOf(seq);
    const pos = segment ? segment.find(seq) : -1;
    return pos !== -1 && !segment!.isGone(pos);
  }

  /** Takes a record out of the spool; false when it is unknown or already gone. */
  remove(seq: number): boolean {
    const segment = this.#segmentOf(seq);
    const pos = segment ? segment.find(seq) : -1;
    return pos !== -1 && this.#removeAt(segment!, pos);
  }

  /** Cap policy helper: removes the oldest live WATCHDOG; false when none is left. */
  dropOldestWatchdog(): boolean {
    for (const segment of this.#segments) {
      const pos = segment.oldestLiveWatchdog();
      if (pos !== -1) return this.#removeAt(segment, pos);
    }
    return false;
  }

  /** Rewrites sealed segments that are mostly gone until the files fit in `maxBytes`. */
  async compact(maxBytes: number): Promise<void> {
    for (const segment of [...this.#segments]) {
      if (this.diskBytes <= maxBytes) return;
      if (segment.sealed && segment.liveCount > 0 && segment.liveBytes * 2 <= segment.size) await rewriteSegment(segment);
    }
  }

  /** Makes the ack ledgers durable and closes every file. */
  async close(): Promise<unknown[]> {
    const errors = await this.writeAcksAndRemovals();
    for (const segment of this.#segments) {
      await segment.ackFh?.datasync().catch((error: unknown) => errors.push(error));
      await segment.ackFh?.close().catch(() => undefined);
      await segment.fh?.close().catch(() => undefined);
      segment.ackFh = null;
      segment.fh = null;
    }
    return errors;
  }

  async #writableSegment(firstSeq: number): Promise<Segment> {
    if (this.#active) return this.#active;
    await mkdir(this.dir, { recursive: true });
    const segment = new Segment(this.dir, firstSeq);
    segment.fh = await open(segment.logPath, 'wx+');
    try {
      await fsyncDir(this.dir);
    } catch (error) {
      await removeSegmentFiles(segment).catch(() => undefined);
      throw error;
    }
    this.#segments.push(segment);
    this.#active = segment;
    return segment;
  }

  /** Reads positions [pos, …) of one segment in one go; returns the next position. */
  async #readFromDisk(segment: Segment, pos: number, max: number, out: SpooledRecord<T>[]): Promise<number> {
    const start = segment.offsetAt(pos);
    let end = pos + 1;
    while (end < segment.count && end - pos < max && segment.offsetAt(end) + segment.sizeAt(end) - start <= READ_CHUNK) end++;
    const length = segment.offsetAt(end - 1) + segment.sizeAt(end - 1) - start;
    segment.fh ??= await open(segment.logPath, 'r');
    const data = Buffer.allocUnsafe(length);
    const { bytesRead } = await segment.fh.read(data, 0, length, start);
    for (let at = pos; at < end; at++) {
      if (segment.isGone(at)) continue;
      const offset = segment.offsetAt(at) - start;
      const frame = offset + segment.sizeAt(at) <= bytesRead ? checkFrame(data, offset) : null;
      const record = frame && frame.seq === segment.seqAt(at) ? decodeFrameWith(this.codec, data, offset, frame) : null;
      if (record) {
        out.push({ seq: frame!.seq, record });
      } else {
        this.hooks.onDamage(segment.logPath, 1, segment.sizeAt(at));
        this.#removeAt(segment, at);
      }
    }
    return end;
  }

  #removeAt(segment: Segment, pos: number): boolean {
    if (!segment.markGone(pos)) return false;
    const seq = segment.seqAt(pos);
    this.liveRecords--;
    this.liveBytes -= segment.sizeAt(pos);
    this.#cache.delete(seq);
    if (segment.sealed && segment.liveCount === 0) {
      this.#discard(segment);
    } else {
      segment.pendingAcks.push(seq);
      this.#acksPending = true;
    }
    this.hooks.onRemoved(seq);
    return true;
  }

  #seal(segment: Segment): void {
    segment.sealed = true;
    if (this.#active === segment) this.#active = null;
    if (segment.liveCount === 0) this.#discard(segment);
  }

  #discard(segment: Segment): void {
    const index = this.#segments.indexOf(segment);
    if (index !== -1) this.#segments.splice(index, 1);
    segment.pendingAcks = [];
    this.#doomed.push(segment);
  }

  /** The segment that may hold `seq`: the last one starting at or before it. */
  #segmentOf(seq: number): Segment | undefined {
    const segments = this.#segments;
    let lo = 0;
    let hi = segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segments[mid]!.firstSeq <= seq) {
        found = segments[mid];
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
