/**
 * Paging cursors: the opaque text of the last address a page returned (base64url of its
 * canonical form). The order they name a place in is the shared-memory store's
 * (shared-memory/page-order.ts), which every table pages in; a cursor the table could not
 * have issued is the client's mistake (400), never a crash.
 */
import { normaliseAddress } from '../identify/address.js';
import { UidError } from '../errors.js';

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
