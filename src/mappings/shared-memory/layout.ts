/**
 * Where each thing lives in the table's SharedArrayBuffers, allocated once at full
 * capacity (untouched pages cost no RSS; nothing ever grows or rehashes).
 *
 * entries   capacity × 64 bytes, one record per mapping, all a reader needs in one cache
 *           line: Int32 words 0–9 then Float64 slots 5–7:
 *             K0..K3   the address key (address-key.ts)
 *             NEXT     next entry in the bucket's chain, as index + 1 (0: end)
 *             USER     the user record (arena word offset; 0: the entry is free)
 *             TAGS     sender | profile << 16 (interned-string indexes)
 *             PREFIX   id prefix (interned index), or VERBATIM_ID: the id is a string record
 *             ID_SEQ   id number, unsigned (the id is `${prefix}-${n in base 36}`), or the
 *                      id's string record; an id whose number is past 2^32 - 1 is verbatim
 *             TIMEOUT  timeoutMs as timeoutWord() writes it
 *             FIRST, LAST, EXPIRES (epoch ms; EXPIRES = Infinity until logout)
 * links     capacity × 5 Int32, the writer's alone: refresh order (LRU_PREV, LRU_NEXT),
 *           the user's chain (USER_PREV, USER_NEXT, index + 1) and HEAP_POS (position + 1).
 * buckets   heads of the address chains (index + 1); a power of two ≥ capacity.
 * counters  one seqlock counter per STRIPE buckets (seqlock.ts).
 * heap      the expiry heap (expiry-heap.ts): entry indexes, and heapKeys their keys.
 * userHeads heads of the user-record chains (user-records.ts), half as many as buckets
 *           (USER_BUCKET_BITS: chains of two on average, a user's lookup is rarer than an address's).
 * arena     name and string records (arena.ts).
 * strings   interned-string table: [count, record offset of string 0, 1, ...].
 * header    [size, stale].
 */
import type { TableShare } from '../table-reader.js';

export const K0 = 0;
export const NEXT = 4;
export const USER = 5;
export const TAGS = 6;
export const PREFIX = 7;
export const ID_SEQ = 8;
export const TIMEOUT = 9;
/** Float64 slots of an entry (its Int32 word is 2 × slot). */
export const FIRST = 5;
export const LAST = 6;
export const EXPIRES = 7;
export const ENTRY_WORDS = 16;
export const ENTRY_SLOTS = 8;
/** The largest id number an entry holds as a number. */
export const MAX_ID_NUMBER = 0xffffffff;

/**
 * A timeout in one Int32 word: whole milliseconds up to 2^31 - 1 (24.8 days) as they are;
 * longer ones (PAN-OS XML API pushes, in minutes) as whole seconds with the top bit set.
 */
export function timeoutWord(ms: number): number {
  return ms <= 0x7fffffff ? ms | 0 : (0x80000000 | Math.min(Math.floor(ms / 1000), 0x7fffffff)) | 0;
}

export function timeoutOf(word: number): number {
  return word >= 0 ? word : (word & 0x7fffffff) * 1000;
}

export const LRU_PREV = 0;
export const LRU_NEXT = 1;
export const USER_PREV = 2;
export const USER_NEXT = 3;
export const HEAP_POS = 4;
export const LINK_WORDS = 5;

/** PREFIX of an entry whose id did not come in `${prefix}-${base 36}` form (a foreign snapshot). */
export const VERBATIM_ID = -1;
/** At most this many distinct senders, profiles and id prefixes (TAGS packs two in 16 bits each). */
export const MAX_STRINGS = 0xffff;

/** Buckets per seqlock counter: a reader retries only for writes near its bucket. */
export const STRIPE_BITS = 4;
/** Never fewer buckets than this, so a small table still spreads its keys. */
const MIN_BUCKET_BITS = 10;
/** Arena bytes reserved per entry (a user record is about 32 bytes; pages untouched cost nothing). */
const ARENA_BYTES_PER_ENTRY = 128;

export const HEADER_SIZE = 0;
export const HEADER_STALE = 1;

