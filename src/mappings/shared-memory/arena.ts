/**
 * Variable-length records (user names, interned strings, verbatim ids) in one shared
 * Int32Array, addressed by word offset (0 is never a record, so 0 means none). Freed
 * records go on a free list per size in words and are reused by the next record of that
 * size, so churn among names of similar length does not grow the arena. When the unused
 * tail runs out, a larger free record is split; when nothing fits, alloc answers 0 and
 * the table makes room by evicting (memory-table.ts), so the arena is bounded by its
 * reservation, never outgrown.
 *
 * A string record is [byte length, UTF-8 bytes...]. Every arena word is written with
 * Atomics.store (a reader on another thread may be reading a record the writer just
 * freed: it retries, by the seqlock rules in seqlock.ts); the writer reads plainly.
 */

/** Words before the bytes of a string record. */
export const STRING_HEADER_WORDS = 1;

/** A local (unshared) buffer seen both as bytes and as platform-order words, like the arena. */
class Scratch {
  bytes: Buffer;
  words: Int32Array;
  constructor(size: number) {
    const buffer = new ArrayBuffer(size);
    this.bytes = Buffer.from(buffer);
    this.words = new Int32Array(buffer);
  }
}

function scratchFor(current: Scratch, bytes: number): Scratch {
  return current.bytes.length >= bytes ? current : new Scratch(((bytes >>> 2) + 1) * 8);
}

export class Arena {
  readonly #words: Int32Array;
  readonly #bytes: Buffer;
  #top = 1;
  /** size in words → first free record of that size; each free record's word 0 links the next. */
  readonly #free = new Map<number, number>();
  #scratch = new Scratch(1024);

  /** The arena's bytes (the writer's own view). */
  get bytes(): Buffer {
    return this.#bytes;
  }

  constructor(words: Int32Array) {
    this.#words = words;
    this.#bytes = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  }

  /** A record of `size` words, or 0 when the arena has no room for it. */
  alloc(size: number): number {
    const reused = this.#free.get(size);
    if (reused !== undefined) {
      this.#pop(size, reused);
      return reused;
    }
    if (this.#top + size <= this.#words.length) {
      const at = this.#top;
      this.#top += size;
      return at;
    }
    for (const [larger, at] of this.#free) {
      if (larger <= size) continue;
      this.#pop(larger, at);
      this.free(at + size, larger - size);
      return at;
    }
    return 0;
  }

  free(at: number, size: number): void {
    const head = this.#free.get(size);
    Atomics.store(this.#words, at, head ?? 0); // a reader may still be reading it: atomics only (seqlock.ts)
    this.#free.set(size, at);
  }

  #pop(size: number, at: number): void {
    const next = this.#words[at]!;
    if (next === 0) this.#free.delete(size);
    else this.#free.set(size, next);
  }

  /** Words a string record needs after `headerWords` words of its own. */
  static wordsFor(text: string, headerWords: number): number {
    return headerWords + STRING_HEADER_WORDS + ((Buffer.byteLength(text, 'utf8') + 3) >>> 2);
  }

  /** Words a string record of `length` UTF-8 bytes needs after `headerWords` words of its own. */
  static wordsForBytes(length: number, headerWords: number): number {
    return headerWords + STRING_HEADER_WORDS + ((length + 3) >>> 2);
  }

  /** Writes `text` as a string record at `at` (allocated with wordsFor). */
  writeString(at: number, text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    const scratch = (this.#scratch = scratchFor(this.#scratch, length + 4));
    scratch.bytes.write(text, 0, 'utf8');
    this.#publish(at, scratch, length);
  }

  /** Writes UTF-8 `bytes[start..start+length]` as a string record at `at` (allocated with wordsForBytes). */
  writeBytes(at: number, bytes: Buffer, start: number, length: number): void {
    const scratch = (this.#scratch = scratchFor(this.#scratch, length + 4));
    bytes.copy(scratch.bytes, 0, start, start + length);
    this.#publish(at, scratch, length);
  }

  /** Whether the record at `at` holds exactly `bytes[start..start+length]`. */
  equalsBytes(at: number, bytes: Buffer, start: number, length: number): boolean {
    if (this.#words[at] !== length) return false;
    const from = (at + 1) * 4;
    return this.#bytes.compare(bytes, start, start + length, from, from + length) === 0;
  }

  #publish(at: number, scratch: Scratch, length: number): void {
    scratch.bytes.fill(0, length, (length + 3) & ~3);
    Atomics.store(this.#words, at, length);
    for (let i = 0; i < (length + 3) >>> 2; i++) Atomics.store(this.#words, at + 1 + i, scratch.words[i]!);
  }

  /** The string record at `at` (the writer's own read: plain, it races with nothing). */
  readString(at: number): string {
    const start = (at + 1) * 4;
    return this.#bytes.toString('utf8', start, start + this.#words[at]!);
  }

  /** Whether the record at `at` holds exactly `text` (no allocation for ASCII text). */
  equalsString(at: number, text: string): boolean {
    const length = this.#words[at]!;
    if (length < text.length) return false;
    const start = (at + 1) * 4;
    const bytes = this.#bytes;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 127) return this.readString(at) === text;
      if (bytes[start + i] !== c) return false;
    }
    return length === text.length;
  }
}

/** Reads a string record from another thread: atomic word loads into a local buffer. */
export class StringRecordReader {
  readonly #words: Int32Array;
  #local = new Scratch(256);

  constructor(words: Int32Array) {
    this.#words = words;
  }

  /** The string at `at`, or undefined when its length word is out of bounds (a torn read: retry). */
  read(at: number): string | undefined {
    if (!Number.isInteger(at) || at <= 0 || at >= this.#words.length) return undefined;
    const length = Atomics.load(this.#words, at);
    const count = (length + 3) >>> 2;
    if (length < 0 || at + 1 + count > this.#words.length) return undefined;
    const local = (this.#local = scratchFor(this.#local, count * 4));
    for (let i = 0; i < count; i++) local.words[i] = Atomics.load(this.#words, at + 1 + i);
    return local.bytes.toString('utf8', 0, length);
  }
}
