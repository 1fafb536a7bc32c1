/**
 * The table as another thread reads it (table-reader.ts): lock-free lookups in the
 * writer's SharedArrayBuffers under the bucket stripe's seqlock (seqlock.ts). A read that
 * overlapped a write starts over; it never waits on a lock and never returns a mix of two
 * versions of an entry. Torn values met on the way (a chain link into a reused entry, a
 * name length out of bounds) are caught by bounds checks and the retry.
 */
import type { Mapping } from '../table.js';
import type { TableReader, TableShare } from '../table-reader.js';
import { keyHash, parseAddressKey } from './address-key.js';
import { StringRecordReader } from './arena.js';
import { formatId } from './entry-ids.js';
import { InternedStringsReader } from './interned-strings.js';
import {
  ENTRY_WORDS, EXPIRES, FIRST, HEADER_SIZE, HEADER_STALE, ID_SEQ, LAST, NEXT, PREFIX, STRIPE_BITS, TAGS, TIMEOUT, USER, VERBATIM_ID,
  bucketOf, layoutOf, timeoutOf, type TableLayout,
} from './layout.js';
import { loadFloat, readBegin, readValid } from './seqlock.js';
import { R_NAME } from './user-records.js';

/** Tries before a read gives up (only a writer that died mid-write could make it). */
const MAX_TRIES = 1_000_000;

export function openTableReader(share: TableShare): TableReader {
  return new SharedTableReader(layoutOf(share));
}

class SharedTableReader implements TableReader {
  readonly #layout: TableLayout;
  readonly #records: StringRecordReader;
  readonly #strings: InternedStringsReader;
  readonly #key = new Int32Array(4);

  constructor(layout: TableLayout) {
    this.#layout = layout;
    this.#records = new StringRecordReader(layout.arena);
    this.#strings = new InternedStringsReader(layout.strings, this.#records);
  }

  get size(): number {
    return Atomics.load(this.#layout.header, HEADER_SIZE);
  }

  get stale(): boolean {
    return Atomics.load(this.#layout.header, HEADER_STALE) === 1;
  }

  get(ip: string, now: number): Mapping | undefined {
    const key = this.#key;
    if (!parseAddressKey(ip, key)) return undefined;
    const k0 = key[0]!;
    const k1 = key[1]!;
    const k2 = key[2]!;
    const k3 = key[3]!;
    const { words, buckets, counters, capacity } = this.#layout;
    const bucket = bucketOf(this.#layout, keyHash(k0, k1, k2, k3));
    const stripe = bucket >>> STRIPE_BITS;
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const seq = readBegin(counters, stripe);
      if (seq < 0) continue;
      let next = Atomics.load(buckets, bucket);
      let at = -1;
      for (let steps = 0; next > 0 && next <= capacity && steps < capacity; steps++) {
        const here = (next - 1) * ENTRY_WORDS;
        if (Atomics.load(words, here + 3) === k3 && Atomics.load(words, here) === k0 && Atomics.load(words, here + 1) === k1 && Atomics.load(words, here + 2) === k2) {
          at = here;
          break;
        }
        next = Atomics.load(words, here + NEXT);
      }
      if (at < 0) {
        if (readValid(counters, stripe, seq)) return undefined;
        continue;
      }
      const user = Atomics.load(words, at + USER);
      const tags = Atomics.load(words, at + TAGS);
      const prefix = Atomics.load(words, at + PREFIX);
      const firstSeen = loadFloat(words, at + 2 * FIRST);
      const lastSeen = loadFloat(words, at + 2 * LAST);
      const expiresAt = loadFloat(words, at + 2 * EXPIRES);
      const timeoutMs = timeoutOf(Atomics.load(words, at + TIMEOUT));
      const n = Atomics.load(words, at + ID_SEQ) >>> 0;
      const name = user > 0 ? this.#records.read(user + R_NAME) : undefined;
      const verbatimId = prefix === VERBATIM_ID ? this.#records.read(n) : undefined;
      if (!readValid(counters, stripe, seq)) continue;
      // Consistent from here on: the entry as it was between two writes.
      if (name === undefined) return undefined;
      if (!(expiresAt > now)) return undefined;
      const sender = this.#strings.text(tags & 0xffff);
      const profile = this.#strings.text(tags >>> 16);
      const prefixText = prefix === VERBATIM_ID ? undefined : this.#strings.text(prefix);
      const id = verbatimId ?? (prefixText === undefined ? undefined : formatId(prefixText, n));
      if (sender === undefined || profile === undefined || id === undefined) return undefined;
      return { id, ip, user: name, sender, profile, firstSeen, lastSeen, expiresAt, timeoutMs };
    }
    return undefined;
  }
}
