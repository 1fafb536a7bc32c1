/**
 * Entries in refresh order, least recently refreshed first: a doubly linked list through
 * the links array (LRU_PREV / LRU_NEXT, index + 1). A login or refresh moves its entry to
 * the fresh end; reads never touch it. Capacity eviction takes the oldest. The writer's alone.
 */
import { LINK_WORDS, LRU_NEXT, LRU_PREV } from './layout.js';

export class RefreshOrder {
  readonly #links: Int32Array;
  #oldest = 0;
  #newest = 0;

  constructor(links: Int32Array) {
    this.#links = links;
  }

  /** The least recently refreshed entry, or -1. */
  oldest(): number {
    return this.#oldest - 1;
  }

  /** The next fresher entry after `entry`, or -1. */
  after(entry: number): number {
    return this.#links[entry * LINK_WORDS + LRU_NEXT]! - 1;
  }

  /** Appends an entry that is not in the list at the fresh end. */
  push(entry: number): void {
    const links = this.#links;
    links[entry * LINK_WORDS + LRU_PREV] = this.#newest;
    links[entry * LINK_WORDS + LRU_NEXT] = 0;
    if (this.#newest === 0) this.#oldest = entry + 1;
    else links[(this.#newest - 1) * LINK_WORDS + LRU_NEXT] = entry + 1;
    this.#newest = entry + 1;
  }

  remove(entry: number): void {
    const links = this.#links;
    const prev = links[entry * LINK_WORDS + LRU_PREV]!;
    const next = links[entry * LINK_WORDS + LRU_NEXT]!;
    if (prev === 0) this.#oldest = next;
    else links[(prev - 1) * LINK_WORDS + LRU_NEXT] = next;
    if (next === 0) this.#newest = prev;
    else links[(next - 1) * LINK_WORDS + LRU_PREV] = prev;
  }

  /** Replaces the whole list with `entries`, oldest first. */
  rebuild(entries: ArrayLike<number>): void {
    const links = this.#links;
    let previous = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      links[entry * LINK_WORDS + LRU_PREV] = previous;
      if (previous !== 0) links[(previous - 1) * LINK_WORDS + LRU_NEXT] = entry + 1;
      previous = entry + 1;
    }
    if (previous !== 0) links[(previous - 1) * LINK_WORDS + LRU_NEXT] = 0;
    this.#oldest = entries.length === 0 ? 0 : entries[0]! + 1;
    this.#newest = previous;
  }

  /** Moves an entry to the fresh end. */
  touch(entry: number): void {
    if (this.#newest === entry + 1) return;
    this.remove(entry);
    this.push(entry);
  }
}
