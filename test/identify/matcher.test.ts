import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadProfiles } from '../../src/config/profiles.js';
import type { IdentityEvent } from '../../src/identify/event.js';
import { chooseStrategy, type PrefilterStrategy } from '../../src/identify/matcher.js';
import { ProfileSet } from '../../src/identify/profile-set.js';

const sender = { name: 's', address: '127.0.0.1', transports: ['udp' as const] };

function outcome(set: ProfileSet, strategy: PrefilterStrategy, message: Buffer) {
  const { matcher, stats } = set.diagnose(undefined, strategy);
  const events: IdentityEvent[] = [];
  matcher.match(message, sender, (e) => events.push(e));
  return { events, stats };
}

describe('prefilters', async () => {
  const shipped = await loadProfiles('profiles');
  const definitions = shipped.profiles.names.map((n) => shipped.profiles.profile(n)!.definition);
  // Beside the library: an event regex with no provable literal, and a case-insensitive one.
  const set = ProfileSet.compile([
    ...definitions,
    { name: 'no-literal', type: 'regex', event: 'login', eventRegex: '\\d{3} (?:ok|OK)', usernameRegex: 'u=(\\w+)', addressRegex: 'a=([0-9.]+)' },
    { name: 'case-free', type: 'regex', event: 'logout', eventRegex: '(?i)bye now', usernameRegex: 'u=(\\w+)', addressRegex: 'a=([0-9.]+)' },
  ]);

  // Messages built from pieces of real samples, so that they often match, half match or nearly match.
  const samples = definitions.flatMap((d) => (d.samples ?? []).map((s) => s.message));
  const pieces = [
    ...new Set(samples.flatMap((m) => m.split(/(?<=[ \t|,])/))),
    '123 ok ', '999 OK', 'BYE NOW ', 'bye now', 'u=jdoe ', 'a=10.1.2.3 ', 'a=0.0.0.0', '#011', '\t', ' ', '\r', '#015', 'é', '\u0000',
  ];
  const message = fc.oneof(
    fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((p) => p.join('')),
    fc.constantFrom(...samples).chain((s) => fc.nat(s.length).map((cut) => s.slice(cut) + s.slice(0, cut))),
  );

  it('give exactly the events and counters of unfiltered matching (property)', () => {
    fc.assert(
      fc.property(message, (text) => {
        const data = Buffer.from(text);
        const reference = outcome(set, 'none', data);
        for (const strategy of ['literal', 'set'] as const) {
          const filtered = outcome(set, strategy, data);
          expect(filtered.events).toEqual(reference.events);
          expect(filtered.stats).toEqual(reference.stats);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('agree on every shipped sample', () => {
    for (const text of samples) {
      const reference = outcome(set, 'none', Buffer.from(text));
      expect(outcome(set, 'literal', Buffer.from(text)).events).toEqual(reference.events);
      expect(outcome(set, 'set', Buffer.from(text)).events).toEqual(reference.events);
    }
  });

  it('use the literal loop for a few profiles and one RE2.Set for many', () => {
    const all = set.names.map((n) => set.profile(n)!);
    expect(chooseStrategy(all.slice(0, 1))).toBe('literal');
    expect(chooseStrategy(all.slice(0, 5))).toBe('literal');
    expect(chooseStrategy(all.slice(0, 6))).toBe('set');
    expect(chooseStrategy(all)).toBe('set');
  });
});
