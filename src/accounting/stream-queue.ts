/**
 * One accounting group's records taken from the shared table's change stream (keys.ts
 * rule 4), for its Dispatcher (the RecordQueue a spool is otherwise): the stream, not a
 * local file, is where the group's records wait. Each group has a consumer group of its
 * own (`acct:<group>`), so one group's server being down holds back only its records.
 *
 * Rules (test/integration/shared-accounting.test.ts checks them with two listeners):
 * 1. Only the accounting leader reads (stream-accounting.ts), so records of one session
 *    leave in stream order, START before STOP, from one listener at a time.
 * 2. On becoming leader, first every entry still pending in the group, whoever it was
 *    delivered to (XAUTOCLAIM from 0-0, in id order, of entries idle for claimIdleMs, so
 *    none a live listener is sending is taken), until no other consumer holds any; then
 *    new ones (XREADGROUP `>`).
 * 3. An entry is acknowledged (XACK) only once every record it yields was acknowledged
 *    by a TACACS+ server (RFC 8907 §7.2 REPLY with status SUCCESS), or yields none, or
 *    was discarded as never sendable. Acks that cannot reach Redis are kept and retried,
 *    also after this queue stopped (stream-acks.ts).
 * 4. Records are built from the entry alone (its change and time `t`), so whichever
 *    listener sends them sends the same record, task_id = the mapping id made in Redis.
 * 5. At most `lookahead` records are held in memory; the rest wait in Redis.
 */
import type { RedisClient } from '../mappings/redis/connect.js';
import { decodeChange } from '../mappings/redis/codec.js';
import type { RecordQueue } from './dispatcher.js';
import type { AccountingRecord } from './record.js';
import { recordsForChange, type RecordPolicy } from './records.js';
import type { SpoolBatch, SpooledRecord } from './spool.js';
import type { PendingAcks } from './stream-acks.js';

export interface StreamQueueOptions {
  /** A connection of its own (XREADGROUP BLOCK holds it). */
  readonly client: RedisClient;
  /** The group's acks, on another connection so they never wait behind a blocked read; they outlive this queue. */
  readonly acks: PendingAcks;
  readonly stream: string;
  /** The consumer group (`acct:<group>`). */
  readonly group: string;
  readonly consumer: string;
  readonly policy: RecordPolicy;
  /** False: the record is refused (a field over 255 octets), counted by the caller. */
  readonly admit: (record: AccountingRecord) => boolean;
  readonly lookahead?: number;
  /** Records delivered to another consumer are claimed once idle this long (the lease period). */
  readonly claimIdleMs: number;
}

const READ_COUNT = 256;
const BLOCK_MS = 1000;
const RETRY_MS = 250;

export class StreamQueue implements RecordQueue {
  onDurable: (() => void) | undefined;
  readonly #options: StreamQueueOptions;
  readonly #lookahead: number;
  /** Held records by seq, with the entry each came from. */
  readonly #held = new Map<number, { readonly record: AccountingRecord; readonly entry: string }>();
  /** Records of each held entry not yet acknowledged. */
  readonly #remaining = new Map<string, number>();
  /** Held records not yet read by the dispatcher, in seq order. */
  #unread: SpooledRecord[] = [];
  #lastSeq = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: StreamQueueOptions) {
    this.#options = options;
    this.#lookahead = options.lookahead ?? 4096;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Stream entries delivered to this listener and not yet acknowledged. */
  get pending(): number {
    return this.#remaining.size;
  }

  isLive(seq: number): boolean {
    return this.#held.has(seq);
  }

