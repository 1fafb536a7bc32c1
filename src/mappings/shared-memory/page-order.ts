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
import { keyHash } from './address-key.js';

/** < 0, 0, > 0 as the key at words[a..a+3] comes before, is, or comes after the key at words[b..b+3] ... */
export function comparePageOrder(words: Int32Array, a: number, b: number): number {
  return compareKeys(words, a, keyHash(words[a]!, words[a + 1]!, words[a + 2]!, words[a + 3]!), words, b, keyHash(words[b]!, words[b + 1]!, words[b + 2]!, words[b + 3]!));
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
