/**
 * A binary min-heap: O(log n) push and pop, ordered by `before(a, b)` (true when a comes
 * first). Used by the accounting dispatcher (ready and retry queues) and by the mapping
 * table's expiry sweep.
 */
export class MinHeap<T> {
  #items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      swap(items, i, parent);
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /** Replaces the contents with `items` in O(n) (Floyd's heap construction). */
  rebuild(items: T[]): void {
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  #siftDown(start: number): void {
    const items = this.#items;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < items.length && this.before(items[left]!, items[first]!)) first = left;
      if (right < items.length && this.before(items[right]!, items[first]!)) first = right;
      if (first === i) break;
      swap(items, i, first);
      i = first;
    }
  }
}

function swap<T>(items: T[], a: number, b: number): void {
  const t = items[a]!;
  items[a] = items[b]!;
  items[b] = t;
}
