import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SnapshotDecoder, encodeEntry, encodeHeader } from '../../src/mappings/snapshot-format.js';
import type { SavedMapping } from '../../src/mappings/snapshot-format.js';
import type { Mapping } from '../../src/mappings/table.js';

const T0 = Date.UTC(2025, 0, 1);

const mappings: Mapping[] = [
  { id: 'lz1-1', ip: '10.1.2.3', user: 'ACME\\jdoe', sender: 'esm', profile: 'traps-esm-leef', firstSeen: T0, lastSeen: T0 + 5, expiresAt: T0 + 2_700_005, timeoutMs: 2_700_000 },
  { id: 'lz1-2', ip: '2001:db8::1', user: 'Zoë "quoted"\n', sender: 'nac', profile: 'vpn', firstSeen: T0, lastSeen: T0, expiresAt: T0 + 60_000, timeoutMs: 60_000 },
  // Until logout: expiresAt is written as null and read back as Infinity.
  { id: 'lz1-3', ip: '10.1.2.4', user: 'bob', sender: 'xml-api:nac', profile: 'xml-api', firstSeen: T0, lastSeen: T0, expiresAt: Infinity, timeoutMs: 0 },
];

/** A snapshot laid out from the rules at the top of snapshot-format.ts, digest computed here. */
function file(entries: readonly Mapping[], options: { version?: number; count?: number; tamper?: (body: string) => string } = {}): string {
  const version = options.version ?? 2;
  const header = `${JSON.stringify({ format: 'uid-listener/mappings', version, writtenAt: T0 })}\n`;
  const lines = entries.map((m) => {
    const fields = [m.ip, m.user, m.sender, m.profile, m.id, m.firstSeen, m.lastSeen, m.timeoutMs === 0 ? null : m.expiresAt];
    return `${JSON.stringify(version === 1 ? fields : [...fields, m.timeoutMs])}\n`;
  });
  const body = header + lines.join('');
  const sha256 = createHash('sha256').update(body).digest('hex');
  const trailer = `${JSON.stringify({ end: true, entries: options.count ?? entries.length, sha256 })}\n`;
  return (options.tamper ?? ((b) => b))(body) + trailer;
}

function decode(...pieces: string[]): SavedMapping[] {
  const decoder = new SnapshotDecoder();
  for (const piece of pieces) decoder.feed(piece);
  return decoder.finish();
}

describe('snapshot format v2', () => {
  it('reads what the rules describe, and the encoder writes exactly that', () => {
    const text = file(mappings);
    expect(decode(text)).toEqual(mappings);
    expect(encodeHeader(T0) + mappings.map(encodeEntry).join('')).toBe(text.slice(0, text.lastIndexOf('{"end"')));
  });

  it('reads a file fed in pieces that end on line boundaries', () => {
    const lines = file(mappings).split(/(?<=\n)/);
    expect(decode(...lines)).toEqual(mappings);
    expect(decode(lines.slice(0, 2).join(''), lines.slice(2).join(''))).toEqual(mappings);
  });

  it('carries the groups that were sent every START (startsSentTo); a file without it reads as undefined', () => {
    const body = encodeHeader(T0, ['primary', 'audit']) + mappings.map(encodeEntry).join('');
    const trailer = `${JSON.stringify({ end: true, entries: mappings.length, sha256: createHash('sha256').update(body).digest('hex') })}\n`;
    const decoder = new SnapshotDecoder();
    decoder.feed(body + trailer);
    expect(decoder.finish()).toEqual(mappings);
    expect(decoder.startsSentTo).toEqual(['primary', 'audit']);
    const old = new SnapshotDecoder();
    old.feed(file(mappings));
    old.finish();
    expect(old.startsSentTo).toBeUndefined();
  });

  it('reads an empty table', () => {
    expect(decode(file([]))).toEqual([]);
  });

  it('still reads version 1 (no timeoutMs): entries come back without one, for the table to give its default', () => {
    const finite = mappings.slice(0, 2);
    expect(decode(file(finite, { version: 1 }))).toEqual(finite.map(({ timeoutMs: _, ...rest }) => rest));
  });

  const refusals: [string, () => string[], RegExp][] = [
    ['an empty file', () => [], /empty file/],
    ['another format', () => ['{"format":"other","version":1}\n'], /line 1: not a uid-listener\/mappings snapshot/],
    ['a version it does not know', () => [file(mappings, { version: 3 })], /line 1: format version 3 is not supported/],
    ['a missing trailer (truncated)', () => [file(mappings).split('{"end"')[0]!], /no trailer line: the file is truncated/],
    ['a line cut short', () => [file(mappings).slice(0, 120)], /line 2: not valid JSON|not ended by a newline/],
    ['a wrong count', () => [file(mappings, { count: 4 })], /trailer counts 4 entries, the file has 3/],
    ['a changed name that still parses', () => [file(mappings, { tamper: (b) => b.replace('jdoe', 'jdoa') })], /sha256 does not match/],
    ['an entry with 8 fields', () => [file(mappings, { tamper: (b) => b.replace(',"lz1-1"', '') })], /line 2: an entry must be an array of 9 fields/],
    ['a version 1 entry with 9 fields', () => [file(mappings.slice(0, 1), { version: 1, tamper: (b) => b.replace(']\n', ',1]\n') })], /line 2: an entry must be an array of 8 fields/],
    ['a negative timeout', () => [file(mappings, { tamper: (b) => b.replace(',60000]', ',-1]') })], /line 3: timeoutMs must be a whole number/],
    ['a null expiry with a timeout', () => [file(mappings, { tamper: (b) => b.replace(`${T0 + 60_000},60000]`, 'null,60000]') })], /line 3: expiresAt must be epoch milliseconds, or null exactly when timeoutMs is 0/],
    ['an expiry with timeout 0', () => [file(mappings, { tamper: (b) => b.replace('null,0]', `${T0},0]`) })], /line 4: expiresAt must be epoch milliseconds, or null exactly when/],
    ['a non-canonical address', () => [file(mappings, { tamper: (b) => b.replace('2001:db8::1', '2001:DB8::1') })], /line 3: ip is not a canonical host address/],
    ['an empty id', () => [file(mappings, { tamper: (b) => b.replace('"lz1-2"', '""') })], /line 3: id must be a non-empty string/],
    ['a time that is not a number', () => [file(mappings, { tamper: (b) => b.replace(`${T0},${T0},${T0 + 60_000}`, `"soon",${T0},${T0 + 60_000}`) })], /line 3: times must be epoch milliseconds/],
    ['times out of order', () => [file(mappings, { tamper: (b) => b.replace(String(T0 + 60_000), String(T0 - 1)) })], /line 3: times must satisfy/],
    ['a startsSentTo that is not a list of names', () => [file(mappings, { tamper: (b) => b.replace(`"writtenAt":${T0}`, `"writtenAt":${T0},"startsSentTo":"primary"`) })], /line 1: startsSentTo must be a list/],
    ['text after the trailer', () => [`${file(mappings)}[]\n`], /line 6: text after the trailer/],
  ];
  for (const [what, pieces, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => decode(...pieces())).toThrow(message);
    });
  }
});
