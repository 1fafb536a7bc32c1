/**
 * Finds which of several secrets (bearer tokens, API keys) was presented, in constant
 * time: both sides are hashed to 32 bytes first (so length leaks nothing and
 * `timingSafeEqual` never sees unequal lengths) and every secret is compared, match or not,
 * so timing tells neither which one matched nor how many come before it.
 */
import * as crypto from 'node:crypto';

// crypto.hash (Node >= 20.12) makes no Hash object per call; at API rates that object's
// allocation and finalisation cost several times the hashing itself.
export const sha256: (text: string) => Buffer = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'buffer')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

/** `(presented secret) → what it belongs to`, or undefined when it is none of them. */
export function createSecretMatcher<T>(entries: readonly (readonly [secret: string, owner: T])[]): (presented: string) => T | undefined {
  const expected = entries.map(([secret, owner]) => [sha256(secret), owner] as const);
  return (presented) => {
    const actual = sha256(presented);
    let found: T | undefined;
    for (const [digest, owner] of expected) {
      if (crypto.timingSafeEqual(digest, actual) && found === undefined) found = owner;
    }
    return found;
  };
}
