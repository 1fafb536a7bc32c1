/**
 * The identify pipeline the listener, its UDP workers and the tester share: each message
 * counted once per sender under its furthest outcome, identity events per sender, the last
 * message time from the clock, the machine-account rule, and the rate-limited unmatched sample.
 */
import { describe, expect, it } from 'vitest';
import type { ProfileDefinition } from '../../src/identify/definition.js';
import type { IdentityEvent } from '../../src/identify/event.js';
import { OUTCOME_COUNT, OUTCOMES, type Outcome } from '../../src/identify/outcome.js';
import { IdentifyPipeline } from '../../src/identify/pipeline.js';
import { ProfileSet } from '../../src/identify/profile-set.js';
import { addSenderStats, createSenderStats, senderActivity, type SenderStats } from '../../src/identify/sender-stats.js';
import { SenderTester, NO_MAPPING_RULES } from '../../src/identify/tester.js';
import type { Sender } from '../../src/syslog/message.js';

const login: ProfileDefinition = {
  name: 'kv-login', type: 'regex', event: 'login', eventRegex: 'LOGIN', usernameRegex: 'user=(\\S*)', addressRegex: 'ip=([0-9a-f.:]+)',
};
const machines: ProfileDefinition = { ...login, name: 'kv-machines', eventRegex: 'MACHINE', machineAccounts: true };
const logout: ProfileDefinition = { ...login, name: 'kv-logout', event: 'logout', eventRegex: 'LOGOUT' };
const set = ProfileSet.compile([login, machines, logout]);
const a: Sender = { name: 'a', address: '10.0.0.1', transports: ['udp'], defaultDomain: 'ACME' };
const b: Sender = { name: 'b', address: '10.0.0.2', transports: ['udp'], profiles: ['kv-logout'] };
const mappings = { ignoreUsers: ['svc_*'], includeNetworks: [], excludeNetworks: ['192.0.2.0/24'] };

function pipeline(samples?: { perMinute: number; seen: string[] }) {
  const clock = { now: 1_000 };
  const events: IdentityEvent[] = [];
  const p = new IdentifyPipeline({
    profiles: set, mappings, senders: [a, b], clock, sink: (e) => events.push(e),
    ...(samples ? { unmatched: { perMinute: samples.perMinute, onSample: (data: Buffer, s: Sender, o: number) => samples.seen.push(`${s.name} ${OUTCOMES[o]} ${data.toString()}`) } } : {}),
  });
  const send = (sender: Sender, message: string) => OUTCOMES[p.handle(Buffer.from(message), sender)];
  return { p, clock, events, send };
}

const count = (stats: SenderStats, slot: number, outcome: Outcome) => stats.outcomes[slot * OUTCOME_COUNT + OUTCOMES.indexOf(outcome)];

describe('IdentifyPipeline', () => {
  it('gives each message one outcome, the furthest it reached', () => {
    const { send } = pipeline();
    expect(send(a, 'nothing here')).toBe('no_profile');
    expect(send(a, 'LOGIN ip=10.1.1.1')).toBe('no_user');
    expect(send(a, 'LOGIN user=a\u0001b ip=10.1.1.1')).toBe('user_invalid');
    expect(send(a, 'LOGIN user=PC-01$ ip=10.1.1.1')).toBe('machine_account');
    expect(send(a, 'LOGIN user=jdoe')).toBe('no_address');
    expect(send(a, 'LOGIN user=jdoe ip=0.0.0.0')).toBe('address_invalid');
    expect(send(a, 'LOGIN user=svc_backup ip=10.1.1.1')).toBe('filtered');
    expect(send(a, 'LOGIN user=jdoe ip=192.0.2.7')).toBe('filtered');
    expect(send(a, 'LOGIN user=jdoe ip=0.0.0.0 ip=192.0.2.7 ip=10.1.1.1')).toBe('mapped');
    // Two profiles read it: one finds no user, the other maps.
    expect(send(a, 'LOGIN LOGOUT user=jdoe ip=10.1.1.2')).toBe('mapped');
  });

  it('counts per sender, its events by kind, and its last message from the clock', () => {
    const { p, clock, events, send } = pipeline();
    send(a, 'LOGIN user=jdoe ip=10.1.1.1');
    clock.now = 5_000;
    send(b, 'LOGIN user=jdoe ip=10.1.1.1'); // b may use kv-logout only
    send(b, 'LOGOUT user=jdoe ip=10.1.1.1');
    const stats = p.senderStats;
    expect(stats.names).toEqual(['a', 'b']);
    expect([count(stats, 0, 'mapped'), count(stats, 1, 'no_profile'), count(stats, 1, 'mapped')]).toEqual([1, 1, 1]);
    expect(stats.events).toEqual([1, 0, 0, 1]);
    expect(stats.lastMessageAt).toEqual([1_000, 5_000]);
    expect(events.map((e) => `${e.sender} ${e.event} ${e.user}`)).toEqual(['a login ACME\\jdoe', 'b logout jdoe']);
  });

  it('maps machine accounts only from a profile that asks for them, in every written form', () => {
    const { send } = pipeline();
    for (const user of ['PC-01$', 'ACME\\PC-01$', 'PC-01$@acme.local']) expect(send(a, `LOGIN user=${user} ip=10.1.1.1`)).toBe('machine_account');
    expect(send(a, 'MACHINE user=PC-01$ ip=10.1.1.1')).toBe('mapped');
    expect(send(a, 'LOGIN user=$ ip=10.1.1.1')).toBe('mapped'); // a lone "$" names no computer
  });

  it('hands at most perMinute unmatched messages per sender and minute to the sampler', () => {
    const seen: string[] = [];
    const { clock, send } = pipeline({ perMinute: 2, seen });
    for (let i = 0; i < 4; i++) send(a, `nothing ${i}`);
    send(a, 'LOGIN user=jdoe ip=10.1.1.1'); // mapped: never sampled
    send(b, 'LOGOUT ip=10.1.1.1');
    clock.now += 60_000;
    send(a, 'nothing later');
    expect(seen).toEqual(['a no_profile nothing 0', 'a no_profile nothing 1', 'b no_user LOGOUT ip=10.1.1.1', 'a no_profile nothing later']);
  });
});

