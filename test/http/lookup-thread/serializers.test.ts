/**
 * The lookup thread's hand-written mapping writer gives the compiled (fastify's) writer's
 * bytes for every mapping the table can hold: odd user names (quotes, backslashes, control
 * characters, lone surrogates, non-ASCII), both timeout forms, the stale marker, and times
 * outside the four-digit years, which it leaves to the compiled writer.
 */
import { describe, expect, it } from 'vitest';
import { compiledSerializers, lookupSerializers } from '../../../src/http/lookup-thread/serializers.js';
import { markedStale } from '../../../src/http/mapping-answers.js';
import { presentMapping } from '../../../src/http/present.js';
import type { Mapping } from '../../../src/mappings/table.js';

const USERS = ['ACME\\alice', 'bob@acme.com', 'a"b', 'tab\there', 'nul\u0000', 'del\u007f', 'lone\ud800', 'pair\ud83d\ude00',
  'müller', 'x'.repeat(200), '"\\'.repeat(30), '', '\u2028\u2029', 'ACME\\' + 'é'.repeat(50)];

function mapping(user: string, timeoutMs: number, at = 1_764_775_914_123): Mapping {
  return { id: 'k1-1', ip: '2001:db8::7', user, sender: 'esm "eu"', profile: 'traps-esm-leef', firstSeen: at - 5000, lastSeen: at, expiresAt: at + timeoutMs, timeoutMs };
}

describe('the lookup thread mapping writer', () => {
  const reference = compiledSerializers().mapping;
  const fast = lookupSerializers().mapping;

  it('writes the compiled writer bytes for every user name, timeout and stale form', () => {
    for (const user of USERS) {
      for (const timeoutMs of [0, 1, 1499, 1500, 3_600_000]) {
        const body = presentMapping(mapping(user, timeoutMs));
        expect(fast(body)).toBe(reference(body));
        expect(fast(markedStale(body))).toBe(reference(markedStale(body)));
      }
    }
  });

  it('writes the same bytes at the edges of the four-digit years, and refuses beyond them as the compiled writer does', () => {
    for (const at of [0, 999, 253_402_300_799_999 - 3_600_000]) {
      const body = presentMapping(mapping('alice', 3_600_000, at));
      expect(fast(body)).toBe(reference(body));
    }
    // expiresAt in the year 10000 matches neither branch of its anyOf: both writers throw (a 500).
    const beyond = presentMapping(mapping('alice', 3_600_000, 253_402_300_799_999));
    expect(() => reference(beyond)).toThrow(/does not match schema definition/);
    expect(() => fast(beyond)).toThrow(/does not match schema definition/);
  });

  it('writes the same bytes for random printable and unprintable names', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let n = 0; n < 2000; n++) {
      const length = Math.floor(random() * 60);
      const user = String.fromCharCode(...Array.from({ length }, () => (random() < 0.8 ? 32 + Math.floor(random() * 95) : Math.floor(random() * 0x10000))));
      const body = presentMapping(mapping(user, Math.floor(random() * 10_000_000)));
      expect(fast(body)).toBe(reference(body));
    }
  });
});
