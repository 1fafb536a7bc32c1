/**
 * One page of a table in HashOrder (hash-order.ts): the shared table's local replica.
 * (The in-memory table pages in its shared-memory store's own order, with the same
 * cursor text: shared-memory/page-order.ts.)
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
