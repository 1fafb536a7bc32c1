import { describe, expect, it } from 'vitest';
import { UidError } from '../../src/errors.js';
import type { IdentityEvent } from '../../src/identify/event.js';
import { createNormaliser } from '../../src/identify/normalise.js';
import type { Sender } from '../../src/syslog/message.js';

const plain: Sender = { name: 'esm', address: '10.0.0.5', transports: ['udp'] };
const acme: Sender = { ...plain, defaultDomain: 'ACME' };
const event = (user: string, ip = '10.1.2.3'): IdentityEvent => ({ event: 'login', user, ip, profile: 'p', sender: 'esm' });
const config = (over: Partial<{ ignoreUsers: string[]; includeNetworks: string[]; excludeNetworks: string[] }> = {}) =>
  ({ ignoreUsers: [], includeNetworks: [], excludeNetworks: [], ...over });

describe('createNormaliser', () => {
  it("prepends the sender's default domain only to bare names", () => {
    const normalise = createNormaliser(config());
    expect(normalise(event('jdoe'), acme)?.user).toBe('ACME\\jdoe');
    expect(normalise(event('OTHER\\jdoe'), acme)?.user).toBe('OTHER\\jdoe');
    expect(normalise(event('jdoe@acme.com'), acme)?.user).toBe('jdoe@acme.com');
    const unchanged = event('jdoe');
    expect(normalise(unchanged, plain)).toBe(unchanged);
    expect(normalise.stats.passed).toBe(4);
  });

  it('resolves the timeout most specific first: the event, the profile, the sender, else none (the table default)', () => {
    const normalise = createNormaliser(config(), [{ name: 'vpn', timeoutMinutes: 120 }, { name: 'p' }]);
    const slow: Sender = { ...plain, timeoutMinutes: 10 };
    expect(normalise({ ...event('a'), timeoutMs: 0 }, slow)?.timeoutMs).toBe(0); // a push's own, even 0
    expect(normalise({ ...event('a'), profile: 'vpn' }, slow)?.timeoutMs).toBe(120 * 60_000);
    expect(normalise(event('a'), slow)?.timeoutMs).toBe(10 * 60_000); // profile p names none
    const bare = event('a');
    expect(normalise(bare, plain)).toBe(bare); // nothing to add: the same object, timeoutMs absent
    expect(bare).not.toHaveProperty('timeoutMs');
    expect(normalise(event('a'), { ...acme, timeoutMinutes: 3 })).toMatchObject({ user: 'ACME\\a', timeoutMs: 180_000 });
  });

  it('drops ignored users by glob, case-insensitively, with or without a domain', () => {
    const normalise = createNormaliser(config({ ignoreUsers: ['svc_*', 'ACME\\scan?er', 'Health.Check'] }));
    for (const user of ['svc_backup', 'SVC_Backup', 'ACME\\svc_x', 'svc_x@acme.com', 'scanner', 'HEALTH.CHECK']) {
      expect(normalise(event(user), acme), user).toBeNull();
    }
    for (const user of ['jdoe', 'my_svc_x', 'OTHER\\scanner', 'healthxcheck']) {
      expect(normalise(event(user), acme), user).not.toBeNull();
    }
    expect(normalise.stats.ignoredUser).toBe(6);
  });

  it('gives every user the same verdict however often it comes and however many others came between', () => {
    const normalise = createNormaliser(config({ ignoreUsers: ['svc_*'] }));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10_000; i++) {
        expect(normalise(event(`svc_${i}`), acme)).toBeNull();
        expect(normalise(event(`user${i}`), acme)?.user).toBe(`ACME\\user${i}`);
      }
    }
    expect(normalise.stats).toMatchObject({ ignoredUser: 20_000, passed: 20_000 });
  });

  it('keeps only addresses in includeNetworks and outside excludeNetworks', () => {
    const normalise = createNormaliser(config({ includeNetworks: ['10.0.0.0/8', '2001:db8::/32'], excludeNetworks: ['10.99.0.0/16'] }));
    expect(normalise(event('a', '10.1.2.3'), plain)).not.toBeNull();
    expect(normalise(event('a', '2001:db8::5'), plain)).not.toBeNull();
    expect(normalise(event('a', '192.168.1.1'), plain)).toBeNull();
    expect(normalise(event('a', '10.99.1.1'), plain)).toBeNull();
    expect(normalise.stats).toEqual({ passed: 2, ignoredUser: 0, notIncluded: 1, excluded: 1 });
  });

  it('refuses a malformed network', () => {
    expect(() => createNormaliser(config({ excludeNetworks: ['10.0.0.0/33'] }))).toThrow(UidError);
  });
});
