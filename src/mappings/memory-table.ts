/**
 * The in-memory mapping table (DESIGN §1): IP → user with a timeout per mapping, on lru-cache.
 *
 * Structures, and why each operation stays O(1) (or O(log n) where the expiry heap is touched):
 * - lru-cache holds IP → Mapping and keeps entries in *refresh* order: a login moves its
 *   entry to the fresh end, and every read uses `peek`, which does not. Capacity eviction
 *   therefore drops the least recently refreshed entry (reported as `evicted`).
 * - Each mapping has its own timeout (DESIGN §5 "Timeouts per mapping": the event's
 *   `timeoutMs`, else `timeoutMinutes`), so refresh order is not expiry order. The sweep
 *   reads a min-heap of mapping versions ordered by expiresAt, with lazy deletion: a node
 *   whose lifetime ended (logout, replaced, deleted, evicted) is dropped when it reaches the
 *   top; a node whose mapping was refreshed since is pushed again with the newer version.
 *   A refresh that extends the expiry therefore pushes nothing (the older, earlier node
 *   stands for it); only a refresh that shortens it does. A mapping that never expires
 *   (timeout 0) has no node. When stale nodes outnumber live entries the heap is rebuilt
 *   from the table in O(n), so its size stays within 2 × entries + EXPIRY_SLACK (amortised
 *   O(1) per push). A sweep costs O(expired + stale nodes due) heap pops, never a scan and
 *   never a timer per entry. (lru-cache's own TTL is not used: it would either scan or set
 *   a timer per entry, and would be a second clock to keep in step with `expiresAt`.)
 * - The table's clock never runs backwards (a wall-clock step back holds it still until the
 *   wall clock catches up), so expiry never happens out of order under clock steps.
 * - UserIndex gives `byUser`; HashOrder gives stable paging (see hash-order.ts).
 * An entry whose time is up but which the sweep has not reached yet is invisible to reads
 * and is reported as `expired` by whichever comes first: the sweep, a login or logout for
 * its IP, an admin delete, or capacity eviction.
 *
 * A heartbeat repeated within REFRESH_RESOLUTION_MS of the last refresh, with the same
 * sender, profile and timeout, is still a `refreshed` change but moves nothing: the mapping
 * object, its times and its place in refresh order stay (so lastSeen and expiresAt advance
 * at most once a second). Busy senders repeat themselves many times a second; this keeps
 * that from costing a new object, a recency move and an old-generation promotion each time.
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { IdentityEvent } from '../identify/event.js';
import { MinHeap } from '../shared/min-heap.js';
import { newTableStats, type MappingTableEvent, type MappingTableStats } from './events.js';
import { HashOrder, decodeCursor, encodeCursor } from './hash-order.js';
import type { SavedMapping } from './snapshot-format.js';
import type { ChangeListener, Mapping, MappingChange, MappingPage, MappingTable } from './table.js';
import { UserIndex, sameUser } from './user-index.js';

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

/** What `restore` did with a snapshot's mappings (for accounting: see docs/mappings.md). */
export interface RestoreResult {
  /** Now in the table, ids and times kept (expiry capped at now + its timeout). */
  readonly restored: readonly Mapping[];
  /** Timed out while the listener was down: their sessions ended unseen. */
  readonly expired: readonly Mapping[];
  /** Over `maxEntries`: the least recently refreshed were left out (as capacity eviction would). */
  readonly evicted: readonly Mapping[];
}

/** Expiries handled per sweep turn before yielding the event loop (mass expiry after an outage). */
const SWEEP_BATCH = 10_000;

/** Refreshes closer together than this (same sender and profile) leave the mapping as it is. */
export const REFRESH_RESOLUTION_MS = 1000;

/** Stale expiry nodes tolerated beyond one per entry before the heap is rebuilt. */
const EXPIRY_SLACK = 1024;

/** Expiry time for a timeout: 0 means until logout. */
function expiryAt(now: number, timeoutMs: number): number {
  return timeoutMs === 0 ? Number.POSITIVE_INFINITY : now + timeoutMs;
}

export class MemoryMappingTable implements MappingTable {
  readonly stats: MappingTableStats = newTableStats();
  readonly #entries: LRUCache<string, Mapping>;
  readonly #users = new UserIndex();
  readonly #order = new HashOrder();
  readonly #defaultTimeoutMs: number;
  /** Mapping versions by expiresAt (finite ones only); see the header for the lazy-deletion rule. */
  readonly #expiry = new MinHeap<Mapping>((a, b) => a.expiresAt < b.expiresAt);
  readonly #maxEntries: number;
  readonly #clock: () => number;
  readonly #onEvent: ((event: MappingTableEvent) => void) | undefined;
  readonly #idPrefix: string;
  #idSeq = 0;
  #lastNow = 0;
  #listeners: readonly ChangeListener[] = [];
  readonly #sweepTimer: NodeJS.Timeout;
  #sweepMore: NodeJS.Immediate | undefined;