describe('sender activity', () => {
  it('sums stats by name, keeps the later last message, and flags a sender quiet for longer than quietAfterMinutes', () => {
    const one = createSenderStats(['a']);
    one.outcomes[OUTCOMES.indexOf('mapped')] = 2;
    one.lastMessageAt[0] = 100_000;
    const two = createSenderStats(['b', 'a']);
    two.outcomes[OUTCOME_COUNT + OUTCOMES.indexOf('mapped')] = 3;
    two.lastMessageAt[1] = 50_000;
    const total = createSenderStats();
    addSenderStats(total, one);
    addSenderStats(total, two);
    expect(total.names).toEqual(['a', 'b']);
    const senders = [{ name: 'a', quietAfterMinutes: 1 }, { name: 'b', quietAfterMinutes: 1 }, { name: 'c' }];
    const view = senderActivity(senders, [one, two], 0, 100_000 + 60_001);
    expect(view.map((s) => [s.name, s.messages.mapped, s.lastMessageAt, s.quiet])).toEqual([
      ['a', 5, 100_000, true], ['b', 0, null, true], ['c', 0, null, false],
    ]);
    expect(senderActivity(senders, [one], 0, 100_000 + 59_000)[0]!.quiet).toBe(false);
  });
});

describe('SenderTester', () => {
  const tester = new SenderTester(set, mappings, a);

  it('yields what the listener would: the sender\'s domain applied', () => {
    expect(tester.test('LOGIN user=jdoe ip=10.1.1.1', 3)).toEqual({
      line: 3, events: [{ profile: 'kv-login', event: 'login', user: 'ACME\\jdoe', ip: '10.1.1.1' }], reason: null,
    });
  });

  it('names the text each rule rejected', () => {
    expect(tester.test('LOGIN user=jdoe ip=10.50.0.300', 1).reason).toBe("address invalid: '10.50.0.300' (kv-login)");
    expect(tester.test('LOGIN user=svc_x ip=10.1.1.1', 1).reason).toBe("ignored user: 'ACME\\svc_x' (ignoreUsers) (kv-login)");
    expect(tester.test('LOGIN user=jdoe ip=192.0.2.9', 1).reason).toBe("address '192.0.2.9' in excludeNetworks (kv-login)");
    expect(tester.test('LOGIN user=PC-01$ ip=10.1.1.1', 1).reason).toMatch(/^machine account: 'PC-01\$' .*\(kv-login\)$/);
    expect(tester.test('LOGIN user=jdoe', 1).reason).toBe('no address (kv-login)');
  });

  it('uses only the sender\'s profiles, and never the ingestion counters', () => {
    const before = set.stats.messages;
    expect(new SenderTester(set, NO_MAPPING_RULES, b).test('LOGIN user=jdoe ip=10.1.1.1', 1).reason).toBe('event not matched');
    expect(set.stats.messages).toBe(before);
  });
});

describe('reasons', () => {
  it('show control characters escaped and cut long text', () => {
    const tester = new SenderTester(set, NO_MAPPING_RULES, a);
    expect(tester.test('LOGIN user=a\u0001b ip=10.1.1.1', 1).reason).toBe("user invalid: 'a\\u0001b' (kv-login)");
    expect(tester.test(`LOGIN user=jdoe ip=${'1'.repeat(100)}`, 1).reason).toBe(`address invalid: '${'1'.repeat(80)}…' (kv-login)`);
  });
});
