/**
 * Events waiting for the shared table while Redis is unreachable: first in, first out,
 * bounded (`mappings.store.queueMaxEvents`). A full queue drops the newest event, counts
 * it and reports it once per outage (and then at every further power of ten dropped),
 * never throws: ingestion goes on, a log line says what is lost.
 *
 * With a journal (outage-journal.ts) each accepted event is also appended to a file, and
 * leaves it once applied in Redis (`applied`), so a listener killed or restarted during an
 * outage finds its queue again (`restore`). The memory FIFO stays the order of record.
 */
export interface QueueJournal<T> {
  /** The item's sequence number in the file, or 0 when it could not be kept there (still queued). */
  append(item: T): number;
  ack(seq: number): void;
}

export interface Queued<T> {
  readonly item: T;
  /** Its place in the journal; 0: in memory only. */
  readonly seq: number;
}

export class OutageQueue<T> {
  #items: Queued<T>[] = [];
  #head = 0;
  #dropped = 0;
  readonly #max: number;
  readonly #onOverflow: (dropped: number) => void;
  readonly #journal: QueueJournal<T> | undefined;

  constructor(max: number, onOverflow: (dropped: number) => void, journal?: QueueJournal<T>) {
    this.#max = max;
    this.#onOverflow = onOverflow;
    this.#journal = journal;
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
    this.#items.push({ item, seq: this.#journal?.append(item) ?? 0 });
    return true;
  }

  /**
   * What an earlier run left in the journal goes first, in its order. Kept whole even
   * beyond the bound (it was accepted then); new items wait for room.
   */
  restore(entries: readonly Queued<T>[]): void {
    this.putBack(entries);
  }

  /** Up to `max` items from the front, removed. */
  take(max: number): Queued<T>[] {
    const taken = this.#items.slice(this.#head, this.#head + max);
    this.#head += taken.length;
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /** Items taken but not applied go back to the front, in their order. */
  putBack(entries: readonly Queued<T>[]): void {
    this.#items = [...entries, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Items taken and applied leave the journal. */
  applied(entries: readonly Queued<T>[]): void {
    for (const { seq } of entries) if (seq > 0) this.#journal?.ack(seq);
  }

  /** The next overflow is reported again as the first of its outage. */
  outageEnded(): void {
    this.#dropped = 0;
  }
}