  constructor(options: MemoryMappingTableOptions) {
    if (!(options.timeoutMinutes > 0) || !Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('timeoutMinutes must be > 0 and maxEntries a positive integer');
    }
    this.#defaultTimeoutMs = options.timeoutMinutes * 60_000;
    this.#maxEntries = options.maxEntries;
    this.#clock = options.now ?? Date.now;
    this.#onEvent = options.onEvent;
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
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, not ${limit}`);
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const now = this.#now();
    const items: Mapping[] = [];
    let more = false;
    this.#order.walk(after, (ip) => {
      const mapping = this.#entries.peek(ip);
      if (mapping === undefined || mapping.expiresAt <= now) return true;
      if (items.length === limit) {
        more = true;
        return false;
      }
      items.push(mapping);
      return true;
    });
    return more ? { items, next: encodeCursor(items[items.length - 1]!.ip) } : { items };
  }

  delete(ip: string): MappingChange | null {
    const current = this.#live(ip, this.#now());
    if (current === undefined) return null;
    this.#unlink(current);
    return this.#emit({ kind: 'removed', mapping: current, reason: 'admin' });
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Loads a snapshot's mappings into this empty table at start, reporting no changes:
   * their sessions began in an earlier run. Ids and times are kept, but no entry outlives
   * now + its own timeout; one saved without a timeout (an older snapshot) gets the
   * default. Over `maxEntries`, the least recently refreshed are left out. IPs must be unique.
   */
  restore(saved: Iterable<SavedMapping>): RestoreResult {
    if (this.#entries.size !== 0) throw new Error('restore() loads a snapshot into an empty table at start');
    const now = this.#now();
    const live: Mapping[] = [];
    const expired: Mapping[] = [];
    for (const entry of saved) {
      const mapping: Mapping = entry.timeoutMs === undefined ? { ...entry, timeoutMs: this.#defaultTimeoutMs } : entry as Mapping;
      (mapping.expiresAt > now ? live : expired).push(mapping);
    }
    // Inserted least recently refreshed first, so the LRU order is refresh order here too.
    live.sort((a, b) => a.lastSeen - b.lastSeen);
    const evicted = live.splice(0, Math.max(0, live.length - this.#maxEntries));
    const restored: Mapping[] = [];
    for (const mapping of live) {
      if (this.#entries.has(mapping.ip)) continue; // a duplicate IP: the first (refreshed earlier) stays
      const latest = expiryAt(now, mapping.timeoutMs);
      const capped = mapping.expiresAt > latest ? { ...mapping, expiresAt: latest } : mapping;
      this.#link(capped);
      restored.push(capped);
    }
    this.#compactExpiry(); // one O(n) heap build rather than a push per mapping
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
    this.#schedule(mapping);
    return this.#emit({ kind: 'added', mapping });
  }

  #refresh(current: Mapping, event: IdentityEvent, now: number): MappingChange {
    const timeoutMs = event.timeoutMs ?? this.#defaultTimeoutMs;
    const newinfo = current.sender !== event.sender || current.profile !== event.profile || current.timeoutMs !== timeoutMs;
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
      expiresAt: expiryAt(now, timeoutMs),
      timeoutMs,
    };
    this.#entries.set(mapping.ip, mapping); // moves it to the fresh end
    // An extended expiry is covered by the node of an earlier version; a shortened one is not.
    if (!(current.expiresAt <= mapping.expiresAt)) this.#schedule(mapping);
    return this.#emit({ kind: 'refreshed', mapping, newinfo });
  }

  #replace(previous: Mapping, event: IdentityEvent, now: number): MappingChange {
    const mapping = this.#begin(event, now);
    this.#users.remove(previous.user, previous.ip);
    this.#users.add(mapping.user, mapping.ip);
    this.#entries.set(mapping.ip, mapping);
    this.#schedule(mapping);
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
    for (let handled = 0; ; handled++) {
      const next = this.#expiry.peek();
      if (next === undefined || next.expiresAt > now) return;
      if (handled === SWEEP_BATCH) {
        // More may be due: carry on after letting I/O run, rather than block the loop.
        this.#sweepMore = setImmediate(() => this.#sweep()).unref();
        return;
      }
      this.#expiry.pop();
      const current = this.#entries.peek(next.ip);
      if (current === undefined || current.id !== next.id) continue; // that lifetime already ended
      if (current.expiresAt <= now) {
        this.#unlink(current);
        this.#emit({ kind: 'expired', mapping: current });
      } else if (current.expiresAt !== Number.POSITIVE_INFINITY) {
        this.#expiry.push(current); // refreshed since this node was pushed
      }
    }
  }

  /** Gives a mapping version a node in the expiry heap (none when it never expires). */
  #schedule(mapping: Mapping): void {
    if (mapping.expiresAt === Number.POSITIVE_INFINITY) return;
    this.#expiry.push(mapping);
    if (this.#expiry.size > 2 * this.#entries.size + EXPIRY_SLACK) this.#compactExpiry();
  }

  /** Drops the stale nodes: one node per live mapping that can expire. O(n), amortised over the pushes that made them. */
  #compactExpiry(): void {
    const nodes: Mapping[] = [];
    for (const mapping of this.#entries.values()) {
      if (mapping !== undefined && mapping.expiresAt !== Number.POSITIVE_INFINITY) nodes.push(mapping);
    }
    this.#expiry.rebuild(nodes);
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
    this.stats.changes[change.kind]++;
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.stats.listenerErrors++;
        this.#report({ type: 'listener-error', error });
      }
    }
    return change;
  }

  #report(event: MappingTableEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // A failing event sink must not break the table either; the counter still moved.
    }
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
    // join builds one flat string; a template literal would keep a rope of three pieces,
    // about 50 bytes more per mapping (measured at 1M).
    return [this.#idPrefix, (++this.#idSeq).toString(36)].join('-');
  }

  /** The injected clock, held still if it steps backwards (nothing expires early or out of order). */
  #now(): number {
    const now = this.#clock();
    if (now > this.#lastNow) this.#lastNow = now;
    return this.#lastNow;
  }
}
