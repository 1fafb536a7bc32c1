/**
 * Sends one group's spooled records through its RecordSender (the ServerGroup) and acks
 * each on SUCCESS.
 *
 * - Order: records are read from the spool oldest first. Records with the same `orderKey`
 *   (one mapping's task_id) go one at a time, in sequence order: a later one waits until
 *   the earlier is acked, so a STOP never overtakes its START, even across retries.
 * - Window: up to `window` records of different keys are in flight at once (the transport
 *   multiplexes them on a single-connect connection); `lookahead` bounds what is held in
 *   memory, the rest waits on disk.
 * - Release: when a batch becomes durable the spool calls `onDurable`, and the records
 *   still in its memory cache are taken at once, in that same turn (`readCached`); only
 *   records the cache no longer holds wait for a disk read on the spool's I/O chain.
 * - Retry: a record rejected with a retriable error (retry.ts decides, STYLE §6) stays and
 *   is tried again after its own backoff (`retryBaseMs` doubling to `retryMaxMs`). While
 *   sends fail, one record is tried at a time, no sooner than half the last backoff after
 *   the last failure: a dead group is probed, not hammered. Because a record's own wait is
 *   twice that spacing, the next probe is another record, so one record a server keeps
 *   refusing holds back only its own session. A non-retriable rejection (the record can
 *   never be sent as it is) removes it, with an event: it would otherwise block its session.
 */
import { UidError } from '../errors.js';
import type { AccountingEvent } from './accounting-events.js';
import { MinHeap } from '../shared/min-heap.js';
import type { AccountingRecord, RecordSender } from './record.js';
import { isRetriable } from './retry.js';
import type { Spool, SpoolBatch } from './spool.js';

export interface DispatcherOptions {
  readonly group: string;
  readonly spool: Spool;
  readonly sender: RecordSender;
  /** Records in flight at once; default the sender's `sendWindow`, else 64. */
  readonly window?: number;
  /** Records read ahead from the spool; default twice the window, at least 1024. */
  readonly lookahead?: number;
  /** Backoff of a failed record: base, doubling per attempt up to max. Defaults 500 ms, 30 s. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly onEvent?: (event: AccountingEvent) => void;
}

/** Plain counters (`uid_accounting_records_total{group,outcome}`: sent, failed). */
export interface DispatcherStats {
  /** Records acknowledged with SUCCESS. */
  sent: number;
  /** Send attempts that failed (each retry counts). */
  failed: number;
  /** Records removed after a non-retriable rejection. */
  discarded: number;
}

interface Entry {
  readonly seq: number;
  readonly record: AccountingRecord;
  attempts: number;
  retryAt: number;
  /** Sent while sends were failing: one probe of a dead group (see #failed). */
  probe: boolean;
  /** The next record of the same order key; it becomes ready when this one is done. */
  next: Entry | null;
}

export class Dispatcher {
  readonly stats: DispatcherStats = { sent: 0, failed: 0, discarded: 0 };
  readonly #group: string;
  readonly #spool: Spool;
  readonly #sender: RecordSender;
  readonly #window: number;
  readonly #lookahead: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #onEvent: ((event: AccountingEvent) => void) | undefined;
  /** Heads of their key's chain, due now, oldest first. */
  readonly #ready = new MinHeap<Entry>((a, b) => a.seq < b.seq);
  /** Failed records waiting out their backoff, earliest first. */
  readonly #waiting = new MinHeap<Entry>((a, b) => a.retryAt < b.retryAt || (a.retryAt === b.retryAt && a.seq < b.seq));
  /** The last held record of each order key (the tail of its chain). */
  readonly #tails = new Map<string, Entry>();
  #held = 0;
  #inFlight = 0;
  #nextSeq = 1;
  #reading = false;
  #consecutiveFailures = 0;
  #gateAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #running = false;
  #idle: (() => void) | undefined;
  readonly #pump = (): void => this.#run();

  constructor(options: DispatcherOptions) {
    this.#group = options.group;
    this.#spool = options.spool;
    this.#sender = options.sender;
    this.#window = Math.max(1, options.window ?? options.sender.sendWindow ?? 64);
    this.#lookahead = Math.max(this.#window, options.lookahead ?? Math.max(1024, 2 * this.#window));
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#retryMaxMs = Math.max(this.#retryBaseMs, options.retryMaxMs ?? 30_000);
    this.#onEvent = options.onEvent;
  }

  /** Records being sent right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** True while sends fail (one probe at a time). */
  get failing(): boolean {
    return this.#consecutiveFailures > 0;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#spool.onDurable = this.#pump;
    this.#run();
  }

