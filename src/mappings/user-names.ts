/**
 * How user names compare: case-insensitively, as PAN-OS does. A mapping keeps its user as
 * first seen; `byUser` and logouts match any case (shared-memory/user-records.ts, and the
 * Redis scripts through codec.ts's `k`).
 */

/** The case-insensitive identity of a user name (Unicode default lower-casing, no locale). */
export function userKey(user: string): string {
  return user.toLowerCase();
}

/** Same user, case-insensitively; the common case (identical text) needs no allocation. */
export function sameUser(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}