  ack(seq: number): void {
    const held = this.#held.get(seq);
    if (!held) return;
    this.#held.delete(seq);
    const left = (this.#remaining.get(held.entry) ?? 1) - 1;
    if (left > 0) this.#remaining.set(held.entry, left);
    else this.#settle(held.entry);
  }

  readCached(fromSeq: number, max: number): SpoolBatch {
    let skip = 0;
    while (skip < this.#unread.length && this.#unread[skip]!.seq < fromSeq) skip++;
    const records = this.#unread.slice(skip, skip + max);
    this.#unread = this.#unread.slice(skip + records.length);
    return { records, nextSeq: records.length > 0 ? records[records.length - 1]!.seq + 1 : fromSeq };
  }

  read(fromSeq: number, max: number): Promise<SpoolBatch> {
    return Promise.resolve(this.readCached(fromSeq, max));
  }

  /** Creates the consumer group if needed (from new entries on) and starts reading. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /**
   * Stops reading. What is held stays pending in Redis for the next leader (or this one
   * again); acks already due stay with `acks`, sent when Redis answers.
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop; // a blocked read returns within BLOCK_MS
    await this.#options.acks.flush().catch(() => {});
    this.#options.client.disconnect();
    this.#held.clear();
    this.#remaining.clear();
    this.#unread = [];
  }

  async #run(): Promise<void> {
    let claimed = false;
    while (this.#running) {
      try {
        await this.#options.acks.flush();
        if (!claimed) {
          await this.#createGroup();
          await this.#claimAll();
          claimed = true;
        }
        if (this.#held.size >= this.#lookahead) {
          await new Promise<void>((resolve) => { this.#wake = resolve; });
          continue;
        }
        const { client, stream, group, consumer } = this.#options;
        const reply = (await client.xreadgroup('GROUP', group, consumer, 'COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', stream, '>')) as
          [string, [string, string[] | null][]][] | null;
        if (reply) this.#take(reply[0]?.[1] ?? []);
      } catch {
        if (!this.#running) return;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  async #createGroup(): Promise<void> {
    await createConsumerGroup(this.#options.client, this.#options.stream, this.#options.group);
  }

  /** Rule 2: every pending entry of the group becomes this consumer's, oldest first. */
  async #claimAll(): Promise<void> {
    const { client, stream, group, consumer, claimIdleMs } = this.#options;
    while (this.#running) {
      let cursor = '0-0';
      do {
        const [next, entries, deleted] = (await client.xautoclaim(stream, group, consumer, claimIdleMs, cursor, 'COUNT', READ_COUNT)) as
          [string, [string, string[] | null][], string[]?];
        this.#take(entries);
        // Entries trimmed away while pending (never by our trim, which spares them) have nothing to send.
        for (const id of deleted ?? []) this.#settle(id);
        cursor = next;
      } while (cursor !== '0-0' && this.#running);
      const summary = (await client.xpending(stream, group)) as [number, string | null, string | null, [string, string][] | null];
      if ((summary[3] ?? []).every(([name]) => name === consumer)) return;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  #take(entries: readonly [string, string[] | null][]): void {
    let added = false;
    for (const [id, fields] of entries) {
      if (this.#remaining.has(id)) continue; // already held (claimed again after a reconnect)
      const records = fields ? this.#recordsOf(fields) : [];
      if (records.length === 0) {
        this.#settle(id);
        continue;
      }
      this.#remaining.set(id, records.length);
      for (const record of records) {
        const seq = ++this.#lastSeq;
        this.#held.set(seq, { record, entry: id });
        this.#unread.push({ seq, record });
      }
      added = true;
    }
    if (added) this.onDurable?.();
  }

  #recordsOf(fields: string[]): AccountingRecord[] {
    let logged;
    try {
      logged = decodeChange(fields);
    } catch {
      return []; // not a change our scripts wrote: nothing to send, acknowledged
    }
    const { change, at } = logged;
    return recordsForChange(change, this.#options.policy, at).filter((record) => this.#options.admit(record));
  }

  /** Rule 3: the entry is done; its XACK goes now, or when Redis is back. */
  #settle(entry: string): void {
    this.#remaining.delete(entry);
    this.#options.acks.add(entry);
    if (this.#held.size < this.#lookahead) {
      this.#wake?.();
      this.#wake = undefined;
    }
  }
}

/**
 * Creates a group's consumer group on the stream if it does not exist, reading from new
 * entries on: records of changes made before accounting ever ran are not sent (a new
 * group would otherwise replay the whole retained history). Listeners create it when
 * their accounting starts, before they take traffic.
 */
export async function createConsumerGroup(client: RedisClient, stream: string, group: string): Promise<void> {
  try {
    await client.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
  } catch (error) {
    if (!String((error as Error).message).startsWith('BUSYGROUP')) throw error;
  }
}