  /** Sends nothing new; resolves when the records in flight have settled (callers bound the wait). */
  stop(): Promise<void> {
    this.#running = false;
    if (this.#spool.onDurable === this.#pump) this.#spool.onDurable = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }

  #run(): void {
    if (!this.#running) return;
    const now = Date.now();
    while (this.#waiting.size > 0 && this.#waiting.peek()!.retryAt <= now) this.#ready.push(this.#waiting.pop()!);
    this.#fill();
    const failing = this.#consecutiveFailures > 0;
    const limit = failing ? 1 : this.#window;
    while (this.#inFlight < limit && this.#ready.size > 0 && !(failing && now < this.#gateAt)) {
      const entry = this.#ready.pop()!;
      if (this.#spool.isLive(entry.seq)) this.#send(entry);
      else this.#done(entry); // dropped by the spool's cap policy meanwhile
    }
    this.#arm(now);
  }

  #send(entry: Entry): void {
    this.#inFlight++;
    entry.probe = this.#consecutiveFailures > 0;
    let sending: Promise<void>;
    try {
      sending = this.#sender.send(entry.record);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => this.#succeeded(entry),
      (error: unknown) => this.#failed(entry, error),
    );
  }

  #succeeded(entry: Entry): void {
    this.#settled();
    this.stats.sent++;
    this.#consecutiveFailures = 0;
    this.#spool.ack(entry.seq);
    this.#done(entry);
    this.#run();
  }

  #failed(entry: Entry, error: unknown): void {
    this.#settled();
    if (!isRetriable(error)) {
      this.stats.discarded++;
      this.#spool.ack(entry.seq);
      this.#done(entry);
      this.#onEvent?.({
        type: 'record-discarded',
        group: this.#group,
        taskId: entry.record.orderKey,
        code: error instanceof UidError ? error.code : 'unknown',
        message: error instanceof Error ? error.message : String(error),
      });
    } else {
      this.stats.failed++;
      const now = Date.now();
      // Only probes make the spacing grow: a window of records that fail together is one
      // failure of the group, not 64 (which would space the next probe at retryMaxMs / 2).
      this.#consecutiveFailures = entry.probe ? this.#consecutiveFailures + 1 : Math.max(1, this.#consecutiveFailures);
      this.#gateAt = now + this.#backoff(this.#consecutiveFailures) / 2;
      entry.attempts++;
      entry.retryAt = now + this.#backoff(entry.attempts);
      this.#waiting.push(entry);
    }
    this.#run();
  }

  #settled(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#idle) {
      this.#idle();
      this.#idle = undefined;
    }
  }

  /** The record left for good: its key's next record, if held, becomes ready. */
  #done(entry: Entry): void {
    this.#held--;
    if (entry.next) this.#ready.push(entry.next);
    else if (this.#tails.get(entry.record.orderKey) === entry) this.#tails.delete(entry.record.orderKey);
  }

  #backoff(attempts: number): number {
    return Math.min(this.#retryMaxMs, this.#retryBaseMs * 2 ** Math.min(attempts - 1, 30));
  }

  /**
   * Takes more from the spool when there is room and something new to read: what its
   * cache holds at once, else through a disk read (then runs again).
   */
  #fill(): void {
    if (this.#reading || this.#held >= this.#lookahead || this.#spool.lastSeq < this.#nextSeq) return;
    if (this.#take(this.#spool.readCached(this.#nextSeq, this.#lookahead - this.#held)) > 0) return;
    this.#reading = true;
    void this.#spool.read(this.#nextSeq, this.#lookahead - this.#held).then((batch) => {
      this.#reading = false;
      if (this.#take(batch) > 0) this.#run();
    });
  }

  /** Holds the records of a batch read from the spool; returns how many. */
  #take(batch: SpoolBatch): number {
    this.#nextSeq = Math.max(this.#nextSeq, batch.nextSeq);
    for (const { seq, record } of batch.records) this.#hold(seq, record);
    return batch.records.length;
  }

  #hold(seq: number, record: AccountingRecord): void {
    const entry: Entry = { seq, record, attempts: 0, retryAt: 0, probe: false, next: null };
    this.#held++;
    const tail = this.#tails.get(record.orderKey);
    this.#tails.set(record.orderKey, entry);
    if (tail) tail.next = entry;
    else this.#ready.push(entry);
  }

  /** One timer for the earliest moment something may be sent: a retry due, or the probe gate. */
  #arm(now: number): void {
    let at = this.#waiting.size > 0 ? this.#waiting.peek()!.retryAt : Infinity;
    if (this.#consecutiveFailures > 0 && this.#inFlight === 0 && this.#ready.size > 0) at = Math.min(at, this.#gateAt);
    if (at === Infinity || (this.#timer && this.#timerAt <= at)) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#run();
    }, Math.max(0, at - now));
  }
}
