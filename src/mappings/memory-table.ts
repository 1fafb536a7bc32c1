/**
 * The in-memory mapping table (DESIGN §1): IP → user with a timeout per mapping, kept in
 * shared memory (shared-memory/mapping-store.ts) so that it lives off the JS heap and a
 * lookup thread reads it without waiting (`share()`, shared-memory/reader.ts). This file
 * holds the rules; the store holds the structures, each operation O(1) or O(log n):
 * - Refresh order: a login moves its entry to the fresh end, reads never do, so capacity
 *   eviction drops the least recently refreshed entry (reported as `evicted`).
 * - Each mapping has its own timeout (DESIGN §5 "Timeouts per mapping": the event's
 *   `timeoutMs`, else `timeoutMinutes`), so refresh order is not expiry order: the sweep
 *   reads an indexed heap of entries by expiresAt, batched (SWEEP_BATCH per turn), never
 *   a scan and never a timer per entry; a heartbeat that extends an expiry leaves the heap
 *   alone until the old time comes (shared-memory/expiry-heap.ts). A mapping that never expires (timeout 0) is not
 *   in the heap.
 * - The table's clock never runs backwards (a wall-clock step back holds it still until
 *   the wall clock catches up), so expiry never happens out of order under clock steps.
 * - By user and stable paging: the store's user records and page order.
 * An entry whose time is up but which the sweep has not reached yet is invisible to reads
 * and is reported as `expired` by whichever comes first: the sweep, a login or logout for
 * its IP, an admin delete, or capacity eviction.
 *
 * A heartbeat repeated within REFRESH_RESOLUTION_MS of the last refresh, with the same
 * sender, profile and timeout, is still a `refreshed` change but moves nothing: its times
 * and its place in refresh order stay (so lastSeen and expiresAt advance at most once a
 * second). Busy senders repeat themselves many times a second; this keeps that from
 * costing a store write each time (and, for recent entries, a new Mapping object: the
 * store hands back the one it built last until the entry is written).
 */
import { randomBytes } from 'node:crypto';
import type { IdentityEvent } from '../identify/event.js';
import { newTableStats, type MappingTableEvent, type MappingTableStats } from './events.js';
import { orderByKey } from './order-by-key.js';
import { savedMappings, type SavedEntries } from './saved-entries.js';
import type { SavedMapping } from './snapshot-format.js';
import { ChangeListeners } from './change-listeners.js';
import { formatId } from './shared-memory/entry-ids.js';
import { NO_ROOM_NOW, SharedMappingStore, type RawEntrySink, type StoredMapping } from './shared-memory/mapping-store.js';
import type { ChangeListener, Mapping, MappingChange, MappingPage, MappingTable } from './table.js';
import type { TableShare } from './table-reader.js';
import { sameUser } from './user-names.js';

export interface MemoryMappingTableOptions {
  /** Minutes a mapping lives after its last login when its event names no timeout (PAN-OS User-ID timeout). */
  readonly timeoutMinutes: number;
  readonly maxEntries: number;
  /** Epoch milliseconds; tests inject a fake clock. Default `Date.now`. */
  readonly now?: () => number;
  /** How often the active sweep runs; default 1000 ms. */
  readonly sweepIntervalMs?: number;
  /** Prefix of mapping ids; default: this start's time in base 36 plus 16 random bits. */
  readonly idPrefix?: string;
  readonly onEvent?: (event: MappingTableEvent) => void;
}

/**
 * The mappings a restore put in the table, made from the table's entries as they are
 * when iterated (accounting's sessions want them; a listener without accounting never
 * makes them): iterate before the table changes, as the accountant does before start.
 */
export interface RestoredEntries extends Iterable<Mapping> {
  readonly size: number;
}

/** What `restore` did with a snapshot's mappings (for accounting: see docs/mappings.md). */
export interface RestoreResult {
  /** Now in the table, ids and times kept (expiry capped at now + its timeout). */
  readonly restored: RestoredEntries;
  /** Timed out while the listener was down: their sessions ended unseen. */
  readonly expired: readonly Mapping[];
  /** Over `maxEntries`: the least recently refreshed were left out (as capacity eviction would). */
  readonly evicted: readonly Mapping[];
}

const NO_ENTRIES: RestoredEntries = Object.freeze({ size: 0, *[Symbol.iterator]() {} });

