/**
 * The mapping store in shared memory: address → mapping, by user, in refresh order, by
 * expiry and in paging order, with no rules of its own about logins, refreshes or time
 * (those are memory-table.ts's; a table replica can use this store as it is). One writer,
 * the thread that made it; readers on any thread through `share()` and reader.ts.
 *
 * Every operation is O(1) but those that touch the expiry heap (O(log n)) and page
 * (O(limit) plus the empty buckets it passes). Changes a reader can see are made inside
 * the seqlock of the entry's bucket stripe (seqlock.ts); layout.ts lists the fields.
 */
import type { Mapping, MappingPage } from '../table.js';
import type { TableShare } from '../table-reader.js';
import { formatAddressKey, keyHash, keyHashAt, parseAddressKey } from './address-key.js';
import { Arena } from './arena.js';
import { EntryIds, type IdWords } from './entry-ids.js';
import { ExpiryHeap } from './expiry-heap.js';
import { InternedStrings } from './interned-strings.js';
import {
  ENTRY_SLOTS, ENTRY_WORDS, EXPIRES, FIRST, HEADER_SIZE, HEADER_STALE, ID_SEQ, K0, LAST, NEXT, PREFIX, STRIPE_BITS, TAGS, TIMEOUT, USER,
  VERBATIM_ID, allocateLayout, bucketOf, shareOf, timeoutOf, timeoutWord, userBucketBits, type TableLayout,
} from './layout.js';
import { pageInOrder } from './page-order.js';
import { RecentMappings } from './recent-mappings.js';
import { RefreshOrder } from './refresh-order.js';
import { beginWrite, endWrite, storeFloat } from './seqlock.js';
import { R_NAME, UserRecords } from './user-records.js';

/** What the store keeps of a mapping besides its address. */
export type StoredMapping = Omit<Mapping, 'ip'>;

/**
 * Receives an entry's stored fields as they are (a binary snapshot's writer): no Mapping
 * object and no decoded user name. `idPrefix` undefined: `verbatimId` is the whole id.
 */
export interface RawEntrySink {
  entry(
    key: Int32Array, firstSeen: number, lastSeen: number, expiresAt: number, timeoutMs: number, sender: string, profile: string,
    idPrefix: string | undefined, idNumber: number, verbatimId: string | undefined, userBytes: Buffer, userStart: number, userLength: number,
  ): void;
}

/** insert(): the store is full (capacity, or names: the arena): make room and try again. */
export const NO_ROOM_NOW = -1;
/** insert(): the address is stored already. */
export const ALREADY_STORED = -2;

export class SharedMappingStore {
  readonly #layout: TableLayout;
  readonly #words: Int32Array;
  readonly #slots: Float64Array;
  readonly #arena: Arena;
  readonly #strings: InternedStrings;
  readonly #users: UserRecords;
  readonly #order: RefreshOrder;
  readonly #expiry: ExpiryHeap;
  readonly #ids: EntryIds;
  /** Entries never used yet start here; freed ones are chained from #freed through NEXT. */
  #unused = 0;
  #freed = 0;
  #size = 0;
  readonly #recent = new RecentMappings();
  /** The key and bucket of the last find(). */
  readonly #key = new Int32Array(4);
  #lastBucket = 0;

