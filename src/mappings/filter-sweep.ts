/**
 * After a reload changed the mapping filters (ignoreUsers, includeNetworks,
 * excludeNetworks), removes the mappings they now forbid, so the table never holds what a
 * fresh login could not make. Each goes through the table's `delete`, so subscribers see
 * a `removed` change (reason `admin`: the admin's edit removed it) and accounting sends
 * its STOP. Only the table interface is used (page, get, delete), so a shared table
 * behind it works the same.
 *
 * The table is read a page at a time with the event loop free in between; the forbidden
 * addresses are deleted after the walk (a cursor is not disturbed by deletes), each one
 * re-read first so a mapping that changed meanwhile to something allowed stays.
 */
import type { Mapping, MappingTable } from './table.js';

const PAGE = 4096;

export async function removeForbidden(
  table: Pick<MappingTable, 'page' | 'get' | 'delete'>,
  admits: (mapping: Mapping) => boolean,
): Promise<number> {
  const forbidden: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.page(cursor, PAGE);
    for (const mapping of page.items) if (!admits(mapping)) forbidden.push(mapping.ip);
    cursor = page.next;
    await new Promise<void>((resolve) => setImmediate(resolve));
  } while (cursor !== undefined);
  let removed = 0;
  for (const ip of forbidden) {
    const current = await table.get(ip);
    if (current === undefined || admits(current)) continue;
    if (await table.delete(ip)) removed++;
  }
  return removed;
}
