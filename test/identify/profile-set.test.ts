import { describe, expect, it } from 'vitest';
import { ConfigError, UidError } from '../../src/errors.js';
import type { FieldProfileDefinition, ProfileDefinition, RegexProfileDefinition } from '../../src/identify/definition.js';
import type { IdentityEvent } from '../../src/identify/event.js';
import { ProfileSet } from '../../src/identify/profile-set.js';
import type { Sender } from '../../src/syslog/message.js';

const sender: Sender = { name: 'nac', address: '10.0.0.5', transports: ['udp'] };

function regex(overrides: Partial<RegexProfileDefinition> = {}): RegexProfileDefinition {
  return { name: 'r', type: 'regex', event: 'login', eventRegex: 'login ok', usernameRegex: 'user=(\\S+)', addressRegex: 'ip=([0-9a-fA-F:.]+)', ...overrides };
}

function field(overrides: Partial<FieldProfileDefinition> = {}): FieldProfileDefinition {
  return {
    name: 'f', type: 'field', event: 'logout', eventString: 'session closed',
    usernamePrefix: 'User:', usernameDelimiter: '\\s', addressPrefix: 'Source:', addressDelimiter: '\\n', ...overrides,
  };
}

function run(definitions: ProfileDefinition[], message: string | Buffer, who: Sender = sender) {
  const set = ProfileSet.compile(definitions);
  const events: IdentityEvent[] = [];
  set.forSender(who).match(typeof message === 'string' ? Buffer.from(message) : message, who, (e) => events.push(e));
  return { events, stats: set.stats };
}

describe('regex profiles', () => {
  it('takes capture group 1, or the whole match without a group', () => {
    expect(run([regex()], 'login ok user=jdoe ip=10.1.2.3').events).toEqual([
      { event: 'login', user: 'jdoe', ip: '10.1.2.3', profile: 'r', sender: 'nac' },
    ]);
    const noGroups = regex({ usernameRegex: '[a-z]+@acme\\.com', addressRegex: '\\d+\\.\\d+\\.\\d+\\.\\d+' });
    expect(run([noGroups], 'login ok jdoe@acme.com from 10.1.2.3').events.map((e) => [e.user, e.ip])).toEqual([['jdoe@acme.com', '10.1.2.3']]);
  });

  it('takes the first group that took part, so alternatives can capture differently', () => {
    const quoted = regex({ usernameRegex: 'user="([^"]*)"|user=(\\S+)' });
    expect(run([quoted], 'login ok user="John Doe" ip=10.1.2.3').events[0]?.user).toBe('John Doe');
    expect(run([quoted], 'login ok user=jdoe ip=10.1.2.3').events[0]?.user).toBe('jdoe');
  });

  it('maps nothing when the matching alternative has no group (machine accounts)', () => {
    const skipMachines = regex({ usernameRegex: 'user=(?:\\S+\\$|(\\S+))' });
    const { events, stats } = run([skipMachines], 'login ok user=PC01$ ip=10.1.2.3');
    expect(events).toEqual([]);
    expect(stats.profiles['r']?.noUser).toBe(1);
  });

  it('yields one event per address match, IPv4 and IPv6, normalised', () => {
    const { events } = run([regex()], 'login ok user=jdoe ip=10.1.2.3 ip=2001:DB8:0::1 ip=::ffff:10.9.9.9');
    expect(events.map((e) => e.ip)).toEqual(['10.1.2.3', '2001:db8::1', '10.9.9.9']);
  });

  it('counts unusable addresses and still maps the good ones', () => {
    const { events, stats } = run([regex()], 'login ok user=jdoe ip=0.0.0.0 ip=:: ip=10.1.2.999 ip=10.1.2.3 ip=ff02::1');
    expect(events.map((e) => e.ip)).toEqual(['10.1.2.3']);
    expect(stats.profiles['r']).toMatchObject({ matched: 1, emitted: 1, invalidAddress: 4 });
  });

  it('counts a missing address, a missing user and a blank user', () => {
    const set = ProfileSet.compile([regex({ usernameRegex: 'user=([^,]*),' })]);
    const matcher = set.forSender(sender);
    const events: IdentityEvent[] = [];
    for (const m of ['login ok user=jdoe, no address', 'login ok ip=10.1.2.3', 'login ok user=   , ip=10.1.2.3', 'nothing here']) {
      matcher.match(Buffer.from(m), sender, (e) => events.push(e));
    }
    expect(events).toEqual([]);
    expect(set.stats).toMatchObject({ messages: 4, unmatched: 1 });
    expect(set.stats.profiles['r']).toMatchObject({ matched: 3, noAddress: 1, noUser: 2, emitted: 0 });
  });

  it('trims the user and refuses control characters and users over 255 bytes', () => {
    const p = regex({ usernameRegex: 'user=([^,]*),' });
    expect(run([p], 'login ok user=  jdoe  , ip=10.1.2.3').events[0]?.user).toBe('jdoe');
    const { stats } = run([p], 'login ok user=j\u001b[31mdoe, ip=10.1.2.3');
    expect(stats.profiles['r']?.invalidUser).toBe(1);
    expect(run([p], `login ok user=${'é'.repeat(128)}, ip=10.1.2.3`).events).toEqual([]);
    expect(run([p], `login ok user=${'a'.repeat(255)}, ip=10.1.2.3`).events).toHaveLength(1);
  });

  it('maps at most 32 addresses from one message, and counts the message', () => {
    const many = Array.from({ length: 40 }, (_, i) => `ip=10.0.0.${i + 1}`).join(' ');
    for (const p of [regex(), field({ addressPrefix: 'ip=', addressDelimiter: ' ' })]) {
      const { events, stats } = run([p], `login ok session closed user=jdoe User:jdoe ${many}`);
      expect(events).toHaveLength(32);
      expect(stats.profiles[p.name]?.addressCapped).toBe(1);
    }
  });

  it('survives empty address matches and patterns that match everywhere', () => {
    const empty = regex({ addressRegex: 'ip=([0-9.]*)' });
    expect(run([empty], 'login ok user=jdoe ip= ip=10.1.2.3').events.map((e) => e.ip)).toEqual(['10.1.2.3']);
    const everywhere = regex({ addressRegex: 'x*' });
    expect(run([everywhere], 'login ok user=jdoe é').events).toEqual([]);
  });

  it('matches bytes, not text: invalid UTF-8 and NULs do not throw', () => {
    const bytes = Buffer.concat([Buffer.from('login ok user=j'), Buffer.from([0xff, 0xfe, 0]), Buffer.from('doe ip=10.1.2.3')]);
    expect(() => run([regex()], bytes)).not.toThrow();
  });

  it('refuses what RE2 refuses, with the reason, all at once', () => {
    const bad = regex({
      eventRegex: 'login(?= ok)',
      usernameRegex: '(a)\\1',
      positions: { eventRegex: { file: 'p.yaml', line: 5, col: 13 }, usernameRegex: { file: 'p.yaml', line: 6, col: 16 } },
    });
    let error: unknown;
    try {
      ProfileSet.compile([bad]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => [i.code, i.file, i.line, i.col])).toEqual([
      ['UID_ERR_PROFILE_REGEX', 'p.yaml', 5, 13],
      ['UID_ERR_PROFILE_REGEX', 'p.yaml', 6, 16],
    ]);
    expect(issues[0]?.message).toMatch(/eventRegex "login\(\?= ok\)" is not a pattern RE2 accepts: invalid perl operator/);
    expect(issues[1]?.message).toMatch(/invalid escape sequence/);
  });
});