export interface TableBuffers {
  readonly header: SharedArrayBuffer;
  readonly entries: SharedArrayBuffer;
  readonly links: SharedArrayBuffer;
  readonly buckets: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
  readonly heap: SharedArrayBuffer;
  readonly heapKeys: SharedArrayBuffer;
  readonly userHeads: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
  readonly strings: SharedArrayBuffer;
}

export interface TableLayout {
  readonly capacity: number;
  readonly bucketBits: number;
  readonly buffers: TableBuffers;
  readonly header: Int32Array;
  readonly words: Int32Array;
  readonly slots: Float64Array;
  readonly links: Int32Array;
  readonly buckets: Int32Array;
  readonly counters: Int32Array;
  readonly heap: Int32Array;
  readonly heapKeys: Float64Array;
  readonly userHeads: Int32Array;
  readonly arena: Int32Array;
  readonly arenaBytes: Uint8Array;
  readonly strings: Int32Array;
}

export function allocateLayout(capacity: number): TableLayout {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
  const bucketBits = Math.max(MIN_BUCKET_BITS, Math.ceil(Math.log2(capacity)));
  const buckets = 2 ** bucketBits;
  const buffers: TableBuffers = {
    header: new SharedArrayBuffer(8 * 4),
    entries: new SharedArrayBuffer(capacity * ENTRY_WORDS * 4),
    links: new SharedArrayBuffer(capacity * LINK_WORDS * 4),
    buckets: new SharedArrayBuffer(buckets * 4),
    counters: new SharedArrayBuffer((buckets >>> STRIPE_BITS) * 4),
    heap: new SharedArrayBuffer(capacity * 4),
    heapKeys: new SharedArrayBuffer(capacity * 8),
    userHeads: new SharedArrayBuffer((buckets >>> 1) * 4),
    arena: new SharedArrayBuffer(Math.max(1 << 16, capacity * ARENA_BYTES_PER_ENTRY)),
    strings: new SharedArrayBuffer((MAX_STRINGS + 1) * 4),
  };
  return viewLayout(buffers, capacity, bucketBits);
}

function viewLayout(buffers: TableBuffers, capacity: number, bucketBits: number): TableLayout {
  return {
    capacity,
    bucketBits,
    buffers,
    header: new Int32Array(buffers.header),
    words: new Int32Array(buffers.entries),
    slots: new Float64Array(buffers.entries),
    links: new Int32Array(buffers.links),
    buckets: new Int32Array(buffers.buckets),
    counters: new Int32Array(buffers.counters),
    heap: new Int32Array(buffers.heap),
    heapKeys: new Float64Array(buffers.heapKeys),
    userHeads: new Int32Array(buffers.userHeads),
    arena: new Int32Array(buffers.arena),
    arenaBytes: new Uint8Array(buffers.arena),
    strings: new Int32Array(buffers.strings),
  };
}

/** The layout as postMessage / workerData carries it. */
export function shareOf(layout: TableLayout): TableShare {
  return { version: 1, buffers: { ...layout.buffers }, params: { capacity: layout.capacity, bucketBits: layout.bucketBits } };
}

/** The same buffers seen from another thread. */
export function layoutOf(share: TableShare): TableLayout {
  if (share.version !== 1) throw new RangeError(`table share version ${String(share.version)} is not understood`);
  const capacity = Number(share.params['capacity']);
  const bucketBits = Number(share.params['bucketBits']);
  const b = share.buffers;
  const buffers = { header: b['header'], entries: b['entries'], links: b['links'], buckets: b['buckets'], counters: b['counters'], heap: b['heap'], heapKeys: b['heapKeys'], userHeads: b['userHeads'], arena: b['arena'], strings: b['strings'] };
  for (const [name, buffer] of Object.entries(buffers)) {
    if (!(buffer instanceof SharedArrayBuffer)) throw new TypeError(`table share lacks its ${name} buffer`);
  }
  return viewLayout(buffers as TableBuffers, capacity, bucketBits);
}

/** Bits of a user-record bucket number (userHeads has half as many buckets as the address index). */
export function userBucketBits(layout: TableLayout): number {
  return layout.bucketBits - 1;
}

/** Bucket of a key hash (its top bits: so bucket order is hash order, see page-order.ts). */
export function bucketOf(layout: TableLayout, hash: number): number {
  return hash >>> (32 - layout.bucketBits);
}
