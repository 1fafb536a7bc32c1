import { describe, expect, it } from 'vitest';
import { loadProfiles } from '../src/config/profiles.js';
import { checkSamples, testMessage } from '../src/identify/tester.js';

describe('shipped profiles (profiles/)', async () => {
  const { profiles, issues } = await loadProfiles('profiles');

  it('load without issues', () => {
    expect(issues).toEqual([]);
    expect(profiles.names.length).toBeGreaterThanOrEqual(14);
  });

  it('every sample yields exactly what it expects', () => {
    expect(checkSamples(profiles)).toEqual([]);
  });

  it('every profile has a sample that maps and one that maps nothing', () => {
    for (const name of profiles.names) {
      const samples = profiles.profile(name)!.definition.samples ?? [];
      expect(samples.some((s) => s.expect.length > 0), name).toBe(true);
      expect(samples.some((s) => s.expect.length === 0), name).toBe(true);
    }
  });

  it('the Traps ESM KB message yields login jdoe at 10.1.2.3 and nothing else', () => {
    const kb = 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\tdst=10.1.2.3';
    expect(testMessage(profiles, kb, 1)).toEqual({
      line: 1,
      events: [{ profile: 'traps-esm-leef', event: 'login', user: 'jdoe', ip: '10.1.2.3' }],
      reason: null,
    });
  });

  it('a message one profile maps is mapped by no other profile', () => {
    for (const name of profiles.names) {
      for (const sample of (profiles.profile(name)!.definition.samples ?? []).filter((s) => s.expect.length > 0)) {
        const others = testMessage(profiles, sample.message, 1).events.filter((e) => e.profile !== name);
        expect(others, `${name}: ${sample.message}`).toEqual([]);
      }
    }
  });
});
