/**
 * draft-profile on the samples of three shipped profiles of different shapes (LEEF key=value,
 * NXLog JSON, Cisco ASA text), copied into test/fixtures/draft, with no profile loaded:
 * the draft compiles like any profile and maps at least every positive sample exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { draftProfile } from '../../../src/identify/draft/draft.js';
import { lineKind } from '../../../src/identify/draft/words.js';
import { ProfileSet } from '../../../src/identify/profile-set.js';
import { testMessage } from '../../../src/identify/tester.js';

interface Fixture { profile: string; event: 'login' | 'logout'; lines: { message: string; expect: { user: string; ip: string }[] }[] }

const fixture = (name: string): Fixture => parse(readFileSync(new URL(`../../fixtures/draft/${name}.yaml`, import.meta.url), 'utf8')) as Fixture;

describe.each(['traps-esm-leef', 'windows-4624-nxlog-json', 'cisco-asa-anyconnect'])('draft-profile on the samples of %s', (name) => {
  const { event, lines } = fixture(name);
  const draft = draftProfile(lines.map((l) => l.message), `draft-${name}`);
  const set = ProfileSet.compile([draft.definition]);

  it(`drafts a ${event} profile whose event part has a prefilter literal`, () => {
    expect(draft.definition.event).toBe(event);
    expect(set.profile(`draft-${name}`)!.literal).not.toBeNull();
  });

  it('maps every positive sample to exactly its user and address', () => {
    const positives = lines.filter((l) => l.expect.length > 0);
    expect(positives.length).toBeGreaterThan(0);
    for (const { message, expect: wanted } of positives) {
      const got = testMessage(set, message, 1).events.map(({ user, ip }) => ({ user, ip }));
      expect(got, message).toEqual(wanted);
    }
  });

  it('writes every line as a sample whose expect is what the draft maps from it', () => {
    expect(draft.samples.map((s) => s.message)).toEqual(lines.map((l) => l.message));
    for (const sample of draft.samples) {
      expect(sample.expect).toEqual(testMessage(set, sample.message, 1).events.map(({ user, ip }) => ({ user, ip })));
      if (sample.expect.length === 0) expect(sample.note).toMatch(/maps nothing: /);
    }
  });
});

describe('what the draft could not decide', () => {
  it('says so when lines share no event id, falls back to their common text, and places placeholders', () => {
    const draft = draftProfile(['hello there jdoe', 'hello there asmith'], 'd');
    expect(draft.definition.eventRegex).toBe('hello there');
    expect(draft.notes.join('\n')).toMatch(/no event id recognised/);
    expect(draft.notes.join('\n')).toMatch(/no address field recognised/);
    expect(() => ProfileSet.compile([draft.definition])).not.toThrow();
  });

  it('takes the tunnel address over the public one, and the target user over the subject', () => {
    const draft = draftProfile([
      'date=2024-01-23 logid="0101039947" action="tunnel-up" remip=203.0.113.200 tunnelip=10.212.134.200 user="john.doe"',
      'date=2024-01-23 logid=0101039947 action=tunnel-up remip=203.0.113.201 tunnelip=10.212.134.201 user=asmith',
    ], 'fg');
    const set = ProfileSet.compile([draft.definition]);
    expect(testMessage(set, 'logid="0101039947" remip=198.51.100.1 tunnelip=10.212.134.9 user="j d"', 1).events)
      .toEqual([{ profile: 'fg', event: 'login', user: 'j d', ip: '10.212.134.9' }]);
    expect(draft.notes.join('\n')).toMatch(/also seen: remip/);
  });

  it('drafts a logout profile from logout lines and names the lines of the other event', () => {
    const draft = draftProfile([
      'sshd[1]: pam_unix(sshd:session): session closed for user jdoe from 10.0.0.1',
      'sshd[2]: pam_unix(sshd:session): session closed for user asmith from 10.0.0.2',
      'sshd[3]: Accepted password for jdoe from 10.0.0.1 port 22 ssh2',
    ], 'ssh');
    expect(draft.definition.event).toBe('logout');
    expect(draft.notes.join('\n')).toMatch(/1 line\(s\) look like logins/);
  });
});

describe('other shapes', () => {
  const maps = (lines: string[], message: string) => {
    const set = ProfileSet.compile([draftProfile(lines, 'd').definition]);
    return testMessage(set, message, 1).events.map(({ user, ip }) => `${user} ${ip}`);
  };

  it('reads LEEF 2.0 attributes separated by ^, pairing usrName with the source address', () => {
    const line = 'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^usrName=jdoe';
    expect(maps([line, line.replace('jdoe', 'asmith').replace('10.0.1.8', '10.0.1.9')], line)).toEqual(['jdoe 10.0.1.8']);
  });

  it('finds sshd\'s words when there is no event id, leaving out the syslog header and the failures', () => {
    const lines = [
      '<38>Mar  1 10:00:00 fw sshd[123]: Accepted publickey for jdoe from 10.0.0.1 port 22 ssh2',
      '<38>Mar  1 10:05:00 fw sshd[124]: Accepted password for asmith from 10.0.0.2 port 52200 ssh2',
      '<38>Mar  1 10:05:00 fw sshd[125]: Failed password for asmith from 10.0.0.3 port 52201 ssh2',
    ];
    expect(draftProfile(lines, 'd').definition.eventRegex).toBe('Accepted');
    expect(lines.map((l) => maps(lines, l))).toEqual([['jdoe 10.0.0.1'], ['asmith 10.0.0.2'], []]);
  });
});

describe('lineKind', () => {
  it('sorts failure, logout and login wording, failures first', () => {
    expect(lineKind('%ASA-6-113015: AAA user authentication Rejected')).toBe('failure');
    expect(lineKind('SSL VPN login fail')).toBe('failure');
    expect(lineKind('Session disconnected. Session Type: SSL')).toBe('logout');
    expect(lineKind('%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success')).toBe('login');
    expect(lineKind('"LogonType":"3"')).toBe('unknown');
  });
});
