/**
 * The in-memory mapping table (DESIGN §1): IP → user with a timeout, on lru-cache.
 *
 * Structures, and why each operation stays O(1):
 * - lru-cache holds IP → Mapping and keeps entries in *refresh* order: a login moves its
 *   entry to the fresh end, and every read uses `peek`, which does not. Capacity eviction
 *   therefore drops the least recently refreshed entry (reported as `evicted`).
 * - Every entry lives `timeoutMinutes` after its last login, the same span for all, so
 *   refresh order is also expiry order: the active sweep looks only at the stale end and
 *   stops at the first entry still due in the future. A sweep costs O(expired), never a
 *   scan. (lru-cache's own TTL is not used: it would either scan the whole cache or set a
 *   timer per entry, and would be a second clock to keep in step with `expiresAt`.)
 * - The table's clock never runs backwards (a wall-clock step back holds it still until the
 *   wall clock catches up), so the order above holds under clock steps too.
 * - UserIndex gives `byUser`; HashOrder gives stable paging (see hash-order.ts).
 * An entry whose time is up but which the sweep has not reached yet is invisible to reads
 * and is reported as `expired` by whichever comes first: the sweep, a login or logout for
 * its IP, an admin delete, or capacity eviction.
 *
 * A heartbeat repeated within REFRESH_RESOLUTION_MS of the last refresh, with the same
 * sender and profile, is still a `refreshed` change but moves nothing: the mapping object,
 * its times and its place in refresh order stay (so lastSeen and expiresAt advance at most
 * once a second). Busy senders repeat themselves many times a second; this keeps that from
 * costing a new object, a recency move and an old-generation promotion each time.
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { IdentityEvent } from '../identify/event.js';
import { ChangeListeners } from './change-listeners.js';
import { newTableStats, type MappingTableEvent, type MappingTableStats } from './events.js';
import { HashOrder } from './hash-order.js';
import { pageInOrder } from './paging.js';
import type { ChangeListener, Mapping, MappingChange, MappingPage, MappingTable } from './table.js';
import { UserIndex, sameUser } from './user-index.js';

export interface MemoryMappingTableOptions {
  /** Minutes a mapping lives after its last login (PAN-OS User-ID timeout). */
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

/** What `restore` did with a snapshot's mappings (for accounting: see docs/mappings.md). */
export interface RestoreResult {
  /** Now in the table, ids and times kept (expiry capped at now + timeout). */
  readonly restored: readonly Mapping[];
  /** Timed out while the listener was down: their sessions ended unseen. */
  readonly expired: readonly Mapping[];
  /** Over `maxEntries`: those due to expire first were left out. */
  readonly evicted: readonly Mapping[];
}

/** Expiries handled per sweep turn before yielding the event loop (mass expiry after an outage). */
const SWEEP_BATCH = 10_000;

/** Refreshes closer together than this (same sender and profile) leave the mapping as it is. */
export const REFRESH_RESOLUTION_MS = 1000;

