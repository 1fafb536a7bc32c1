/**
 * The paging order of the table, and its cursors.
 *
 * Every IP has one fixed place in a total order that does not depend on what else is in
 * the table or when it came: first its bucket (the top 16 bits of the 32-bit FNV-1a hash
 * of its text), then its text (UTF-16 code-unit order). A cursor names the last IP a page
 * returned, and the next page is whatever follows it in that order. So an entry that stays
 * in the table while a client pages is returned exactly once, whatever is added,
 * refreshed, replaced or removed meanwhile, and a cursor even survives a restart.
 *
 * Costs: add and remove touch one bucket (about n/65,536 entries: ~30 at 2M); refreshes
 * do not touch this structure at all. A page sorts (in place) only the buckets it reads
 * and skips empty buckets with one array check each, so it costs O(limit) plus at most
 * 65,536 checks, whatever the table's size.
 */
import { normaliseAddress } from '../identify/address.js';
import { UidError } from '../errors.js';

const BUCKET_BITS = 16;
const BUCKET_COUNT = 1 << BUCKET_BITS;

/** FNV-1a over the UTF-16 code units; the top bits pick the bucket. */
function bucketOf(ip: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < ip.length; i++) {
    hash = Math.imul(hash ^ ip.charCodeAt(i), 0x01000193);
  }
  return hash >>> (32 - BUCKET_BITS);
}

/** First index in a sorted bucket whose IP comes after `after`. */
function firstAfter(sorted: readonly string[], after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

export class HashOrder {
  /** Unordered between pages; a page sorts the buckets it reads in place. */
  readonly #buckets: (string[] | undefined)[] = new Array<string[] | undefined>(BUCKET_COUNT);

  add(ip: string): void {
    const index = bucketOf(ip);
    const bucket = this.#buckets[index];
    if (bucket === undefined) this.#buckets[index] = [ip];
    else bucket.push(ip);
  }

  remove(ip: string): void {
    const index = bucketOf(ip);
    const bucket = this.#buckets[index];
    if (bucket === undefined) return;
    const at = bucket.indexOf(ip);
    if (at === -1) return;
    const last = bucket.pop()!;
    if (at < bucket.length) bucket[at] = last;
    if (bucket.length === 0) this.#buckets[index] = undefined;
  }

  /**
   * Calls `visit` with each IP after `after` (all IPs when undefined), in order, until it
   * returns false. `visit` must not add or remove IPs.
   */
  walk(after: string | undefined, visit: (ip: string) => boolean): void {
    let index = 0;
    let start = 0;
    if (after !== undefined) {
      index = bucketOf(after);
      const bucket = this.#buckets[index];
      if (bucket !== undefined) start = firstAfter(bucket.sort(), after);
    }
    for (; index < BUCKET_COUNT; index++, start = 0) {
      const bucket = this.#buckets[index];
      if (bucket === undefined) continue;
      if (start === 0) bucket.sort();
      for (let i = start; i < bucket.length; i++) {
        if (!visit(bucket[i]!)) return;
      }
    }
  }
}

/** The opaque cursor for a position after `ip`. */
export function encodeCursor(ip: string): string {
  return Buffer.from(ip, 'utf8').toString('base64url');
}

/** The IP a cursor names; a cursor this table could not have issued is a 400 for the client. */
export function decodeCursor(cursor: string): string {
  const ip = Buffer.from(cursor, 'base64url').toString('utf8');
  if (cursor.length === 0 || encodeCursor(ip) !== cursor || normaliseAddress(ip) !== ip) {
    throw new UidError('UID_ERR_HTTP_BAD_REQUEST', 'invalid paging cursor: pass back the "next" value of the previous page unchanged');
  }
  return ip;
}
