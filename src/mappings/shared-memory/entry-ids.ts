/**
 * Mapping ids as the store keeps them. The ids the memory table makes are
 * `${prefix}-${n in base 36}` (formatId): the store keeps the prefix interned and n in the
 * entry's ID_SEQ word, so an id costs no name space. Any other id (one from another
 * listener's build, or n past MAX_ID_NUMBER) is kept verbatim as a string record in the
 * arena, PREFIX then VERBATIM_ID and ID_SEQ the record.
 */
import { Arena } from './arena.js';
import type { InternedStrings } from './interned-strings.js';
import { ENTRY_WORDS, ID_SEQ, MAX_ID_NUMBER, PREFIX, VERBATIM_ID } from './layout.js';

/** The form an id the table makes has; n a safe integer. */
const ID_FORM = /^(.+)-([0-9a-z]{1,11})$/;

/** `${prefix}-${n in base 36}` as one flat string (a template literal keeps a rope of three pieces, ~50 bytes more per id). */
export function formatId(prefix: string, n: number): string {
  return [prefix, n.toString(36)].join('-');
}

/** The two words of an entry's id: [prefix index, n] or [VERBATIM_ID, string record]. */
export type IdWords = readonly [number, number];

export class EntryIds {
  readonly #words: Int32Array;
  readonly #arena: Arena;
  readonly #strings: InternedStrings;

  constructor(words: Int32Array, arena: Arena, strings: InternedStrings) {
    this.#words = words;
    this.#arena = arena;
    this.#strings = strings;
  }

  /** The words for `id` (a string record made when verbatim); undefined: no room for it. */
  encode(id: string): IdWords | undefined {
    const dash = id.lastIndexOf('-');
    if (dash > 0) {
      const digits = id.slice(dash + 1);
      const n = parseInt(digits, 36);
      if (Number.isSafeInteger(n) && n <= MAX_ID_NUMBER && n.toString(36) === digits && ID_FORM.test(id)) return [this.#strings.indexOf(id.slice(0, dash)), n];
    }
    return this.#verbatim(id);
  }

  /** The words for an id as a binary snapshot holds it (prefix and number, or the whole id). */
  encodeSaved(prefix: string | undefined, n: number, verbatim: string | undefined): IdWords | undefined {
    if (prefix !== undefined && n <= MAX_ID_NUMBER) return [this.#strings.indexOf(prefix), n];
    return this.#verbatim(verbatim ?? formatId(prefix ?? '', n));
  }

  /** The entry's verbatim id record, or 0 when its id is prefix and number. */
  verbatimOf(entry: number): number {
    return this.#words[entry * ENTRY_WORDS + PREFIX] === VERBATIM_ID ? this.#words[entry * ENTRY_WORDS + ID_SEQ]! : 0;
  }

  /** Whether the verbatim record `at` holds `id` (an update keeping its id keeps the record). */
  holds(at: number, id: string): boolean {
    return this.#arena.readString(at) === id;
  }

  /** Frees a verbatim id's record. */
  free(at: number): void {
    this.#arena.free(at, Arena.wordsFor(this.#arena.readString(at), 0));
  }

  /** The entry's id as text. */
  of(entry: number): string {
    const prefix = this.#words[entry * ENTRY_WORDS + PREFIX]!;
    const n = this.#words[entry * ENTRY_WORDS + ID_SEQ]! >>> 0;
    return prefix === VERBATIM_ID ? this.#arena.readString(n) : formatId(this.#strings.text(prefix), n);
  }

  #verbatim(id: string): IdWords | undefined {
    const at = this.#arena.alloc(Arena.wordsFor(id, 0));
    if (at === 0) return undefined;
    this.#arena.writeString(at, id);
    return [VERBATIM_ID, at];
  }
}