  constructor(capacity: number) {
    const layout = (this.#layout = allocateLayout(capacity));
    this.#words = layout.words;
    this.#slots = layout.slots;
    this.#arena = new Arena(layout.arena);
    this.#strings = new InternedStrings(layout.strings, this.#arena);
    this.#users = new UserRecords(layout.userHeads, userBucketBits(layout), this.#arena, layout.arena, layout.links);
    this.#order = new RefreshOrder(layout.links);
    this.#expiry = new ExpiryHeap(layout.heap, layout.heapKeys, layout.links, layout.slots);
    this.#ids = new EntryIds(layout.words, this.#arena, this.#strings);
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#layout.capacity;
  }

  /** The buffers a reader on another thread opens (reader.ts openTableReader). */
  share(): TableShare {
    return shareOf(this.#layout);
  }

  /** Tells readers their answers may be old (a replica cut off from its store). */
  set stale(stale: boolean) {
    Atomics.store(this.#layout.header, HEADER_STALE, stale ? 1 : 0);
  }

  /** The entry for `ip`, or -1. */
  find(ip: string): number {
    const key = this.#key;
    if (!parseAddressKey(ip, key)) return -1;
    return this.#findKey(key[0]!, key[1]!, key[2]!, key[3]!);
  }

  /** The entry of a key, or -1; leaves its bucket in #lastBucket. */
  #findKey(k0: number, k1: number, k2: number, k3: number): number {
    const words = this.#words;
    const bucket = (this.#lastBucket = bucketOf(this.#layout, keyHash(k0, k1, k2, k3)));
    let next = this.#layout.buckets[bucket]!;
    while (next !== 0) {
      const at = (next - 1) * ENTRY_WORDS;
      if (words[at + 3] === k3 && words[at] === k0 && words[at + 1] === k1 && words[at + 2] === k2) return next - 1;
      next = words[at + NEXT]!;
    }
    return -1;
  }

  /**
   * Stores a mapping for an address at the fresh end of refresh order. Returns its entry,
   * ALREADY_STORED when the address is there (nothing changed), or NO_ROOM_NOW when the
   * store is full (capacity or name space): make room (remove the oldest) and call again.
   */
  insert(ip: string, mapping: StoredMapping): number {
    if (this.find(ip) >= 0) return ALREADY_STORED;
    if (this.#size >= this.#layout.capacity) return NO_ROOM_NOW;
    const key = this.#key; // as find() left it
    if (!parseAddressKey(ip, key)) throw new RangeError(`not a canonical address: ${ip}`);
    const tags = this.#tagsOf(mapping.sender, mapping.profile); // first: it may throw, nothing changed yet
    const id = this.#ids.encode(mapping.id);
    if (id === undefined) return NO_ROOM_NOW;
    const user = this.#users.acquire(mapping.user);
    if (user === 0) return this.#noRoom(id);
    return this.#insertAt(key, tags, user, id, mapping.firstSeen, mapping.lastSeen, mapping.expiresAt, mapping.timeoutMs);
  }

  /**
   * insert() for an entry as a binary snapshot holds it (the fields RawEntrySink hands
   * out, the other way): the address as its key, the id as prefix and number or verbatim,
   * the user as UTF-8 bytes (copied, not decoded). Same answers as insert(); `key` is read, not kept.
   */
  insertSaved(
    key: Int32Array, firstSeen: number, lastSeen: number, expiresAt: number, timeoutMs: number, sender: string, profile: string,
    idPrefix: string | undefined, idNumber: number, verbatimId: string | undefined, userBytes: Buffer, userStart: number, userLength: number,
  ): number {
    if (this.#findKey(key[0]!, key[1]!, key[2]!, key[3]!) >= 0) return ALREADY_STORED;
    if (this.#size >= this.#layout.capacity) return NO_ROOM_NOW;
    const tags = this.#tagsOf(sender, profile);
    const id = this.#ids.encodeSaved(idPrefix, idNumber, verbatimId);
    if (id === undefined) return NO_ROOM_NOW;
    const user = this.#users.acquireBytes(userBytes, userStart, userLength);
    if (user === 0) return this.#noRoom(id);
    return this.#insertAt(key, tags, user, id, firstSeen, lastSeen, expiresAt, timeoutMs);
  }

  /** An insert that found no room for the user's name: the id's string goes again. */
  #noRoom(id: IdWords): number {
    if (id[0] === VERBATIM_ID) this.#ids.free(id[1]);
    return NO_ROOM_NOW;
  }

  /** The rest of an insert, once the key is known to be new (its bucket in #lastBucket) and its names have room. */
  #insertAt(
    key: Int32Array, tags: number, user: number, id: IdWords,
    firstSeen: number, lastSeen: number, expiresAt: number, timeoutMs: number,
  ): number {
    const bucket = this.#lastBucket;
    const entry = this.#take();
    this.#recent.forget(entry);
    const at = entry * ENTRY_WORDS;
    const words = this.#words;
    const counters = this.#layout.counters;
    beginWrite(counters, bucket >>> STRIPE_BITS);
    for (let w = 0; w < 4; w++) Atomics.store(words, at + K0 + w, key[w]!);
    this.#writeFields(entry, user, tags, id, firstSeen, lastSeen, expiresAt, timeoutMs);
    Atomics.store(words, at + NEXT, this.#layout.buckets[bucket]!);
    Atomics.store(this.#layout.buckets, bucket, entry + 1);
    endWrite(counters, bucket >>> STRIPE_BITS);
    this.#users.attach(user, entry);
    this.#order.push(entry);
    this.#expiry.update(entry);
    Atomics.store(this.#layout.header, HEADER_SIZE, ++this.#size);
    return entry;
  }

  /**
   * Overwrites an entry's mapping (same address). `fresh` moves it to the fresh end of
   * refresh order (a login did it), otherwise its place stays. False when a new user name
   * found no room (nothing changed then: make room and call again).
   */
  update(entry: number, mapping: StoredMapping, fresh: boolean): boolean {
    const words = this.#words;
    const at = entry * ENTRY_WORDS;
    const current = words[at + USER]!;
    const tags = this.#tagsOf(mapping.sender, mapping.profile); // first: it may throw, nothing changed yet
    const user = this.#arena.equalsString(current + R_NAME, mapping.user) ? current : this.#users.acquire(mapping.user);
    if (user === 0) return false;
    this.#recent.forget(entry);
    const oldId = this.#ids.verbatimOf(entry);
    const id = oldId !== 0 && this.#ids.holds(oldId, mapping.id) ? ([VERBATIM_ID, oldId] as const) : this.#ids.encode(mapping.id);
    if (id === undefined) {
      if (user !== current) this.#users.releaseIfUnused(user);
      return false;
    }
    const stripe = this.#stripeOf(entry);
    beginWrite(this.#layout.counters, stripe);
    this.#writeFields(entry, user, tags, id, mapping.firstSeen, mapping.lastSeen, mapping.expiresAt, mapping.timeoutMs);
    endWrite(this.#layout.counters, stripe);
    if (oldId !== 0 && oldId !== (id[0] === VERBATIM_ID ? id[1] : 0)) this.#ids.free(oldId);
    if (user !== current) {
      this.#users.detach(current, entry);
      this.#users.attach(user, entry);
    }
    if (fresh) this.#order.touch(entry);
    this.#expiry.update(entry);
    return true;
  }

  /**
   * A refresh: new times, timeout, sender and profile, same user and id (the hot path:
   * no names written). `fresh` as for update. Returns the mapping as it is now (made from
   * the one built before, when there is one: nothing decoded).
   */
  refresh(entry: number, lastSeen: number, expiresAt: number, timeoutMs: number, sender: string, profile: string, fresh: boolean): Mapping {
    const words = this.#words;
    const at = entry * ENTRY_WORDS;
    const tags = this.#tagsOf(sender, profile);
    const stripe = this.#stripeOf(entry);
    const before = this.#recent.get(entry);
    this.#recent.forget(entry);
    beginWrite(this.#layout.counters, stripe);
    if (words[at + TAGS] !== tags) Atomics.store(words, at + TAGS, tags);
    storeFloat(words, at + 2 * LAST, lastSeen);
    storeFloat(words, at + 2 * EXPIRES, expiresAt);
    Atomics.store(words, at + TIMEOUT, timeoutWord(timeoutMs));
    endWrite(this.#layout.counters, stripe);
    if (fresh) this.#order.touch(entry);
    this.#expiry.update(entry);
    if (before === undefined) return this.mapping(entry);
    const stored = timeoutOf(timeoutWord(timeoutMs));
    const after: Mapping = { id: before.id, ip: before.ip, user: before.user, sender, profile, firstSeen: before.firstSeen, lastSeen, expiresAt, timeoutMs: stored };
    this.#recent.keep(entry, after);
    return after;
  }

  /** Stores `mapping` under its address: a new entry at the fresh end, or the existing one overwritten in place. False when full. */
  set(mapping: Mapping): boolean {
    const entry = this.find(mapping.ip);
    return entry < 0 ? this.insert(mapping.ip, mapping) >= 0 : this.update(entry, mapping, true);
  }

  /** Removes an entry; its slot and names are reused. */
  remove(entry: number): void {
    const words = this.#words;
    const at = entry * ENTRY_WORDS;
    const bucket = bucketOf(this.#layout, this.#hashOf(entry));
    const buckets = this.#layout.buckets;
    const user = words[at + USER]!;
    const verbatimId = this.#ids.verbatimOf(entry);
    this.#recent.forget(entry);
    beginWrite(this.#layout.counters, bucket >>> STRIPE_BITS);
    const next = words[at + NEXT]!;
    if (buckets[bucket] === entry + 1) {
      Atomics.store(buckets, bucket, next);
    } else {
      let prev = buckets[bucket]! - 1;
      while (words[prev * ENTRY_WORDS + NEXT] !== entry + 1) prev = words[prev * ENTRY_WORDS + NEXT]! - 1;
      Atomics.store(words, prev * ENTRY_WORDS + NEXT, next);
    }
    Atomics.store(words, at + USER, 0);
    endWrite(this.#layout.counters, bucket >>> STRIPE_BITS);
    this.#users.detach(user, entry);
    if (verbatimId !== 0) this.#ids.free(verbatimId);
    this.#order.remove(entry);
    this.#expiry.remove(entry);
    Atomics.store(words, at + NEXT, this.#freed); // the free chain: readers left this entry with the bump above
    this.#freed = entry + 1;
    Atomics.store(this.#layout.header, HEADER_SIZE, --this.#size);
  }

  /** The least recently refreshed entry, or -1. */
  oldest(): number {
    return this.#order.oldest();
  }

  /** The entry after `entry` in refresh order (fresher), or -1. */
  fresherThan(entry: number): number {
    return this.#order.after(entry);
  }

  /**
   * The entry at the top of the expiry heap, or -1; nothing expires before soonestAt().
   * Its own expiresAt may be later (it was extended): then reschedule it and look again.
   */
  soonest(): number {
    return this.#expiry.peek();
  }

  soonestAt(): number {
    return this.#expiry.peekKey();
  }

  /** Moves an entry whose expiry was extended to its real place in the expiry heap. */
  reschedule(entry: number): void {
    this.#expiry.reschedule(entry);
  }

  /** Entries of `user` in any case (see user-records.ts). */
  entriesOf(user: string): number[] {
    return this.#users.entriesOf(user);
  }

  expiresAt(entry: number): number {
    return this.#slots[entry * ENTRY_SLOTS + EXPIRES]!;
  }

  /** The address of an entry, as normaliseAddress writes it. */
  ipOf(entry: number): string {
    const at = entry * ENTRY_WORDS;
    const words = this.#words;
    return formatAddressKey(words[at]!, words[at + 1]!, words[at + 2]!, words[at + 3]!);
  }

  /**
   * The entry as a Mapping: the one built last if the entry was not written since (see
   * recent-mappings.ts), else a new one. `ip` (the entry's address) and `user` (a guess: used
   * when it is exactly the stored name), when the caller has them, save decoding.
   */
  mapping(entry: number, ip?: string, user?: string): Mapping {
    const recent = this.#recent.get(entry);
    if (recent !== undefined) return recent;
    const mapping = this.#build(entry, ip, user);
    this.#recent.keep(entry, mapping);
    return mapping;
  }

  #build(entry: number, ip: string | undefined, user: string | undefined): Mapping {
    const words = this.#words;
    const slots = this.#slots;
    const at = entry * ENTRY_WORDS;
    const slot = entry * ENTRY_SLOTS;
    const tags = words[at + TAGS]!;
    return {
      id: this.#ids.of(entry),
      ip: ip ?? this.ipOf(entry),
      user: user !== undefined && this.#arena.equalsString(words[at + USER]! + R_NAME, user) ? user : this.#users.name(words[at + USER]!),
      sender: this.#strings.text(tags & 0xffff),
      profile: this.#strings.text(tags >>> 16),
      firstSeen: slots[slot + FIRST]!,
      lastSeen: slots[slot + LAST]!,
      expiresAt: slots[slot + EXPIRES]!,
      timeoutMs: timeoutOf(words[at + TIMEOUT]!),
    };
  }

  /** The mapping for `ip`, whatever its times say. */
  get(ip: string): Mapping | undefined {
    const entry = this.find(ip);
    return entry < 0 ? undefined : this.mapping(entry, ip);
  }

  /** A page in the store's fixed order of the entries `include` accepts (page-order.ts pageInOrder). */
  page(cursor: string | undefined, limit: number, include: (entry: number) => boolean): MappingPage {
    return pageInOrder(this.#layout, cursor, limit, include, (entry) => this.mapping(entry));
  }

  /**
   * Hands the entries of the buckets from `bucket` on that `include` accepts to `sink`,
   * stopping after the bucket where the `max`th was handed; returns the bucket to go on
   * from, or -1 when all are done. Buckets are visited in order and an entry never moves
   * bucket, so a walk that lets the table change between calls hands an entry present
   * throughout exactly once.
   */
  exportEntries(bucket: number, max: number, include: (entry: number) => boolean, sink: RawEntrySink): number {
    const { buckets } = this.#layout;
    const words = this.#words;
    const slots = this.#slots;
    const key = new Int32Array(4);
    const names = this.#arena.bytes;
    let handed = 0;
    for (; bucket < buckets.length; bucket++) {
      if (handed >= max) return bucket;
      for (let next = buckets[bucket]!; next !== 0; next = words[(next - 1) * ENTRY_WORDS + NEXT]!) {
        const entry = next - 1;
        if (!include(entry)) continue;
        const at = entry * ENTRY_WORDS;
        const slot = entry * ENTRY_SLOTS;
        for (let w = 0; w < 4; w++) key[w] = words[at + w]!;
        const tags = words[at + TAGS]!;
        const prefix = words[at + PREFIX]!;
        const name = (words[at + USER]! + R_NAME) * 4;
        sink.entry(
          key, slots[slot + FIRST]!, slots[slot + LAST]!, slots[slot + EXPIRES]!, timeoutOf(words[at + TIMEOUT]!),
          this.#strings.text(tags & 0xffff), this.#strings.text(tags >>> 16),
          prefix === VERBATIM_ID ? undefined : this.#strings.text(prefix), words[at + ID_SEQ]! >>> 0,
          prefix === VERBATIM_ID ? this.#ids.of(entry) : undefined,
          names, name + 4, this.#layout.arena[name >>> 2]!,
        );
        handed++;
      }
    }
    return -1;
  }

  /**
   * Puts `entries` (every entry of the store, each once) in refresh order, least recently
   * refreshed first: a restore inserts in the file's order, which is bucket order and so
   * kind to the caches, then sets the order the times say.
   */
  setRefreshOrder(entries: ArrayLike<number>): void {
    if (entries.length !== this.#size) throw new RangeError(`setRefreshOrder needs every entry: ${entries.length} of ${this.#size}`);
    this.#order.rebuild(entries);
  }

  /** Every entry, least recently refreshed first. */
  *entries(): IterableIterator<number> {
    for (let entry = this.#order.oldest(); entry !== -1; entry = this.#order.after(entry)) yield entry;
  }

  #take(): number {
    if (this.#freed !== 0) {
      const entry = this.#freed - 1;
      this.#freed = this.#words[entry * ENTRY_WORDS + NEXT]!;
      return entry;
    }
    return this.#unused++;
  }

  #hashOf(entry: number): number {
    return keyHashAt(this.#words, entry * ENTRY_WORDS);
  }

  #stripeOf(entry: number): number {
    return bucketOf(this.#layout, this.#hashOf(entry)) >>> STRIPE_BITS;
  }

  /** Inside the entry's seqlock: every field but the key and the chain link. */
  #writeFields(
    entry: number, user: number, tags: number, id: IdWords, firstSeen: number, lastSeen: number, expiresAt: number, timeoutMs: number,
  ): void {
    const words = this.#words;
    const at = entry * ENTRY_WORDS;
    Atomics.store(words, at + USER, user);
    Atomics.store(words, at + TAGS, tags);
    Atomics.store(words, at + PREFIX, id[0]);
    storeFloat(words, at + 2 * FIRST, firstSeen);
    storeFloat(words, at + 2 * LAST, lastSeen);
    storeFloat(words, at + 2 * EXPIRES, expiresAt);
    Atomics.store(words, at + TIMEOUT, timeoutWord(timeoutMs));
    Atomics.store(words, at + ID_SEQ, id[1] | 0);
  }

  /** The TAGS word: sender and profile interned (throws past MAX_STRINGS: never inside a seqlock). */
  #tagsOf(sender: string, profile: string): number {
    return this.#strings.indexOf(sender) | (this.#strings.indexOf(profile) << 16);
  }
}
