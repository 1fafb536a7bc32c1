/**
 * The durable accounting spool of one server group (`<accounting.spool>/<group>/`); with
 * another codec (spool-format.ts), the shared table's outage queue (mappings/redis/outage-journal.ts).
 *
 * Files: append-only segments `seg-<first seq, 16 hex>.log` of checksummed record frames,
 * each with an ack ledger `seg-<…>.acks` (byte layout in spool-format.ts):
 *   frame = magic "SP" | version 1 | kind | payload length | seq (u64) | CRC-32 | JSON payload
 *   ack   = seq (u64) | CRC-32
 *
 * Rules (test/accounting/spool*.test.ts checks each):
 * 1. Append: a record gets the next sequence number and joins a batch; a batch is written
 *    and fdatasync'd after `batchDelayMs` or `batchMaxRecords` records, whichever comes
 *    first (group commit). Only then can `read` return it: a record is durable before it
 *    is sent. `append` never waits and never throws: ingestion does not wait for accounting.
 * 2. Ack: a record leaves the spool only by `ack(seq)` (a SUCCESS reply) or by the cap
 *    policy. Acks are appended to the segment's ledger without an fsync of their own
 *    (at-least-once: after a power cut a few acked records may be sent again; none is
 *    lost; `close` makes them durable). A segment whose records are all gone is deleted;
 *    the active segment rolls at `segmentBytes`. A record acked before its batch was
 *    written (the outage queue applies an event before its group commit) leaves the spool
 *    as soon as it is written.
 * 3. Replay: `open` indexes every segment an earlier run left, minus its acks, and `read`
 *    returns the live records in sequence order, oldest first.
 * 4. Damage: a frame whose checksum fails or that is cut short is skipped (the scan resumes
 *    at the next intact frame), counted and reported as UID_ERR_SPOOL_CORRUPT, never a
 *    crash; the intact records around it are replayed.
 * 5. Cap (`maxBytes`, of live and queued records): the oldest WATCHDOGs are dropped first;
 *    when only STARTs and STOPs are left, new records are refused (UID_ERR_SPOOL_FULL).
 *    STARTs and STOPs are the audit trail: dropping the oldest would silently rewrite
 *    history, while refusing new ones is loud (event, counter) and ends as soon as a server
 *    answers. Files that outgrow the cap because of dropped records are compacted.
 * 6. I/O failure (full disk, unwritable directory): the batch is refused and counted, one
 *    UID_ERR_SPOOL_IO event per outage, and the next batch tries again. Until the directory
 *    has been read (normally in `open`) appends are refused, since new sequence numbers
 *    could repeat old ones; reading it is retried at most once a second.
 */
import type { AccountingEvent } from './accounting-events.js';
import type { AccountingRecord } from './record.js';
import { FRAME_HEADER, encodeFrame, isWatchdogCode, type SpoolCodec } from './spool-format.js';
import { SpoolHealth, type SpoolStats } from './spool-health.js';
import { SegmentStore, type QueuedRecord, type SpoolBatch } from './spool-store.js';

export type { SpoolBatch, SpooledRecord } from './spool-store.js';
export type { SpoolStats } from './spool-health.js';

export interface SpoolOptions<T = AccountingRecord> {
  readonly dir: string;
  /** What the spool holds (spool-format.ts): ACCOUNTING_RECORDS for accounting. */
  readonly codec: SpoolCodec<T>;
  /** The server group, named in events. */
  readonly group: string;
  /** Bytes of live records (`accounting.spoolMaxBytes`). */
  readonly maxBytes: number;
  /** Default: an eighth of the cap, between 16 KiB and 8 MiB. */
  readonly segmentBytes?: number;
  readonly batchDelayMs?: number;
  readonly batchMaxRecords?: number;
  /** Records kept in memory from being written until being read (beyond: read from disk). */
  readonly cacheRecords?: number;
  readonly onEvent?: (event: AccountingEvent) => void;
}

/** While the directory cannot be read, appends are refused and reading it is retried this often. */
const SCAN_RETRY_MS = 1000;

export class Spool<T = AccountingRecord> {
  /** Called after each batch is written (the dispatcher reads then). */
  onDurable: (() => void) | undefined;
  readonly #health: SpoolHealth;
  readonly #store: SegmentStore<T>;
  readonly #codec: SpoolCodec<T>;
  readonly #maxBytes: number;
  readonly #batchDelayMs: number;
  readonly #batchMax: number;
  #queue: QueuedRecord<T>[] = [];
  #queuedRecords = 0;
  #queuedBytes = 0;
  readonly #goneWaiters = new Map<number, () => void>();
  /** Records from this seq on are queued or being written, not yet in the files. */
  #firstUnwritten = 1;
  /** Of those, the ones already acked. */
  readonly #earlyAcks = new Set<number>();
  /** Every file operation runs on this chain, one at a time. */
  #io: Promise<unknown> = Promise.resolve();
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #scanned = false;
  #scanning = false;
  #lastScanAt = 0;
  #compacting = false;
  #closing = false;
  #closed = false;

