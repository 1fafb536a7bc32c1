/**
 * Events waiting for the shared table while Redis is unreachable: first in, first out,
 * bounded (`mappings.store.queueMaxEvents`). A full queue drops the newest event, counts
 * it and reports it once per outage (and then at every further power of ten dropped),
 * never throws: ingestion goes on, a log line says what is lost.
 */
export class OutageQueue<T> {
  #items: T[] = [];
  #head = 0;
  #dropped = 0;
  readonly #max: number;
  readonly #onOverflow: (dropped: number) => void;

  constructor(max: number, onOverflow: (dropped: number) => void) {
    this.#max = max;
    this.#onOverflow = onOverflow;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** False when full (the item is dropped). */
  push(item: T): boolean {
    if (this.size >= this.#max) {
      this.#dropped++;
      if (this.#dropped === 1 || Number.isInteger(Math.log10(this.#dropped))) this.#onOverflow(this.#dropped);
      return false;
    }
    this.#items.push(item);
    return true;
  }

  /** Up to `max` items from the front, removed. */
  take(max: number): T[] {
    const taken = this.#items.slice(this.#head, this.#head + max);
    this.#head += taken.length;
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /** Items taken but not applied go back to the front, in their order. */
  putBack(items: readonly T[]): void {
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** The next overflow is reported again as the first of its outage. */
  outageEnded(): void {
    this.#dropped = 0;
  }
}