/** A first start's restore: nothing. */
export const NOTHING_RESTORED: RestoreResult = Object.freeze({ restored: NO_ENTRIES, expired: [], evicted: [] });

/** Expiries handled per sweep turn before yielding the event loop (mass expiry after an outage). */
const SWEEP_BATCH = 10_000;

/** Refreshes closer together than this (same sender and profile) leave the mapping as it is. */
export const REFRESH_RESOLUTION_MS = 1000;

/**
 * An empty table whose arena cannot hold one name: unreachable, since the arena keeps at
 * least 64 KiB and a user name is at most 255 bytes (identify/profile.ts).
 */
const NO_ROOM = 'the table arena cannot hold this mapping even when empty';

/** restore(): an entry over maxEntries, not inserted (apart from the store's answers, all < 0). */
const LEFT_OUT = -3;

function isSavedEntries(saved: SavedEntries | readonly SavedMapping[]): saved is SavedEntries {
  return !Array.isArray(saved);
}

/** Expiry time for a timeout: 0 means until logout. */
function expiryAt(now: number, timeoutMs: number): number {
  return timeoutMs === 0 ? Number.POSITIVE_INFINITY : now + timeoutMs;
}

export class MemoryMappingTable implements MappingTable {
  readonly stats: MappingTableStats = newTableStats();
  readonly #store: SharedMappingStore;
  readonly #defaultTimeoutMs: number;
  readonly #clock: () => number;
  readonly #idPrefix: string;
  #idSeq = 0;
  #lastNow = 0;
  readonly #listeners: ChangeListeners;
  readonly #sweepTimer: NodeJS.Timeout;
  #sweepMore: NodeJS.Immediate | undefined;

  constructor(options: MemoryMappingTableOptions) {
    if (!(options.timeoutMinutes > 0) || !Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('timeoutMinutes must be > 0 and maxEntries a positive integer');
    }
    this.#defaultTimeoutMs = options.timeoutMinutes * 60_000;
    this.#clock = options.now ?? Date.now;
    this.#listeners = new ChangeListeners(this.stats, options.onEvent);
    this.#store = new SharedMappingStore(options.maxEntries);
    const start = this.#now();
    this.#idPrefix = options.idPrefix ?? `${start.toString(36)}${randomBytes(2).toString('hex')}`;
    this.#sweepTimer = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 1000).unref();
  }

  get size(): number {
    return this.#store.size;
  }

  /** The table's buffers, for a reader on another thread (shared-memory/reader.ts openTableReader). */
  share(): TableShare {
    return this.#store.share();
  }

  apply(event: IdentityEvent): MappingChange | null {
    const now = this.#now();
    const entry = this.#live(event.ip, now);
    if (event.event === 'logout') return this.#logout(event, entry);
    if (entry < 0) return this.#add(event, now);
    const current = this.#store.mapping(entry, event.ip, event.user);
    if (sameUser(current.user, event.user)) return this.#refresh(entry, current, event, now);
    return this.#replace(entry, current, event, now);
  }

  get(ip: string): Mapping | undefined {
    const entry = this.#store.find(ip);
    return entry >= 0 && this.#store.expiresAt(entry) > this.#now() ? this.#store.mapping(entry, ip) : undefined;
  }