  private constructor(options: SpoolOptions<T>) {
    this.#maxBytes = options.maxBytes;
    this.#codec = options.codec;
    this.#health = new SpoolHealth(options.group, options.maxBytes, options.onEvent);
    this.#batchDelayMs = options.batchDelayMs ?? 2;
    this.#batchMax = options.batchMaxRecords ?? 512;
    const segmentBytes = options.segmentBytes ?? Math.max(16 * 1024, Math.min(8 * 1024 * 1024, Math.floor(options.maxBytes / 8)));
    this.#store = new SegmentStore(options.dir, segmentBytes, options.cacheRecords ?? 8192, {
      onDamage: (file, regions, bytes) => this.#health.damaged(file, regions, bytes),
      onRemoved: (seq) => this.#removed(seq),
    }, options.codec);
  }

  /** Opens (creating) the directory and indexes what an earlier run left. Never throws. */
  static async open<T>(options: SpoolOptions<T>): Promise<Spool<T>> {
    const spool = new Spool(options);
    spool.#lastScanAt = Date.now();
    await spool.#serial(() => spool.#scan());
    return spool;
  }

  /** Counters for metrics (appended, acked, dropped, refused, corrupt, ioErrors). */
  get stats(): Readonly<SpoolStats> {
    return this.#health.stats;
  }

  /** Records waiting: written and not yet acked, plus those queued for writing. */
  get depth(): number {
    return this.#store.liveRecords + this.#queuedRecords;
  }

  get bytes(): number {
    return this.#store.liveBytes + this.#queuedBytes;
  }

  /** Bytes of segment files: gone records count until their segment is deleted or compacted. */
  get diskBytes(): number {
    return this.#store.diskBytes;
  }

  /** The highest sequence number written (0: none); `read` finds nothing beyond it. */
  get lastSeq(): number {
    return this.#store.lastSeq;
  }

  /** Queues a record; returns its sequence number, or 0 when refused (counted and reported). */
  append(record: T): number {
    if (this.#closing || !this.#scanned) {
      this.#health.stats.refused++;
      if (!this.#closing) this.#retryScan();
      return 0;
    }
    const payload = this.#codec.text(record);
    const payloadBytes = Buffer.byteLength(payload);
    const size = FRAME_HEADER + payloadBytes;
    if (this.bytes + size > this.#maxBytes && !this.#makeRoom(size)) {
      this.#health.stats.refused++;
      this.#health.setCap('full');
      return 0;
    }
    if (this.#health.cap !== 'ok' && this.bytes + size <= this.#maxBytes * 0.9) this.#health.setCap('ok');
    const seq = this.#store.nextSeq++;
    const kind = this.#codec.kind(record);
    this.#queue.push({ seq, kind, frame: encodeFrame(seq, kind, payload, payloadBytes), record });
    this.#queuedRecords++;
    this.#queuedBytes += size;
    this.#health.stats.appended++;
    if (this.#queue.length >= this.#batchMax) this.#startFlush();
    else this.#scheduleFlush();
    return seq;
  }

  /** Resolves once everything appended and acked so far is written (or refused). */
  async flush(): Promise<void> {
    while (!this.#closed && (this.#queue.length > 0 || this.#store.hasDiskWork || this.#flushing)) {
      this.#startFlush();
      await this.#flushing;
    }
  }

  /**
   * What `read` would return from the memory cache alone, at once: the live written records
   * from `fromSeq` on, up to `max` or to the first one only the disk still holds. Safe
   * outside the I/O chain: it touches no file, and the index changes only between awaits.
   */
  readCached(fromSeq: number, max: number): SpoolBatch<T> {
    return this.#scanned && !this.#closed ? this.#store.readCached(fromSeq, max) : { records: [], nextSeq: fromSeq };
  }

  /** Up to `max` live written records with seq >= fromSeq, in order (from the cache, else the disk). */
  read(fromSeq: number, max: number): Promise<SpoolBatch<T>> {
    return this.#serial(() =>
      this.#store.read(fromSeq, max).catch((error: unknown) => {
        this.#health.ioError(error); // the dispatcher asks again after the next batch
        return { records: [], nextSeq: fromSeq };
      }),
    );
  }

  isLive(seq: number): boolean {
    return this.#store.isLive(seq);
  }

  /** The record was delivered (SUCCESS): it leaves the spool. Unknown or gone seqs are ignored. */
  ack(seq: number): void {
    if (this.#closed) return;
    if (this.#store.remove(seq)) this.#health.stats.acked++;
    else if (seq >= this.#firstUnwritten && seq < this.#store.nextSeq) this.#earlyAcks.add(seq);
  }

  /**
   * Resolves when `seq` (just appended) leaves the spool: acked or dropped. A record refused
   * by a failed write never leaves, so callers bound the wait.
   */
  whenGone(seq: number): Promise<void> {
    if (seq <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#goneWaiters.get(seq);
      this.#goneWaiters.set(seq, previous ? () => (previous(), resolve()) : resolve);
    });
  }

  /** Writes what is queued, makes the acks durable and closes the files; later appends are refused. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.flush();
    await this.#serial(async () => {
      this.#closed = true;
      clearTimeout(this.#timer);
      this.#goneWaiters.clear();
      for (const error of await this.#store.close()) this.#health.ioError(error);
    });
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#io.then(operation);
    this.#io = run.then(noop, noop);
    return run;
  }

  async #scan(): Promise<void> {
    try {
      const found = await this.#store.scan();
      this.#firstUnwritten = this.#store.nextSeq;
      this.#scanned = true;
      this.#health.ioRecovered();
      this.#health.onEvent?.({ type: 'spool-opened', group: this.#health.group, records: found.records, bytes: this.#store.liveBytes, segments: found.segments });
    } catch (error) {
      this.#health.ioError(error);
    }
  }

  #retryScan(): void {
    const now = Date.now();
    if (this.#scanning || now - this.#lastScanAt < SCAN_RETRY_MS) return;
    this.#scanning = true;
    this.#lastScanAt = now;
    void this.#serial(() => this.#scan()).finally(() => {
      this.#scanning = false;
    });
  }

  #scheduleFlush(): void {
    if (this.#flushing || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startFlush();
    }, this.#batchDelayMs);
  }

  /** One batch per turn of the I/O chain, so reads are not starved by a steady stream. */
  #startFlush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#flushing || this.#closed) return;
    this.#flushing = this.#serial(() => this.#flushOnce()).finally(() => {
      this.#flushing = null;
      if (this.#queue.length > 0 || this.#store.hasDiskWork) this.#startFlush();
    });
  }

  async #flushOnce(): Promise<void> {
    if (this.#queue.length > 0) {
      const batch = this.#queue.length > this.#batchMax ? this.#queue.splice(0, this.#batchMax) : this.#queue;
      if (batch === this.#queue) this.#queue = [];
      let bytes = 0;
      for (const queued of batch) bytes += queued.frame.length;
      let written = false;
      try {
        await this.#store.write(batch, bytes);
        written = true;
        this.#health.ioRecovered();
      } catch (error) {
        this.#health.stats.refused += batch.length;
        this.#health.ioError(error);
      } finally {
        this.#queuedRecords -= batch.length;
        this.#queuedBytes -= bytes;
        this.#firstUnwritten = batch[batch.length - 1]!.seq + 1;
      }
      if (this.#earlyAcks.size > 0) {
        for (const { seq } of batch) if (this.#earlyAcks.delete(seq) && written && this.#store.remove(seq)) this.#health.stats.acked++;
      }
      this.onDurable?.();
    }
    if (this.#store.hasDiskWork) for (const error of await this.#store.writeAcksAndRemovals()) this.#health.ioError(error);
  }

  /**
   * Cap policy: drops the oldest WATCHDOGs (written ones, then queued ones) until `size` more
   * bytes fit; false if they cannot.
   */
  #makeRoom(size: number): boolean {
    let dropped = 0;
    while (this.bytes + size > this.#maxBytes && this.#store.dropOldestWatchdog()) dropped++;
    for (let i = 0; i < this.#queue.length && this.bytes + size > this.#maxBytes; ) {
      const queued = this.#queue[i]!;
      if (!isWatchdogCode(queued.kind)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#queuedRecords--;
      this.#queuedBytes -= queued.frame.length;
      this.#removed(queued.seq);
      dropped++;
    }
    if (dropped > 0) {
      this.#health.stats.dropped += dropped;
      this.#health.setCap('dropping');
      this.#compactIfOverCap();
    }
    return this.bytes + size <= this.#maxBytes;
  }

  #compactIfOverCap(): void {
    if (this.#compacting || this.#store.diskBytes <= this.#maxBytes) return;
    this.#compacting = true;
    void this.#serial(() => this.#store.compact(this.#maxBytes).catch((error: unknown) => this.#health.ioError(error))).finally(() => {
      this.#compacting = false;
    });
  }

  #removed(seq: number): void {
    this.#scheduleFlush(); // its ack entry, or its emptied segment's removal
    if (this.#goneWaiters.size === 0) return;
    this.#goneWaiters.get(seq)?.();
    this.#goneWaiters.delete(seq);
  }

}

function noop(): void {}
