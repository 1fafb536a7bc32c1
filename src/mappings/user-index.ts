/**
 * The user → IPs index behind `byUser`. Users are compared case-insensitively (PAN-OS
 * does), so the key is the lower-cased name; the mapping itself keeps the user as first
 * seen. Most users sit at one address, so a lone IP is stored as a plain string and only
 * users with several addresses get a Set: a Set per user would roughly double the index's
 * memory at two million users.
 */

/** The case-insensitive identity of a user name (Unicode default lower-casing, no locale). */
export function userKey(user: string): string {
  return user.toLowerCase();
}

/** Same user, case-insensitively; the common case (identical text) needs no allocation. */
export function sameUser(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

const NO_IPS: readonly string[] = Object.freeze([]);

export class UserIndex {
  readonly #ipsByKey = new Map<string, string | Set<string>>();

  add(user: string, ip: string): void {
    const key = userKey(user);
    const current = this.#ipsByKey.get(key);
    if (current === undefined) this.#ipsByKey.set(key, ip);
    else if (typeof current !== 'string') current.add(ip);
    else if (current !== ip) this.#ipsByKey.set(key, new Set([current, ip]));
  }

  remove(user: string, ip: string): void {
    const key = userKey(user);
    const current = this.#ipsByKey.get(key);
    if (current === undefined) return;
    if (typeof current === 'string') {
      if (current === ip) this.#ipsByKey.delete(key);
      return;
    }
    current.delete(ip);
    // Back to the compact form once one address is left (a Set is never left with 0 or 1).
    if (current.size === 1) this.#ipsByKey.set(key, current.values().next().value as string);
  }

  /** The IPs indexed under this user (any case); a fresh array the caller may keep. */
  ips(user: string): readonly string[] {
    const current = this.#ipsByKey.get(userKey(user));
    if (current === undefined) return NO_IPS;
    return typeof current === 'string' ? [current] : [...current];
  }

  /** Distinct users (case-insensitively). */
  get size(): number {
    return this.#ipsByKey.size;
  }
}
