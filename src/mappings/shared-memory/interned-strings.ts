/**
 * Senders, profiles and id prefixes: a few dozen distinct strings among millions of
 * entries, so each is stored once and an entry holds its 16-bit index. Interned strings
 * are never freed (their number is bounded by the configuration and by restarts, one id
 * prefix each), which lets a reader cache what it decoded. Shared table layout:
 * strings[0] = count, strings[1 + i] = the arena record of string i, published count last.
 */
import { Arena, StringRecordReader } from './arena.js';
import { MAX_STRINGS } from './layout.js';

export class InternedStrings {
  readonly #table: Int32Array;
  readonly #arena: Arena;
  readonly #index = new Map<string, number>();
  readonly #texts: string[] = [];

  constructor(table: Int32Array, arena: Arena) {
    this.#table = table;
    this.#arena = arena;
  }

  /** The index of `text`, interning it on first sight. */
  indexOf(text: string): number {
    const known = this.#index.get(text);
    if (known !== undefined) return known;
    const index = this.#texts.length;
    if (index >= MAX_STRINGS) throw new RangeError(`more than ${MAX_STRINGS} distinct senders, profiles and id prefixes`);
    const at = this.#arena.alloc(Arena.wordsFor(text, 0));
    if (at === 0) throw new RangeError('the table arena has no room for an interned string');
    this.#arena.writeString(at, text);
    Atomics.store(this.#table, 1 + index, at);
    Atomics.store(this.#table, 0, index + 1); // published after its record is whole
    this.#index.set(text, index);
    this.#texts.push(text);
    return index;
  }

  text(index: number): string {
    return this.#texts[index]!;
  }
}

/** The interned strings as another thread sees them; decoded once each, then cached. */
export class InternedStringsReader {
  readonly #table: Int32Array;
  readonly #records: StringRecordReader;
  readonly #texts: string[] = [];

  constructor(table: Int32Array, records: StringRecordReader) {
    this.#table = table;
    this.#records = records;
  }

  /** undefined for an index not yet published (a torn entry read: the caller retries). */
  text(index: number): string | undefined {
    const cached = this.#texts[index];
    if (cached !== undefined) return cached;
    if (index < 0 || index >= Atomics.load(this.#table, 0)) return undefined;
    const text = this.#records.read(Atomics.load(this.#table, 1 + index));
    if (text !== undefined) this.#texts[index] = text;
    return text;
  }
}
