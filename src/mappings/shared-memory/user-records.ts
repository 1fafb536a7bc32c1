/**
 * Users, for `byUser` and for each entry's user name, without a JS Map of Sets. A user
 * record is an arena record [next record in its bucket, first entry + 1, hash, name as a
 * string record]; one per distinct spelling (a mapping keeps its user as first seen), and
 * the spellings of one user (compared case-insensitively, as PAN-OS does: user-names.ts
 * sameUser) share a hash and so a bucket. The entries of a record form a doubly linked
 * chain through the links array (USER_PREV / USER_NEXT), so attach and detach are O(1);
 * a record whose last entry leaves is freed. Only the name is read by other threads, but
 * arena words are only ever written with Atomics.store (arena.ts says why).
 */
import { sameUser, userKey } from '../user-names.js';
import { Arena } from './arena.js';
import { LINK_WORDS, USER_NEXT, USER_PREV } from './layout.js';

const R_NEXT = 0;
const R_HEAD = 1;
const R_HASH = 2;
/** Where a user record's name (a string record) starts. */
export const R_NAME = 3;

/** FNV-1a of the case-insensitive identity of a name; ASCII without allocating. */
function userHash(user: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < user.length; i++) {
    let c = user.charCodeAt(i);
    if (c > 127) return textHash(userKey(user));
    if (c >= 65 && c <= 90) c += 32;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  return hash >>> 0;
}

/** userHash of a name given as UTF-8 bytes, without making the string when it is ASCII. */
function userBytesHash(bytes: Buffer, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + length; i++) {
    let c = bytes[i]!;
    if (c > 127) return userHash(bytes.toString('utf8', start, start + length));
    if (c >= 65 && c <= 90) c += 32;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  return hash >>> 0;
}

function textHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class UserRecords {
  readonly #heads: Int32Array;
  readonly #shift: number;
  readonly #arena: Arena;
  readonly #words: Int32Array;
  readonly #links: Int32Array;

  constructor(heads: Int32Array, bucketBits: number, arena: Arena, arenaWords: Int32Array, links: Int32Array) {
    this.#heads = heads;
    this.#shift = 32 - bucketBits;
    this.#arena = arena;
    this.#words = arenaWords;
    this.#links = links;
  }

  /** The record of this exact spelling, made if need be; 0 when the arena is full. */
  acquire(user: string): number {
    const hash = userHash(user);
    const bucket = hash >>> this.#shift;
    const words = this.#words;
    for (let at = this.#heads[bucket]!; at !== 0; at = words[at + R_NEXT]!) {
      if (words[at + R_HASH] === (hash | 0) && this.#arena.equalsString(at + R_NAME, user)) return at;
    }
    const at = this.#arena.alloc(Arena.wordsFor(user, R_NAME));
    if (at === 0) return 0;
    this.#arena.writeString(at + R_NAME, user);
    this.#link(at, hash, bucket);
    return at;
  }

  /** A new record, its name written, heads its bucket. */
  #link(at: number, hash: number, bucket: number): void {
    const words = this.#words;
    Atomics.store(words, at + R_HEAD, 0);
    Atomics.store(words, at + R_HASH, hash);
    Atomics.store(words, at + R_NEXT, this.#heads[bucket]!);
    this.#heads[bucket] = at;
  }

  /** acquire() for a name given as UTF-8 bytes (a snapshot's): compared and copied as bytes. */
  acquireBytes(bytes: Buffer, start: number, length: number): number {
    const hash = userBytesHash(bytes, start, length);
    const bucket = hash >>> this.#shift;
    const words = this.#words;
    for (let at = this.#heads[bucket]!; at !== 0; at = words[at + R_NEXT]!) {
      if (words[at + R_HASH] === (hash | 0) && this.#arena.equalsBytes(at + R_NAME, bytes, start, length)) return at;
    }
    const at = this.#arena.alloc(Arena.wordsForBytes(length, R_NAME));
    if (at === 0) return 0;
    this.#arena.writeBytes(at + R_NAME, bytes, start, length);
    this.#link(at, hash, bucket);
    return at;
  }

  /** Frees a record acquire() made that no entry took after all. */
  releaseIfUnused(record: number): void {
    if (this.#words[record + R_HEAD] === 0) this.#release(record);
  }

  /** Adds an entry to its record's chain. */
  attach(record: number, entry: number): void {
    const words = this.#words;
    const links = this.#links;
    const head = words[record + R_HEAD]!;
    links[entry * LINK_WORDS + USER_PREV] = 0;
    links[entry * LINK_WORDS + USER_NEXT] = head;
    if (head !== 0) links[(head - 1) * LINK_WORDS + USER_PREV] = entry + 1;
    Atomics.store(words, record + R_HEAD, entry + 1);
  }

  /** Takes an entry off its record's chain; frees the record when it was the last. */
  detach(record: number, entry: number): void {
    const words = this.#words;
    const links = this.#links;
    const prev = links[entry * LINK_WORDS + USER_PREV]!;
    const next = links[entry * LINK_WORDS + USER_NEXT]!;
    if (prev === 0) Atomics.store(words, record + R_HEAD, next);
    else links[(prev - 1) * LINK_WORDS + USER_NEXT] = next;
    if (next !== 0) links[(next - 1) * LINK_WORDS + USER_PREV] = prev;
    if (words[record + R_HEAD] === 0) this.#release(record);
  }

  #release(record: number): void {
    const words = this.#words;
    const bucket = (words[record + R_HASH]! >>> 0) >>> this.#shift;
    let at = this.#heads[bucket]!;
    if (at === record) {
      this.#heads[bucket] = words[record + R_NEXT]!;
    } else {
      while (words[at + R_NEXT] !== record) at = words[at + R_NEXT]!;
      Atomics.store(words, at + R_NEXT, words[record + R_NEXT]!);
    }
    this.#arena.free(record, Arena.wordsFor(this.name(record), R_NAME));
  }

  name(record: number): string {
    return this.#arena.readString(record + R_NAME);
  }

  /** Every entry whose user is `user` in any case. */
  entriesOf(user: string): number[] {
    const found: number[] = [];
    const hash = userHash(user);
    const words = this.#words;
    for (let at = this.#heads[hash >>> this.#shift]!; at !== 0; at = words[at + R_NEXT]!) {
      if (words[at + R_HASH] !== (hash | 0) || !sameUser(this.name(at), user)) continue;
      for (let e = words[at + R_HEAD]!; e !== 0; e = this.#links[(e - 1) * LINK_WORDS + USER_NEXT]!) found.push(e - 1);
    }
    return found;
  }
}
