/**
 * Entries by expiresAt, soonest first: an indexed binary min-heap of entry indexes in a
 * shared Int32Array, each entry knowing its position (HEAP_POS, position + 1; 0: not in
 * the heap). Unlike a lazy heap it never holds a stale node, so its size is the number of
 * entries that can expire and it never needs rebuilding: push, remove and a changed
 * expiry are O(log n), peek O(1). Entries that never expire (Infinity) are not in it.
 * The writer's alone: readers check expiresAt themselves.
 */
import { ENTRY_SLOTS, EXPIRES, HEAP_POS, LINK_WORDS } from './layout.js';

export class ExpiryHeap {
  readonly #heap: Int32Array;
  readonly #links: Int32Array;
  readonly #slots: Float64Array;
  #size = 0;

  constructor(heap: Int32Array, links: Int32Array, slots: Float64Array) {
    this.#heap = heap;
    this.#links = links;
    this.#slots = slots;
  }

  get size(): number {
    return this.#size;
  }

  /** The entry that expires first, or -1. */
  peek(): number {
    return this.#size === 0 ? -1 : this.#heap[0]!;
  }

  /** Puts the entry where its (new) expiresAt belongs: adds, moves or removes it. */
  update(entry: number): void {
    const expires = this.#expires(entry);
    const pos = this.#links[entry * LINK_WORDS + HEAP_POS]! - 1;
    if (pos < 0) {
      if (expires === Number.POSITIVE_INFINITY) return;
      this.#place(entry, this.#size++);
      this.#up(this.#size - 1);
    } else if (expires === Number.POSITIVE_INFINITY) {
      this.remove(entry);
    } else {
      this.#up(pos);
      this.#down(this.#links[entry * LINK_WORDS + HEAP_POS]! - 1);
    }
  }

  remove(entry: number): void {
    const pos = this.#links[entry * LINK_WORDS + HEAP_POS]! - 1;
    if (pos < 0) return;
    this.#links[entry * LINK_WORDS + HEAP_POS] = 0;
    const last = this.#heap[--this.#size]!;
    if (pos === this.#size) return;
    this.#place(last, pos);
    this.#up(pos);
    this.#down(this.#links[last * LINK_WORDS + HEAP_POS]! - 1);
  }

  #expires(entry: number): number {
    return this.#slots[entry * ENTRY_SLOTS + EXPIRES]!;
  }

  #place(entry: number, pos: number): void {
    this.#heap[pos] = entry;
    this.#links[entry * LINK_WORDS + HEAP_POS] = pos + 1;
  }

  #up(pos: number): void {
    const entry = this.#heap[pos]!;
    const key = this.#expires(entry);
    while (pos > 0) {
      const parent = (pos - 1) >>> 1;
      const above = this.#heap[parent]!;
      if (this.#expires(above) <= key) break;
      this.#place(above, pos);
      pos = parent;
    }
    this.#place(entry, pos);
  }

  #down(pos: number): void {
    const entry = this.#heap[pos]!;
    const key = this.#expires(entry);
    const size = this.#size;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#expires(this.#heap[child + 1]!) < this.#expires(this.#heap[child]!)) child++;
      const below = this.#heap[child]!;
      if (this.#expires(below) >= key) break;
      this.#place(below, pos);
      pos = child;
    }
    this.#place(entry, pos);
  }
}
