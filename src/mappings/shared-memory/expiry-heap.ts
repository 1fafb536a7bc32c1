/**
 * Entries by expiry, soonest first: an indexed binary min-heap of entry indexes with each
 * node's key beside it (heapKeys), each entry knowing its position (HEAP_POS, position + 1;
 * 0: not in the heap). Entries that never expire (Infinity) are not in it.
 *
 * A node's key may be earlier than its entry's expiresAt, never later: a refresh that
 * extends the expiry (the usual heartbeat) leaves the node where it is, O(1), and when it
 * comes to the top the sweep finds the entry not due yet and moves it down to its real
 * time (reschedule). A refresh that shortens the expiry moves the node up at once. So a
 * heartbeat costs nothing here, and each entry costs at most one O(log n) move per
 * timeout it lives, when its old time comes. The heap never holds a node for an entry
 * that is gone, so it never needs rebuilding. The writer's alone: readers check
 * expiresAt themselves.
 */
import { ENTRY_SLOTS, EXPIRES, HEAP_POS, LINK_WORDS } from './layout.js';

export class ExpiryHeap {
  readonly #heap: Int32Array;
  readonly #keys: Float64Array;
  readonly #links: Int32Array;
  readonly #slots: Float64Array;
  #size = 0;

  constructor(heap: Int32Array, keys: Float64Array, links: Int32Array, slots: Float64Array) {
    this.#heap = heap;
    this.#keys = keys;
    this.#links = links;
    this.#slots = slots;
  }

  get size(): number {
    return this.#size;
  }

  /** The entry at the top (its expiresAt is at least the top key), or -1. */
  peek(): number {
    return this.#size === 0 ? -1 : this.#heap[0]!;
  }

  /** The top node's key: nothing expires before it (Infinity when empty). */
  peekKey(): number {
    return this.#size === 0 ? Number.POSITIVE_INFINITY : this.#keys[0]!;
  }

  /** After the entry's expiresAt changed: adds, moves up or removes its node (an extension waits: see above). */
  update(entry: number): void {
    const expires = this.#expires(entry);
    const pos = this.#links[entry * LINK_WORDS + HEAP_POS]! - 1;
    if (pos < 0) {
      if (expires === Number.POSITIVE_INFINITY) return;
      const at = this.#size++;
      this.#place(entry, expires, at);
      this.#up(at);
    } else if (expires === Number.POSITIVE_INFINITY) {
      this.remove(entry);
    } else if (expires < this.#keys[pos]!) {
      this.#keys[pos] = expires;
      this.#up(pos);
    }
  }

  /** Gives the entry's node its real time (it was extended since), moving it down. */
  reschedule(entry: number): void {
    const pos = this.#links[entry * LINK_WORDS + HEAP_POS]! - 1;
    if (pos < 0) return;
    this.#keys[pos] = this.#expires(entry);
    this.#down(pos);
  }

  remove(entry: number): void {
    const pos = this.#links[entry * LINK_WORDS + HEAP_POS]! - 1;
    if (pos < 0) return;
    this.#links[entry * LINK_WORDS + HEAP_POS] = 0;
    const last = --this.#size;
    if (pos === last) return;
    this.#place(this.#heap[last]!, this.#keys[last]!, pos);
    this.#up(pos);
    this.#down(this.#links[this.#heap[pos]! * LINK_WORDS + HEAP_POS]! - 1);
  }

  #expires(entry: number): number {
    return this.#slots[entry * ENTRY_SLOTS + EXPIRES]!;
  }

  #place(entry: number, key: number, pos: number): void {
    this.#heap[pos] = entry;
    this.#keys[pos] = key;
    this.#links[entry * LINK_WORDS + HEAP_POS] = pos + 1;
  }

  #up(pos: number): void {
    const entry = this.#heap[pos]!;
    const key = this.#keys[pos]!;
    while (pos > 0) {
      const parent = (pos - 1) >>> 1;
      if (this.#keys[parent]! <= key) break;
      this.#place(this.#heap[parent]!, this.#keys[parent]!, pos);
      pos = parent;
    }
    this.#place(entry, key, pos);
  }

  #down(pos: number): void {
    const entry = this.#heap[pos]!;
    const key = this.#keys[pos]!;
    const size = this.#size;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#keys[child + 1]! < this.#keys[child]!) child++;
      if (this.#keys[child]! >= key) break;
      this.#place(this.#heap[child]!, this.#keys[child]!, pos);
      pos = child;
    }
    this.#place(entry, key, pos);
  }
}