  byUser(user: string): readonly Mapping[] {
    const now = this.#now();
    const found: Mapping[] = [];
    for (const entry of this.#store.entriesOf(user)) {
      if (this.#store.expiresAt(entry) > now) found.push(this.#store.mapping(entry));
    }
    return found;
  }

  page(cursor: string | undefined, limit: number): MappingPage {
    const now = this.#now();
    return this.#store.page(cursor, limit, (entry) => this.#store.expiresAt(entry) > now);
  }

  /**
   * The live entries of the store's buckets from `bucket` on, about `max` of them, to a
   * binary snapshot's encoder; returns the bucket to go on from, or -1 at the end
   * (SharedMappingStore.exportEntries: one that stays is handed exactly once).
   */
  exportEntries(bucket: number, max: number, sink: RawEntrySink): number {
    const now = this.#now();
    return this.#store.exportEntries(bucket, max, (entry) => this.#store.expiresAt(entry) > now, sink);
  }

  delete(ip: string): MappingChange | null {
    const entry = this.#live(ip, this.#now());
    if (entry < 0) return null;
    const mapping = this.#store.mapping(entry, ip);
    this.#store.remove(entry);
    return this.#emit({ kind: 'removed', mapping, reason: 'admin' });
  }

  subscribe(listener: ChangeListener): () => void {
    return this.#listeners.subscribe(listener);
  }

  /**
   * Loads a snapshot's mappings into this empty table at start, reporting no changes:
   * their sessions began in an earlier run. Ids and times are kept, but no entry outlives
   * now + its own timeout; one saved without a timeout (an older snapshot) gets the
   * default. Over `maxEntries`, the least recently refreshed are left out. Entries go in
   * in the file's order (a binary snapshot's is bucket order: the caches like it), then
   * refresh order is set from their lastSeen; of two entries for one IP (never written
   * by this build) the first in the file stays.
   */
  restore(saved: SavedEntries | readonly SavedMapping[]): RestoreResult {
    if (this.#store.size !== 0) throw new Error('restore() loads a snapshot into an empty table at start');
    const entries = isSavedEntries(saved) ? saved : savedMappings(saved);
    const now = this.#now();
    const count = entries.count;
    const timeouts = new Float64Array(count);
    const expiries = new Float64Array(count);
    const live: number[] = [];
    const expired: Mapping[] = [];
    for (let i = 0; i < count; i++) {
      timeouts[i] = entries.timeoutMs(i) ?? this.#defaultTimeoutMs;
      expiries[i] = entries.expiresAt(i);
      if (expiries[i]! > now) live.push(i);
      else expired.push(this.#savedMapping(entries, i, timeouts[i]!));
    }
    const lastSeen = new Float64Array(live.length);
    for (let j = 0; j < live.length; j++) lastSeen[j] = entries.lastSeen(live[j]!);
    const byRefresh = orderByKey(lastSeen); // positions in `live`, least recently refreshed first
    const over = Math.max(0, live.length - this.#store.capacity);
    const evicted: Mapping[] = [];
    const entryOf = new Int32Array(count).fill(-1);
    for (let j = 0; j < over; j++) {
      const i = live[byRefresh[j]!]!;
      entryOf[i] = LEFT_OUT;
      evicted.push(this.#savedMapping(entries, i, timeouts[i]!));
    }
    for (const i of live) {
      if (entryOf[i] === LEFT_OUT) continue;
      const timeoutMs = timeouts[i]!;
      const entry = entries.insertInto(this.#store, i, Math.min(expiries[i]!, expiryAt(now, timeoutMs)), timeoutMs);
      if (entry === NO_ROOM_NOW) evicted.push(this.#savedMapping(entries, i, timeoutMs)); // the name arena is full (names far longer than usual): out, and said so
      if (entry >= 0) entryOf[i] = entry; // ALREADY_STORED: a duplicate IP, the first stays
    }
    const order = new Int32Array(this.#store.size);
    let stored = 0;
    for (let j = over; j < live.length; j++) {
      const entry = entryOf[live[byRefresh[j]!]!]!;
      if (entry >= 0) order[stored++] = entry;
    }
    this.#store.setRefreshOrder(order);
    return { restored: this.#restoredEntries(order), expired, evicted };
  }

  /** A saved entry as the mapping restore reports (the default timeout when it had none). */
  #savedMapping(entries: SavedEntries, i: number, timeoutMs: number): Mapping {
    const saved = entries.mapping(i);
    return saved.timeoutMs === timeoutMs ? (saved as Mapping) : { ...saved, timeoutMs };
  }

  #restoredEntries(order: Int32Array): RestoredEntries {
    const store = this.#store;
    return {
      size: order.length,
      *[Symbol.iterator]() {
        for (const entry of order) yield store.mapping(entry);
      },
    };
  }

  /** Stops the sweep. The table stays readable; nothing expires any more. */
  close(): void {
    clearInterval(this.#sweepTimer);
    if (this.#sweepMore !== undefined) clearImmediate(this.#sweepMore);
    this.#sweepMore = undefined;
  }

  #add(event: IdentityEvent, now: number): MappingChange {
    const mapping = this.#begin(event, now);
    if (!this.#insert(event.ip, mapping, now)) throw new RangeError(NO_ROOM);
    return this.#emit({ kind: 'added', mapping });
  }

  /** Stores a new entry, evicting the least recently refreshed while there is no room. */
  #insert(ip: string, mapping: StoredMapping, now: number): boolean {
    while (this.#store.insert(ip, mapping) === NO_ROOM_NOW) {
      if (!this.#makeRoom(now)) return false;
    }
    return true;
  }

  #refresh(entry: number, current: Mapping, event: IdentityEvent, now: number): MappingChange {
    const timeoutMs = event.timeoutMs ?? this.#defaultTimeoutMs;
    const newinfo = current.sender !== event.sender || current.profile !== event.profile || current.timeoutMs !== timeoutMs;
    if (!newinfo && now - current.lastSeen < REFRESH_RESOLUTION_MS) {
      return this.#emit({ kind: 'refreshed', mapping: current, newinfo: false });
    }
    const mapping = this.#store.refresh(entry, now, expiryAt(now, timeoutMs), timeoutMs, event.sender, event.profile, true);
    return this.#emit({ kind: 'refreshed', mapping, newinfo });
  }

  #replace(entry: number, previous: Mapping, event: IdentityEvent, now: number): MappingChange {
    const mapping = this.#begin(event, now);
    while (!this.#store.update(entry, mapping, true)) {
      // The new name found no room: evict the least recently refreshed other than this one.
      const victim = this.#store.oldest() === entry ? this.#store.fresherThan(entry) : this.#store.oldest();
      if (victim < 0) throw new RangeError(NO_ROOM);
      this.#evict(victim, now);
    }
    return this.#emit({ kind: 'user-changed', mapping, previous });
  }

  /** PAN-OS: a logout ends a mapping only when it names the user who is mapped. */
  #logout(event: IdentityEvent, entry: number): MappingChange | null {
    if (entry < 0) {
      this.stats.logoutsUnmatched++;
      return null;
    }
    if (!sameUser(this.#store.mapping(entry, event.ip, event.user).user, event.user)) {
      this.stats.logoutsIgnored++;
      return null;
    }
    const mapping = this.#store.mapping(entry, event.ip);
    this.#store.remove(entry);
    return this.#emit({ kind: 'removed', mapping, reason: 'logout' });
  }

  /** The entry for `ip` if its time is not up, else -1; one whose time is up is expired now. */
  #live(ip: string, now: number): number {
    const entry = this.#store.find(ip);
    if (entry < 0 || this.#store.expiresAt(entry) > now) return entry;
    const mapping = this.#store.mapping(entry, ip);
    this.#store.remove(entry);
    this.#emit({ kind: 'expired', mapping });
    return -1;
  }

  /** Frees one slot: the least recently refreshed entry, reported as expired if its time is up. False when the table is empty. */
  #makeRoom(now: number): boolean {
    const oldest = this.#store.oldest();
    if (oldest < 0) return false;
    this.#evict(oldest, now);
    return true;
  }

  #evict(entry: number, now: number): void {
    const mapping = this.#store.mapping(entry);
    this.#store.remove(entry);
    this.#emit(mapping.expiresAt <= now ? { kind: 'expired', mapping } : { kind: 'evicted', mapping });
  }

  #sweep(): void {
    this.#sweepMore = undefined;
    const now = this.#now();
    for (let handled = 0; ; handled++) {
      if (this.#store.soonestAt() > now) return;
      if (handled === SWEEP_BATCH) {
        // More may be due: carry on after letting I/O run, rather than block the loop.
        this.#sweepMore = setImmediate(() => this.#sweep()).unref();
        return;
      }
      const next = this.#store.soonest();
      if (this.#store.expiresAt(next) > now) {
        this.#store.reschedule(next); // refreshed since its node was placed
        continue;
      }
      const mapping = this.#store.mapping(next);
      this.#store.remove(next);
      this.#emit({ kind: 'expired', mapping });
    }
  }

  #emit(change: MappingChange): MappingChange {
    return this.#listeners.emit(change);
  }

  /** A new mapping lifetime: a new id (the accounting session's task_id). */
  #begin(event: IdentityEvent, now: number): Mapping {
    const timeoutMs = event.timeoutMs ?? this.#defaultTimeoutMs;
    return {
      id: this.#nextId(),
      ip: event.ip,
      user: event.user,
      sender: event.sender,
      profile: event.profile,
      firstSeen: now,
      lastSeen: now,
      expiresAt: expiryAt(now, timeoutMs),
      timeoutMs,
    };
  }

  #nextId(): string {
    return formatId(this.#idPrefix, ++this.#idSeq);
  }

  /** The injected clock, held still if it steps backwards (nothing expires early or out of order). */
  #now(): number {
    const now = this.#clock();
    if (now > this.#lastNow) this.#lastNow = now;
    return this.#lastNow;
  }
}
