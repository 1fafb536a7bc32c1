/**
 * The mapping table shared by several listeners on Redis (DESIGN §5 "Shared table").
 *
 * - Writes: each login, logout and admin delete runs APPLY_SCRIPT (scripts.ts), which
 *   changes the table and appends the change to the stream in one atomic step. `apply`
 *   resolves with that change once this listener's replica has applied it, so a caller
 *   that awaits it then reads its own write.
 * - Reads: from the local replica (replica.ts), fed by the stream (change-feed.ts): no
 *   round trip to Redis per lookup. The replica is a shared-memory store, so `share()`
 *   lets a lookup thread read it as it reads the memory table. Subscribers receive every
 *   change made on any listener, in stream order.
 * - Expiry: every listener runs SWEEP_SCRIPT each second; whichever gets there first
 *   expires a mapping, once. The stream is trimmed to `streamMaxEntries` by TRIM_SCRIPT.
 * - Redis unavailable: events wait in a bounded queue (outage-queue.ts), kept in a file
 *   (outage-journal.ts) so a restart finds them, and are applied in order when it is back;
 *   lookups answer from the replica, marked stale.
 */
import { ReplyError } from 'ioredis';
import type { Spool } from '../../accounting/spool.js';
import { UidError } from '../../errors.js';
import type { IdentityEvent } from '../../identify/event.js';
import { ChangeListeners } from '../change-listeners.js';
import { newTableStats, type MappingTableEvent, type MappingTableStats } from '../events.js';
import { REFRESH_RESOLUTION_MS } from '../memory-table.js';
import type { ChangeListener, Mapping, MappingChange, MappingPage, MappingTable } from '../table.js';
import type { TableShare } from '../table-reader.js';
import { userKey } from '../user-names.js';
import { ChangeFeed } from './change-feed.js';
import { decodeMapping, type LoggedChange } from './codec.js';
import type { RedisClient, RedisConnector } from './connect.js';
import { newRedisStoreStats, type RedisStoreEvent, type RedisStoreStats } from './events.js';
import { tableKeys, type TableKeys } from './keys.js';
import { OutageQueue } from './outage-queue.js';
import { Replica, type DropReason } from './replica.js';
import { APPLY_SCRIPT, SWEEP_SCRIPT, TRIM_SCRIPT } from './scripts.js';
import { openOutageJournal } from './outage-journal.js';

export interface RedisMappingTableOptions {
  readonly connect: RedisConnector;
  readonly keyPrefix: string;
  readonly timeoutMinutes: number;
  readonly maxEntries: number;
  readonly queueMaxEvents: number;
  /** The outage queue's folder (outage-journal.ts); absent: in memory only, lost with the process. */
  readonly queuePath?: string;
  readonly streamMaxEntries: number;
  /** Epoch ms. Default: Redis' own clock in the scripts (one clock for all listeners) and Date.now for reads. */
  readonly now?: () => number;
  /** Default 1000 ms; 0: no timer (tests call `sweep()`). */
  readonly sweepIntervalMs?: number;
  readonly onEvent?: (event: MappingTableEvent) => void;
  readonly onStoreEvent?: (event: RedisStoreEvent) => void;
}

type ApplyReply = [string | null, string, string?];

type ScriptClient = RedisClient & {
  uidApply(...args: (string | number)[]): Promise<ApplyReply>;
  uidSweep(...args: (string | number)[]): Promise<number>;
  uidTrim(...args: (string | number)[]): Promise<string | null>;
};

type Action = 'login' | 'logout' | 'delete';

const SWEEP_BATCH = 1000;
const TRIM_INTERVAL_MS = 10_000;

