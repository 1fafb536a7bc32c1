/**
 * A listener's local copy of the shared table: what every lookup reads (no network round
 * trip on the hot path, DESIGN §5). It changes only by `apply`, in change-stream order, or
 * by `load` (the whole table at start, or after a gap in the stream). Its mappings live in
 * the shared-memory store (shared-memory/mapping-store.ts), as the memory table's do, so a
 * lookup thread reads them through `share()` without waiting; reads by IP and by user are
 * O(1) and pages follow the store's fixed order (shared-memory/page-order.ts). Expiry is
 * the scripts' business: this only hides what is past its time.
 *
 * Capacity is the listener's `maxEntries`. Redis may hold more (another listener of the
 * same table configured larger): the replica then keeps the most recently refreshed
 * `maxEntries` (refresh order is stream order, and a load inserts by lastSeen), drops the
 * least recently refreshed, reports each drop through `onDropped` and never throws; those
 * addresses miss here, other listeners still answer them.
 */
import { NO_ROOM_NOW, SharedMappingStore } from '../shared-memory/mapping-store.js';
import type { Mapping, MappingChange, MappingPage } from '../table.js';
import type { TableShare } from '../table-reader.js';

/** Why a mapping of the shared table is not in the replica. */
export type DropReason = 'capacity' | 'unusable';

export class Replica {
  readonly #store: SharedMappingStore;
  readonly #onDropped: (reason: DropReason) => void;

  constructor(capacity: number, onDropped: (reason: DropReason) => void) {
    this.#store = new SharedMappingStore(capacity);
    this.#store.stale = true; // nothing loaded yet
    this.#onDropped = onDropped;
  }

  get size(): number {
    return this.#store.size;
  }

  /** The buffers, for a reader on another thread (shared-memory/reader.ts openTableReader). */
  share(): TableShare {
    return this.#store.share();
  }

  /** What readers on other threads see as TableReader.stale. */
  set stale(stale: boolean) {
    this.#store.stale = stale;
  }

  /** The mapping held for `ip`, whatever its time (the scripts decide expiry). */
  peek(ip: string): Mapping | undefined {
    return this.#store.get(ip);
  }

  get(ip: string, now: number): Mapping | undefined {
    const entry = this.#store.find(ip);
    return entry >= 0 && this.#store.expiresAt(entry) > now ? this.#store.mapping(entry, ip) : undefined;
  }

  byUser(user: string, now: number): readonly Mapping[] {
    const found: Mapping[] = [];
    for (const entry of this.#store.entriesOf(user)) {
      if (this.#store.expiresAt(entry) > now) found.push(this.#store.mapping(entry));
    }
    return found;
  }

  page(cursor: string | undefined, limit: number, now: number): MappingPage {
    return this.#store.page(cursor, limit, (entry) => this.#store.expiresAt(entry) > now);
  }

  apply(change: MappingChange): void {
    switch (change.kind) {
      case 'added':
      case 'refreshed':
      case 'user-changed':
        this.#set(change.mapping, undefined);
        break;
      default: {
        const entry = this.#store.find(change.mapping.ip);
        if (entry >= 0) this.#store.remove(entry);
      }
    }
  }

  /**
   * Replaces everything with `mappings` (one per IP; a repeated IP: the last wins), in
   * place: readers see each address go from its old mapping to its new one, never a gap,
   * and what Redis no longer holds leaves at the end. Over capacity, the least recently
   * refreshed are dropped.
   */
  load(mappings: Mapping[]): void {
    const store = this.#store;
    mappings.sort((a, b) => a.lastSeen - b.lastSeen);
    const over = Math.max(0, mappings.length - store.capacity);
    for (let i = 0; i < over; i++) this.#onDropped('capacity');
    // Every set moves its entry to the fresh end of refresh order, so what was here and is
    // not loaded (yet) is always at the old end: room is made there first.
    const loaded = new Uint8Array(store.capacity);
    for (let i = over; i < mappings.length; i++) {
      const entry = this.#set(mappings[i]!, loaded);
      if (entry >= 0) loaded[entry] = 1;
    }
    for (let entry = store.oldest(); entry >= 0 && loaded[entry] === 0; entry = store.oldest()) store.remove(entry);
  }

  /**
   * Stores `mapping` at the fresh end of refresh order, making room at the old end when
   * full; returns its entry, or -1 when it could not be stored. `loaded` (during a load):
   * entries that count as drops when they make room; any other is leaving anyway.
   */
  #set(mapping: Mapping, loaded: Uint8Array | undefined): number {
    const store = this.#store;
    try {
      for (;;) {
        const entry = store.find(mapping.ip);
        if (entry >= 0) {
          if (store.update(entry, mapping, true)) return entry;
        } else {
          const added = store.insert(mapping.ip, mapping);
          if (added !== NO_ROOM_NOW) return added;
        }
        // No room (capacity or names): the least recently refreshed other than this one goes.
        const victim = store.oldest() === entry ? store.fresherThan(entry) : store.oldest();
        if (victim < 0) throw new RangeError('the replica cannot hold this mapping even when empty');
        if (loaded === undefined || loaded[victim] === 1) this.#onDropped('capacity');
        store.remove(victim);
      }
    } catch {
      // Not storable (an address that is not canonical, names past the store's limits):
      // written to Redis by something other than our scripts. Left out, counted.
      this.#onDropped('unusable');
      return -1;
    }
  }
}