export class MemoryMappingTable implements MappingTable {
  readonly stats: MappingTableStats = newTableStats();
  readonly #entries: LRUCache<string, Mapping>;
  readonly #users = new UserIndex();
  readonly #order = new HashOrder();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
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
    this.#ttlMs = options.timeoutMinutes * 60_000;
    this.#maxEntries = options.maxEntries;
    this.#clock = options.now ?? Date.now;
    this.#listeners = new ChangeListeners(this.stats, options.onEvent);
    this.#entries = new LRUCache<string, Mapping>({ max: options.maxEntries });
    const start = this.#now();
    this.#idPrefix = options.idPrefix ?? `${start.toString(36)}${randomBytes(2).toString('hex')}`;
    this.#sweepTimer = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 1000).unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  apply(event: IdentityEvent): MappingChange | null {
    const now = this.#now();
    const current = this.#live(event.ip, now);
    if (event.event === 'logout') return this.#logout(event, current);
    if (current === undefined) return this.#add(event, now);
    if (sameUser(current.user, event.user)) return this.#refresh(current, event, now);
    return this.#replace(current, event, now);
  }

  get(ip: string): Mapping | undefined {
    const mapping = this.#entries.peek(ip);
    return mapping !== undefined && mapping.expiresAt > this.#now() ? mapping : undefined;
  }

  byUser(user: string): readonly Mapping[] {
    const now = this.#now();
    const found: Mapping[] = [];
    for (const ip of this.#users.ips(user)) {
      const mapping = this.#entries.peek(ip);
      if (mapping !== undefined && mapping.expiresAt > now) found.push(mapping);
    }
    return found;
  }

  page(cursor: string | undefined, limit: number): MappingPage {
    const now = this.#now();
    return pageInOrder(this.#order, (ip) => {
      const mapping = this.#entries.peek(ip);
      return mapping !== undefined && mapping.expiresAt > now ? mapping : undefined;
    }, cursor, limit);
  }

  delete(ip: string): MappingChange | null {
    const current = this.#live(ip, this.#now());
    if (current === undefined) return null;
    this.#unlink(current);
    return this.#emit({ kind: 'removed', mapping: current, reason: 'admin' });
  }

  subscribe(listener: ChangeListener): () => void {
    return this.#listeners.subscribe(listener);
  }

  /**
   * Loads a snapshot's mappings into this empty table at start, reporting no changes:
   * their sessions began in an earlier run. Ids and times are kept, but no entry outlives
   * now + the current timeout (it may have been lowered since). IPs must be unique.
   */
  restore(mappings: Iterable<Mapping>): RestoreResult {
    if (this.#entries.size !== 0) throw new Error('restore() loads a snapshot into an empty table at start');
    const now = this.#now();
    const live: Mapping[] = [];
    const expired: Mapping[] = [];
    for (const mapping of mappings) (mapping.expiresAt > now ? live : expired).push(mapping);
    // Inserted earliest expiry first, so refresh order is expiry order here too.
    live.sort((a, b) => a.expiresAt - b.expiresAt);
    const evicted = live.splice(0, Math.max(0, live.length - this.#maxEntries));
    const latest = now + this.#ttlMs;
    const restored: Mapping[] = [];
    for (const saved of live) {
      if (this.#entries.has(saved.ip)) continue; // a duplicate IP: the first (earlier expiry) stays
      const mapping = saved.expiresAt > latest ? { ...saved, expiresAt: latest } : saved;
      this.#link(mapping);
      restored.push(mapping);
    }
    return { restored, expired, evicted };
  }

  /** Stops the sweep. The table stays readable; nothing expires any more. */
  close(): void {
    clearInterval(this.#sweepTimer);
    if (this.#sweepMore !== undefined) clearImmediate(this.#sweepMore);
    this.#sweepMore = undefined;
  }

  #add(event: IdentityEvent, now: number): MappingChange {
    if (this.#entries.size >= this.#maxEntries) this.#makeRoom(now);
    const mapping = this.#begin(event, now);
    this.#link(mapping);
    return this.#emit({ kind: 'added', mapping });
  }

  #refresh(current: Mapping, event: IdentityEvent, now: number): MappingChange {
    const newinfo = current.sender !== event.sender || current.profile !== event.profile;
    if (!newinfo && now - current.lastSeen < REFRESH_RESOLUTION_MS) {
      return this.#emit({ kind: 'refreshed', mapping: current, newinfo: false });
    }
    const mapping: Mapping = {
      id: current.id,
      ip: current.ip,
      user: current.user, // as first seen
      sender: event.sender,
      profile: event.profile,
      firstSeen: current.firstSeen,
      lastSeen: now,
      expiresAt: now + this.#ttlMs,
      timeoutMs: this.#ttlMs,
    };
    this.#entries.set(mapping.ip, mapping); // moves it to the fresh end
    return this.#emit({ kind: 'refreshed', mapping, newinfo });
  }

  #replace(previous: Mapping, event: IdentityEvent, now: number): MappingChange {
    const mapping = this.#begin(event, now);
    this.#users.remove(previous.user, previous.ip);
    this.#users.add(mapping.user, mapping.ip);
    this.#entries.set(mapping.ip, mapping);
    return this.#emit({ kind: 'user-changed', mapping, previous });
  }

  /** PAN-OS: a logout ends a mapping only when it names the user who is mapped. */
  #logout(event: IdentityEvent, current: Mapping | undefined): MappingChange | null {
    if (current === undefined) {
      this.stats.logoutsUnmatched++;
      return null;
    }
    if (!sameUser(current.user, event.user)) {
      this.stats.logoutsIgnored++;
      return null;
    }
    this.#unlink(current);
    return this.#emit({ kind: 'removed', mapping: current, reason: 'logout' });
  }

  /** The mapping for `ip` if its time is not up; one whose time is up is expired now. */
  #live(ip: string, now: number): Mapping | undefined {
    const mapping = this.#entries.peek(ip);
    if (mapping === undefined || mapping.expiresAt > now) return mapping;
    this.#unlink(mapping);
    this.#emit({ kind: 'expired', mapping });
    return undefined;
  }

  /** Frees one slot: the least recently refreshed entry, reported as expired if its time is up. */
  #makeRoom(now: number): void {
    const oldest = this.#entries.pop();
    if (oldest === undefined) return;
    this.#users.remove(oldest.user, oldest.ip);
    this.#order.remove(oldest.ip);
    this.#emit(oldest.expiresAt <= now ? { kind: 'expired', mapping: oldest } : { kind: 'evicted', mapping: oldest });
  }

  #sweep(): void {
    this.#sweepMore = undefined;
    const now = this.#now();
    const due: Mapping[] = [];
    for (const mapping of this.#entries.rvalues()) {
      if (mapping === undefined) continue; // the typing allows it; lru-cache skips empty slots
      if (mapping.expiresAt > now || due.length === SWEEP_BATCH) break;
      due.push(mapping);
    }
    for (const mapping of due) {
      this.#unlink(mapping);
      this.#emit({ kind: 'expired', mapping });
    }
    // More may be due: carry on after letting I/O run, rather than block the loop.
    if (due.length === SWEEP_BATCH) this.#sweepMore = setImmediate(() => this.#sweep()).unref();
  }

  #link(mapping: Mapping): void {
    this.#entries.set(mapping.ip, mapping);
    this.#users.add(mapping.user, mapping.ip);
    this.#order.add(mapping.ip);
  }

  #unlink(mapping: Mapping): void {
    this.#entries.delete(mapping.ip);
    this.#users.remove(mapping.user, mapping.ip);
    this.#order.remove(mapping.ip);
  }

  #emit(change: MappingChange): MappingChange {
    return this.#listeners.emit(change);
  }

  /** A new mapping lifetime: a new id (the accounting session's task_id). */
  #begin(event: IdentityEvent, now: number): Mapping {
    return {
      id: this.#nextId(),
      ip: event.ip,
      user: event.user,
      sender: event.sender,
      profile: event.profile,
      firstSeen: now,
      lastSeen: now,
      expiresAt: now + this.#ttlMs,
      timeoutMs: this.#ttlMs,
    };
  }

  #nextId(): string {
    // join builds one flat string; a template literal would keep a rope of three pieces,
    // about 50 bytes more per mapping (measured at 1M).
    return [this.#idPrefix, (++this.#idSeq).toString(36)].join('-');
  }

  /** The injected clock, held still if it steps backwards (keeps refresh order = expiry order). */
  #now(): number {
    const now = this.#clock();
    if (now > this.#lastNow) this.#lastNow = now;
    return this.#lastNow;
  }
}
