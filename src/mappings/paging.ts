/**
 * One page of a table in HashOrder (hash-order.ts), for every table that keeps one: the
 * in-memory table and the shared table's local replica page the same way, so a cursor
 * means the same on both.
 */
import { HashOrder, decodeCursor, encodeCursor } from './hash-order.js';
import type { Mapping, MappingPage } from './table.js';

/** `live(ip)`: the mapping if it is there and its time is not up. */
export function pageInOrder(order: HashOrder, live: (ip: string) => Mapping | undefined, cursor: string | undefined, limit: number): MappingPage {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, not ${limit}`);
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  const items: Mapping[] = [];
  let more = false;
  order.walk(after, (ip) => {
    const mapping = live(ip);
    if (mapping === undefined) return true;
    if (items.length === limit) {
      more = true;
      return false;
    }
    items.push(mapping);
    return true;
  });
  return more ? { items, next: encodeCursor(items[items.length - 1]!.ip) } : { items };
}