export class RedisMappingTable implements MappingTable {
  readonly stats: MappingTableStats = newTableStats();
  readonly storeStats: RedisStoreStats = newRedisStoreStats();
  readonly keys: TableKeys;
  /** New connections to this table's Redis (accounting reads the change stream on its own). */
  readonly connect: RedisConnector;
  readonly #options: RedisMappingTableOptions;
  readonly #client: ScriptClient;
  readonly #replica: Replica;
  readonly #feed: ChangeFeed;
  readonly #queue: OutageQueue<IdentityEvent>;
  /** The queue's file, once `start` opened it. */
  #journal: Spool<IdentityEvent> | undefined;
  readonly #ttlMs: number;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #listeners: ChangeListeners;
  /** Redis not reachable (true until the first connect), since when, and whether a log line said so. */
  #down = true;
  #downSince = Date.now();
  #announced = false;
  #lastError = 'not connected yet';
  #draining = false;
  #closed = false;

  constructor(options: RedisMappingTableOptions) {
    this.#options = options;
    this.keys = tableKeys(options.keyPrefix);
    this.connect = options.connect;
    this.#listeners = new ChangeListeners(this.stats, options.onEvent);
    this.#ttlMs = options.timeoutMinutes * 60_000;
    this.#replica = new Replica(options.maxEntries, (reason) => this.#dropped(reason));
    this.#queue = new OutageQueue(options.queueMaxEvents, (dropped) => this.#store({
      type: 'store-queue-full', code: 'UID_ERR_STORE_QUEUE_FULL', limit: options.queueMaxEvents, dropped,
    }), { append: (event) => this.#journal?.append(event) ?? 0, ack: (seq) => this.#journal?.ack(seq) });
    const client = options.connect('commands') as ScriptClient;
    client.defineCommand('uidApply', { numberOfKeys: 4, lua: APPLY_SCRIPT });
    client.defineCommand('uidSweep', { numberOfKeys: 3, lua: SWEEP_SCRIPT });
    client.defineCommand('uidTrim', { numberOfKeys: 2, lua: TRIM_SCRIPT });
    client.on('error', (error: Error) => {
      this.#lastError = error.message;
    });
    client.on('close', () => this.#lost());
    client.on('ready', () => this.#back());
    this.#client = client;
    const reader = options.connect('reader');
    this.#feed = new ChangeFeed({
      client, reader, keys: this.keys, replica: this.#replica,
      onChange: (logged) => this.#changed(logged),
      onLoaded: ({ mappings, ms, lastId, reason }) => {
        this.#markStale();
        if (reason === null) this.#store({ type: 'store-loaded', mappings, ms, lastId });
        else {
          this.storeStats.reloads++;
          this.#store({ type: 'store-reloaded', reason, mappings });
        }
      },
    });
  }

  /**
   * Reads back the outage queue an earlier run left, starts the feed and the sweep.
   * Resolves once the replica holds the table, or after `waitMs` when Redis cannot be
   * reached: the listener starts anyway (stale) and catches up.
   */
  async start(waitMs = 5000): Promise<void> {
    if (this.#options.queuePath !== undefined) {
      const { spool, restored } = await openOutageJournal(this.#options.queuePath, (event) => this.#store(event));
      this.#journal = spool;
      this.#queue.restore(restored);
      this.storeStats.queued += restored.length;
    }
    this.#feed.start();
    const interval = this.#options.sweepIntervalMs ?? 1000;
    if (interval > 0) {
      this.#timers.push(setInterval(() => void this.sweep().catch(() => {}), interval).unref());
      this.#timers.push(setInterval(() => void this.trim().catch(() => {}), TRIM_INTERVAL_MS).unref());
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#feed.whenLoaded(), new Promise((resolve) => { timer = setTimeout(resolve, waitMs); })]);
    clearTimeout(timer);
    // What the file held goes once the replica is loaded, so this listener sees its changes
    // as changes; or when Redis comes (#back).
    void this.#drain();
    if (!this.#feed.loaded) {
      this.#announced = true;
      this.#store({ type: 'store-unavailable', code: 'UID_ERR_STORE_UNAVAILABLE', reason: `starting without the shared table: ${this.#lastError}`, queued: this.#queue.size });
    }
  }

  get size(): number {
    return this.#replica.size;
  }

  /** The replica's buffers, for a reader on another thread (shared-memory/reader.ts openTableReader). */
  share(): TableShare {
    return this.#replica.share();
  }

  /** True while lookups may miss changes: Redis unreachable, or the replica not loaded yet. */
  get stale(): boolean {
    return this.#client.status !== 'ready' || !this.#feed.loaded;
  }

  /** What /metrics shows of it (observability/store-metrics.ts). */
  metricsView(): { up: boolean; queueDepth: number; stats: Readonly<RedisStoreStats> } {
    return { up: this.#client.status === 'ready', queueDepth: this.#queue.size, stats: this.storeStats };
  }

  /** Why the table is degraded, or null when it is not (for /healthz). */
  get degradedReason(): string | null {
    if (!this.#feed.loaded) return `the shared table has not been loaded from Redis yet: ${this.#lastError}`;
    if (this.#client.status !== 'ready') return `Redis is unreachable (${this.#lastError}); ${this.#queue.size} events queued, lookups answer from the local replica`;
    return null;
  }

  get queueDepth(): number {
    return this.#queue.size;
  }

  apply(event: IdentityEvent): Promise<MappingChange | null> | null {
    if (this.#queue.size > 0 || this.#client.status !== 'ready') {
      this.#enqueue(event);
      return null;
    }
    return this.#run(event.event, event, true);
  }

  get(ip: string): Mapping | undefined {
    return this.#replica.get(ip, this.#readNow());
  }

  byUser(user: string): readonly Mapping[] {
    return this.#replica.byUser(user, this.#readNow());
  }

  page(cursor: string | undefined, limit: number): MappingPage {
    return this.#replica.page(cursor, limit, this.#readNow());
  }

  /** Admin removal; needs Redis (an admin action is not queued: its answer says whether it happened). */
  async delete(ip: string): Promise<MappingChange | null> {
    if (this.#client.status !== 'ready') throw this.#unavailable();
    return this.#run('delete', { event: 'logout', ip, user: '', sender: '', profile: '' }, false);
  }

  subscribe(listener: ChangeListener): () => void {
    return this.#listeners.subscribe(listener);
  }

  /** Expires what is due (every listener calls it each second); resolves when the replica has seen it. */
  async sweep(): Promise<void> {
    let looked = SWEEP_BATCH;
    while (looked === SWEEP_BATCH && !this.#closed) {
      looked = await this.#client.uidSweep(this.keys.map, this.keys.exp, this.keys.log, this.#scriptNow(), SWEEP_BATCH);
    }
    await this.#feed.caughtUp();
  }

  /** Resolves once the replica has applied every change in the stream now. */
  caughtUp(): Promise<void> {
    return this.#feed.caughtUp();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    await this.#feed.close();
    this.#client.disconnect();
    await this.#journal?.close(); // what still waits stays in the file for the next start
  }

  async #run(action: Action, event: IdentityEvent, queueIfLost: boolean): Promise<MappingChange | null> {
    let reply: ApplyReply;
    try {
      reply = await this.#exec(action, event);
    } catch (error) {
      if (error instanceof ReplyError) {
        this.storeStats.scriptErrors++;
        this.#store({ type: 'store-script-error', error });
        return null;
      }
      if (!queueIfLost) throw this.#unavailable(error);
      this.#enqueue(event); // the connection went while it was in flight: it waits with the others
      return null;
    }
    return this.#settle(event, reply);
  }

  #exec(action: Action, event: IdentityEvent): Promise<ApplyReply> {
    const { map, exp, log, ids } = this.keys;
    this.storeStats.applied++;
    return this.#client.uidApply(map, exp, log, ids, this.#scriptNow(), action, event.ip, event.user, userKey(event.user),
      event.sender, event.profile, event.timeoutMs ?? this.#ttlMs, this.#options.maxEntries, REFRESH_RESOLUTION_MS,
      Date.now().toString(36));
  }

  async #settle(event: IdentityEvent, [lastId, outcome, raw]: ApplyReply): Promise<MappingChange | null> {
    switch (outcome) {
      case 'coalesced': {
        // Nothing was written (a heartbeat within a second): report it here only, as memory does.
        const mapping = this.#replica.peek(event.ip) ?? decodeMapping(event.ip, raw!);
        return this.#emit({ kind: 'refreshed', mapping, newinfo: false });
      }
      case 'unmatched':
      case 'ignored':
        if (outcome === 'unmatched') this.stats.logoutsUnmatched++;
        else this.stats.logoutsIgnored++;
        if (lastId) await this.#feed.whenApplied(lastId);
        return null;
      default:
        return lastId ? this.#feed.whenApplied(lastId) : null;
    }
  }

  #enqueue(event: IdentityEvent): void {
    if (this.#queue.push(event)) this.storeStats.queued++;
    else this.storeStats.queueOverflow++;
  }

  /** Applies what waited, in order, a batch at a time (pipelined on the one connection). */
  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.size > 0 && this.#client.status === 'ready' && !this.#closed) {
        const batch = this.#queue.take(256);
        const results = await Promise.allSettled(batch.map(({ item }) => this.#exec(item.event, item)));
        const lost = results.findIndex((r) => r.status === 'rejected' && !(r.reason instanceof ReplyError));
        // Applied, or refused by the script (it would refuse again): out of the file.
        this.#queue.applied(lost === -1 ? batch : batch.slice(0, lost));
        if (lost !== -1) {
          this.#queue.putBack(batch.slice(lost)); // Redis went again: these go first next time
          return;
        }
        for (const [i, result] of results.entries()) {
          if (result.status === 'fulfilled') void this.#settle(batch[i]!.item, result.value);
          else this.storeStats.scriptErrors++;
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  #lost(): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#downSince = Date.now();
    this.#announced = true;
    this.#store({ type: 'store-unavailable', code: 'UID_ERR_STORE_UNAVAILABLE', reason: this.#lastError, queued: this.#queue.size });
    this.#markStale();
  }

  #back(): void {
    if (this.#announced) this.#store({ type: 'store-available', outageMs: Date.now() - this.#downSince, queued: this.#queue.size });
    this.#down = false;
    this.#announced = false;
    this.#queue.outageEnded();
    this.#markStale();
    void this.#drain();
  }

  /** Readers on other threads see `stale` as this thread does. */
  #markStale(): void {
    this.#replica.stale = this.stale;
  }

  /** A mapping of the shared table this replica does not hold: counted, logged at the first and each power of ten. */
  #dropped(reason: DropReason): void {
    const dropped = ++this.storeStats.replicaDropped;
    if (dropped === 1 || Number.isInteger(Math.log10(dropped))) {
      this.#store({ type: 'store-replica-dropped', code: 'UID_ERR_STORE_REPLICA_DROPPED', reason, capacity: this.#options.maxEntries, dropped });
    }
  }

  /** Trims the stream to streamMaxEntries, sparing what accounting has not acknowledged (every 10 s). */
  async trim(): Promise<void> {
    const length = await this.#client.xlen(this.keys.log);
    const excess = length - this.#options.streamMaxEntries;
    if (excess <= 0) return;
    const cut = await this.#client.xrange(this.keys.log, '-', '+', 'COUNT', excess);
    const last = cut[cut.length - 1]?.[0];
    if (last === undefined) return;
    const [ms, seq] = last.split('-');
    await this.#client.uidTrim(this.keys.log, this.keys.trim, `${ms}-${Number(seq) + 1}`);
  }

  #changed({ change, at }: LoggedChange): void {
    this.storeStats.lastLagMs = Math.max(0, Date.now() - at);
    this.#emit(change);
  }

  #emit(change: MappingChange): MappingChange {
    return this.#listeners.emit(change);
  }

  #store(event: RedisStoreEvent): void {
    try {
      this.#options.onStoreEvent?.(event);
    } catch {
      // as above
    }
  }

  /** What an admin request that needs Redis meets while it is away (HTTP 503). */
  #unavailable(cause?: unknown): UidError {
    return new UidError('UID_ERR_STORE_UNAVAILABLE', `the shared table (Redis) is unreachable (${this.#lastError}); try again when it is back`, { cause });
  }

  #scriptNow(): string {
    return this.#options.now ? String(this.#options.now()) : '';
  }

  #readNow(): number {
    return (this.#options.now ?? Date.now)();
  }
}