describe('field profiles', () => {
  it('takes the user after the first prefix and every address prefix occurrence', () => {
    const { events } = run([field()], 'session closed User:ACME\\jdoe Source:10.1.2.3');
    expect(events).toEqual([{ event: 'logout', user: 'ACME\\jdoe', ip: '10.1.2.3', profile: 'f', sender: 'nac' }]);
    const two = field({ addressDelimiter: ',' });
    expect(run([two], 'session closed User:jdoe Source:10.1.2.3,Source:2001:db8::7').events.map((e) => e.ip))
      .toEqual(['10.1.2.3', '2001:db8::7']);
  });

  it('works behind rsyslog: #011 for a tab delimiter, leading space, CR LF', () => {
    const leef = field({ eventString: 'Service is alive', usernamePrefix: 'duser=', usernameDelimiter: '\\t', addressPrefix: 'dst=', addressDelimiter: '\\t' });
    const relayed = ' LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe#011dst=10.1.2.3#011sev=1\r\n';
    expect(run([leef], relayed).events.map((e) => [e.user, e.ip])).toEqual([['jdoe', '10.1.2.3']]);
  });

  it('counts missing and invalid parts', () => {
    const set = ProfileSet.compile([field()]);
    const matcher = set.forSender(sender);
    for (const m of ['session closed Source:10.1.2.3', 'session closed User:jdoe', 'session closed User:jdoe Source:jdoe']) {
      matcher.match(Buffer.from(m), sender, () => undefined);
    }
    expect(set.stats.profiles['f']).toMatchObject({ matched: 3, noUser: 1, noAddress: 1, invalidAddress: 1, emitted: 0 });
  });
});

describe('ProfileSet', () => {
  it('gives a sender only its own profiles, and all when it names none', () => {
    const set = ProfileSet.compile([regex({ name: 'a' }), regex({ name: 'b', eventRegex: 'login ok', event: 'logout' })]);
    const events: IdentityEvent[] = [];
    const onlyB: Sender = { ...sender, profiles: ['b'] };
    set.forSender(onlyB).match(Buffer.from('login ok user=jdoe ip=10.1.2.3'), onlyB, (e) => events.push(e));
    expect(events.map((e) => e.profile)).toEqual(['b']);
    events.length = 0;
    set.forSender(sender).match(Buffer.from('login ok user=jdoe ip=10.1.2.3'), sender, (e) => events.push(e));
    expect(events.map((e) => e.profile)).toEqual(['a', 'b']);
    expect(set.forSender(sender)).toBe(set.forSender(sender));
  });

  it('refuses a sender naming an unknown profile', () => {
    const set = ProfileSet.compile([regex({ name: 'a' })]);
    expect(() => set.forSender({ ...sender, profiles: ['nope'] })).toThrow(UidError);
  });

  it('reports duplicate names where the second is defined', () => {
    const at = (line: number) => ({ name: { file: 'dir/x.yaml', line, col: 7 } });
    const { set, issues } = ProfileSet.build([regex({ name: 'a', positions: at(1) }), regex({ name: 'a', positions: at(9) })]);
    expect(set.names).toEqual(['a']);
    expect(issues).toEqual([{ code: 'UID_ERR_CONFIG_REFERENCE', file: 'dir/x.yaml', line: 9, col: 7,
      message: 'profile name "a" is already used by dir/x.yaml:1:7; names must be unique' }]);
  });

  it('is immutable', () => {
    const set = ProfileSet.compile([regex()]);
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.names)).toBe(true);
  });
});
