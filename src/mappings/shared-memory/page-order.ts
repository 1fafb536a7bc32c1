/**
 * The paging order of the shared store: by the key's 32-bit hash (address-key.ts
 * keyHash), then by the key's words as unsigned numbers. Every address has one fixed
 * place in it, whatever else is stored and whatever the capacity, and since a bucket is
 * the hash's top bits, walking the buckets in order and sorting each chain walks the
 * order. A cursor names the last address a page returned (the opaque text of
 * page-cursor.ts encodeCursor), so an entry that stays in the table while a client pages
 * is returned exactly once, and a cursor survives a restart. Both tables page in it (the
 * memory table, and the Redis table's local replica), so on several listeners of one
 * shared table a cursor from one names the same place on another.
 */
import { UidError } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../page-cursor.js';
import type { Mapping, MappingPage } from '../table.js';
import { keyHashAt, parseAddressKey } from './address-key.js';
import { ENTRY_WORDS, NEXT, bucketOf, type TableLayout } from './layout.js';

/**
 * A page of the entries `include` accepts, in this order, from just after the cursor's
 * address (none: from the start); at most `limit`, each made a Mapping by `mappingOf`.
 * Walks the buckets from the cursor's and sorts each chain (the writer's own read: plain).
 */
export function pageInOrder(
  layout: TableLayout, cursor: string | undefined, limit: number, include: (entry: number) => boolean, mappingOf: (entry: number) => Mapping,
): MappingPage {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, not ${limit}`);
  const { buckets, words } = layout;
  let bucket = 0;
  let after: Int32Array | undefined;
  let afterHash = 0;
  if (cursor !== undefined) {
    after = new Int32Array(4);
    if (!parseAddressKey(decodeCursor(cursor), after)) {
      throw new UidError('UID_ERR_HTTP_BAD_REQUEST', 'invalid paging cursor: pass back the "next" value of the previous page unchanged');
    }
    afterHash = keyHashAt(after, 0);
    bucket = bucketOf(layout, afterHash);
  }
  const items: Mapping[] = [];
  const chain: number[] = [];
  const byOrder = (a: number, b: number) => comparePageOrder(words, a * ENTRY_WORDS, b * ENTRY_WORDS);
  for (; bucket < buckets.length; bucket++) {
    if (buckets[bucket] === 0) continue;
    chain.length = 0;
    for (let next = buckets[bucket]!; next !== 0; next = words[(next - 1) * ENTRY_WORDS + NEXT]!) {
      const entry = next - 1;
      const at = entry * ENTRY_WORDS;
      if (after !== undefined && compareKeys(words, at, keyHashAt(words, at), after, 0, afterHash) <= 0) continue;
      if (include(entry)) chain.push(entry);
    }
    after = undefined;
    if (chain.length > 1) chain.sort(byOrder);
    for (const entry of chain) {
      if (items.length === limit) return { items, next: encodeCursor(items[items.length - 1]!.ip) };
      items.push(mappingOf(entry));
    }
  }
  return { items };
}

/** < 0, 0, > 0 as the key at words[a..a+3] comes before, is, or comes after the key at words[b..b+3] ... */
export function comparePageOrder(words: Int32Array, a: number, b: number): number {
  return compareKeys(words, a, keyHashAt(words, a), words, b, keyHashAt(words, b));
}

/** ... and the same for two keys with their hashes, each in its own array. */
export function compareKeys(aWords: Int32Array, a: number, aHash: number, bWords: Int32Array, b: number, bHash: number): number {
  if (aHash !== bHash) return aHash - bHash;
  for (let w = 0; w < 4; w++) {
    const x = aWords[a + w]! >>> 0;
    const y = bWords[b + w]! >>> 0;
    if (x !== y) return x - y;
  }
  return 0;
}
