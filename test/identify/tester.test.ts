import { describe, expect, it } from 'vitest';
import type { ProfileDefinition } from '../../src/identify/definition.js';
import { ProfileSet } from '../../src/identify/profile-set.js';
import { checkSamples, testMessage } from '../../src/identify/tester.js';

const esm: ProfileDefinition = {
  name: 'esm', type: 'regex', event: 'login', eventRegex: 'Service is alive',
  usernameRegex: 'duser=([a-zA-Z0-9_]+)', addressRegex: 'dst=([A-F0-9a-f:.]+)',
};

describe('testMessage', () => {
  const set = ProfileSet.compile([esm]);

  it('lists the events', () => {
    expect(testMessage(set, 'Service is alive|duser=jdoe\tdst=10.1.2.3', 7)).toEqual({
      line: 7, events: [{ profile: 'esm', event: 'login', user: 'jdoe', ip: '10.1.2.3' }], reason: null,
    });
  });

  it('says why nothing came out', () => {
    expect(testMessage(set, 'Prevention|duser=jdoe\tdst=10.1.2.3', 1).reason).toBe('event not matched');
    expect(testMessage(set, 'Service is alive|dst=10.1.2.3', 1).reason).toBe('no user (esm)');
    expect(testMessage(set, 'Service is alive|duser=jdoe', 1).reason).toBe('no address (esm)');
    expect(testMessage(set, 'Service is alive|duser=jdoe\tdst=0.0.0.0', 1).reason).toBe("address invalid: '0.0.0.0' (esm)");
  });

  it('does not touch the ingestion counters', () => {
    testMessage(set, 'Service is alive|duser=jdoe\tdst=10.1.2.3', 1);
    expect(set.stats.messages).toBe(0);
  });
});

describe('checkSamples', () => {
  it('runs each sample through its own profile and reports failures at the sample', () => {
    const other: ProfileDefinition = { ...esm, name: 'other', event: 'logout' };
    const withSamples: ProfileDefinition = {
      ...esm,
      samples: [
        { message: 'Service is alive|duser=jdoe\tdst=10.1.2.3', expect: [{ user: 'jdoe', ip: '10.1.2.3', event: 'login' }] },
        { message: 'Service is alive|duser=jdoe\tdst=::FFFF:10.1.2.3', expect: [{ user: 'jdoe', ip: '::ffff:10.1.2.3', event: 'login' }] },
        { message: 'Service is alive|duser=jdoe', expect: [], at: { file: 'p/esm.yaml', line: 14, col: 5 } },
        { message: 'Service is alive|duser=jdoe', expect: [{ user: 'jdoe', ip: '10.1.2.3', event: 'login' }], at: { file: 'p/esm.yaml', line: 16, col: 5 } },
        { message: 'Service is alive|duser=jdoe\tdst=10.1.2.3', expect: [], at: { file: 'p/esm.yaml', line: 18, col: 5 } },
      ],
    };
    expect(checkSamples(ProfileSet.compile([withSamples, other]))).toEqual([
      { file: 'p/esm.yaml', line: 16, profile: 'esm', sample: 4,
        message: 'profile "esm" sample 4: expected login jdoe at 10.1.2.3 but got nothing (no address (esm))' },
      { file: 'p/esm.yaml', line: 18, profile: 'esm', sample: 5,
        message: 'profile "esm" sample 5: expected nothing but got login jdoe at 10.1.2.3' },
    ]);
  });
});

describe('samples and machine accounts', () => {
  it('takes the profile\'s event when an expect entry leaves it out, and maps machine accounts only when the profile asks', () => {
    const strict: ProfileDefinition = { ...esm, name: 'strict', usernameRegex: 'duser=([A-Za-z0-9_$]+)', samples: [
      { message: 'Service is alive|duser=jdoe\tdst=10.1.2.3', expect: [{ user: 'jdoe', ip: '10.1.2.3' }] },
      { message: 'Service is alive|duser=PC01$\tdst=10.1.2.3', expect: [] },
    ] };
    const machines: ProfileDefinition = { ...strict, name: 'machines', machineAccounts: true, samples: [
      { message: 'Service is alive|duser=PC01$\tdst=10.1.2.3', expect: [{ user: 'PC01$', ip: '10.1.2.3' }] },
    ] };
    expect(checkSamples(ProfileSet.compile([strict, machines]))).toEqual([]);
    const wrong: ProfileDefinition = { ...strict, name: 'wrong', event: 'logout', samples: [{ message: 'Service is alive|duser=jdoe\tdst=10.1.2.3', expect: [{ user: 'jdoe', ip: '10.1.2.3', event: 'login' }] }] };
    expect(checkSamples(ProfileSet.compile([wrong]))[0]!.message).toMatch(/expected login jdoe at 10\.1\.2\.3 but got logout jdoe/);
  });
});

