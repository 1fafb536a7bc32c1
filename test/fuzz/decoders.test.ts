/**
 * Property fuzzing of everything a peer's bytes reach before the table (issue 7 item 1):
 * the header and LEEF decoders, the profile engine with every shipped profile, and the
 * stream framer. Inputs: random bytes, the shipped profiles' own sample messages mutated
 * (bytes flipped, NULs, invalid UTF-8, cut short, repeated up to 64 KiB), bad PRI parts,
 * truncated and oversized LEEF, 64 KiB datagrams. Invariants: nothing throws, results stay
 * inside their contract, and the framer accounts for every frame exactly once.
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../src/config/profiles.js';
import { normaliseAddress } from '../../src/identify/address.js';
import type { IdentityEvent } from '../../src/identify/event.js';
import { MAX_ADDRESSES_PER_MESSAGE } from '../../src/identify/profile.js';
import type { ProfileMatcher, ProfileSet } from '../../src/identify/profile-set.js';
import { Framer, trimmedEnd } from '../../src/syslog/framing.js';
import { decodeHeader } from '../../src/syslog/header.js';
import { decodeLeef } from '../../src/syslog/leef.js';
import { fuzzParams, fuzzTimeout } from './scale.js';

const HEADER_PROBLEMS = new Set(['pri-missing', 'pri-invalid', 'timestamp-missing', 'timestamp-invalid', 'hostname-missing',
  'header-truncated', 'structured-data-invalid', 'invalid-utf8', 'nul-bytes']);

let profiles: ProfileSet;
let samples: Buffer[];
beforeAll(async () => {
  const loaded = await loadProfiles(fileURLToPath(new URL('../../profiles', import.meta.url)));
  expect(loaded.issues).toEqual([]);
  profiles = loaded.profiles;
  samples = profiles.names.flatMap((name) => (profiles.profile(name)!.definition.samples ?? []).map((s) => Buffer.from(s.message)));
});

const LEEF = 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\tdst=10.1.2.3';
const seed = fc.nat().map((i) => samples[i % samples.length]!);

/** A real message, damaged the ways networks, relays and attackers damage them. */
const mutated = fc.tuple(seed, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'cut')), { maxLength: 8 }))
  .map(([message, edits]) => {
    let bytes = Buffer.from(message);
    for (const [at, byte, how] of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (how === 'set' && bytes.length > 0) bytes[i] = byte;
      else if (how === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
      else bytes = bytes.subarray(0, i);
    }
    return bytes;
  });

const badPri = fc.tuple(fc.constantFrom('', '999', '192', '-1', 'abc', '1234', '0x1', '<', '13', '\0'), fc.boolean())
  .map(([pri, close]) => Buffer.from(`<${pri}${close ? '>' : ''}1 2024-01-01T00:00:00Z host app - - - ${LEEF}`));

const invalidUtf8 = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }).map((a) => Buffer.from(a.map((b) => 0x80 | b))), fc.nat())
  .map(([junk, at]) => {
    const text = Buffer.from(LEEF);
    const i = at % text.length;
    return Buffer.concat([text.subarray(0, i), junk, text.subarray(i)]);
  });

const nuls = fc.array(fc.nat(), { minLength: 1, maxLength: 6 }).map((positions) => {
  let bytes = Buffer.from(`<14>Mar 14 09:12:01 esm01 ${LEEF}`);
  for (const p of positions) {
    const i = p % (bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([0]), bytes.subarray(i)]);
  }
  return bytes;
});

const truncatedLeef = fc.nat().map((n) => Buffer.from(LEEF.slice(0, n % LEEF.length)));

/** LEEF with thousands of attributes or one huge value, up to 64 KiB (maxMessageBytes' default). */
const oversizedLeef = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean()).map(([n, many]) => {
  const attributes = many ? Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join('\t') : `duser=${'x'.repeat(n * 20)}\tdst=10.1.2.3`;
  return Buffer.from(`LEEF:2.0|V|P|1|E|^|${attributes}`.slice(0, 65536));
});

const bigDatagram = fc.tuple(fc.integer({ min: 0, max: 255 }), seed).map(([fill, message]) => {
  const big = Buffer.alloc(65536, fill);
  message.copy(big, fill * 200);
  return big;
});

const hostile = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)), weight: 3 },
  { arbitrary: mutated, weight: 6 },
  { arbitrary: badPri, weight: 1 },
  { arbitrary: invalidUtf8, weight: 2 },
  { arbitrary: nuls, weight: 2 },
  { arbitrary: truncatedLeef, weight: 1 },
  { arbitrary: oversizedLeef, weight: 1 },
  { arbitrary: bigDatagram, weight: 1 },
);

const sender = { name: 'fuzz', address: '127.0.0.1', transports: ['udp' as const] };

function matchAll(matcher: ProfileMatcher, data: Buffer): IdentityEvent[] {
  const events: IdentityEvent[] = [];
  matcher.match(data, sender, (e) => events.push(e));
  return events;
}

describe('decoders and profiles under hostile input', () => {
  it('decodeHeader never throws and reports only known problems', () => {
    fc.assert(fc.property(hostile, (data) => {
      const header = decodeHeader(data);
      for (const problem of header.problems) expect(HEADER_PROBLEMS.has(problem)).toBe(true);
      if (header.priority !== undefined) {
        expect(header.priority).toBeGreaterThanOrEqual(0);
        expect(header.priority).toBeLessThanOrEqual(191);
        expect(header.facility! * 8 + header.severity!).toBe(header.priority);
      }
      expect(typeof header.msg).toBe('string');
    }), fuzzParams(300));
  }, fuzzTimeout(20_000));

  it('decodeLeef never throws and finds LEEF exactly when the text has it', () => {
    fc.assert(fc.property(hostile, (data) => {
      const event = decodeLeef(data);
      expect(event === undefined).toBe(!data.toString('utf8').includes('LEEF:'));
      if (event) for (const [key, value] of event.attributes) expect(typeof key === 'string' && typeof value === 'string').toBe(true);
    }), fuzzParams(300));
  }, fuzzTimeout(20_000));

  it('the profile engine never throws, yields only valid events, and its prefilters change nothing', () => {
    const live = profiles.forSender(sender);
    const reference = profiles.diagnose(undefined, 'none').matcher;
    fc.assert(fc.property(hostile, (data) => {
      const events = matchAll(live, data);
      for (const e of events) {
        expect(normaliseAddress(e.ip)).toBe(e.ip);
        expect(e.user.length).toBeGreaterThan(0);
        expect(Buffer.byteLength(e.user)).toBeLessThanOrEqual(255);
        expect(e.user).not.toMatch(/[\u0000-\u001f\u007f]/);
        expect(profiles.names).toContain(e.profile);
      }
      for (const name of profiles.names) expect(events.filter((e) => e.profile === name).length).toBeLessThanOrEqual(MAX_ADDRESSES_PER_MESSAGE);
      expect(matchAll(reference, data)).toEqual(events);
    }), fuzzParams(400));
  }, fuzzTimeout(20_000));
});

describe('the framer accounts for every frame', () => {
  const MAX = 480;
  /** Lines without LF: messages, CR/NUL-only lines, empty lines, lines over the limit. */
  const line = fc.oneof(
    fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))),
    fc.constantFrom('', '\r', '\0', '\0\r', 'x\0\0').map((s) => Buffer.from(s)),
    fc.integer({ min: MAX + 1, max: MAX * 3 }).map((n) => Buffer.alloc(n, 0x41)),
  );

  function run(wire: Buffer, cuts: number[]) {
    const got = { messages: [] as string[], oversize: 0, malformed: 0 };
    const framer = new Framer(MAX, {
      message: (d) => { got.messages.push(d.toString('latin1')); return true; },
      oversize: () => { got.oversize++; },
      malformed: () => { got.malformed++; },
    });
    let at = 0;
    for (const cut of [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b).concat(wire.length)) {
      if (cut > at && framer.push(wire.subarray(at, cut)) === 'failed') return { ...got, failed: framer.failure };
      at = Math.max(at, cut);
    }
    framer.end();
    return { ...got, failed: framer.failure };
  }

  it('LF framing: each line is one message, one oversize, one malformed, or an empty separator', () => {
    fc.assert(fc.property(fc.array(line, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (lines, cuts) => {
      const wire = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      if (wire[0] !== undefined && wire[0] > 0x30 && wire[0] <= 0x39) return; // a leading digit 1-9 selects octet counting
      const expected = { messages: [] as string[], oversize: 0, malformed: 0, failed: undefined };
      for (const l of lines) {
        if (l.length === 0 || (l.length === 1 && l[0] === 0x0d)) continue;
        if (l.length > MAX) expected.oversize++;
        else if (trimmedEnd(l, 0, l.length) === 0) expected.malformed++;
        else expected.messages.push(l.subarray(0, trimmedEnd(l, 0, l.length)).toString('latin1'));
      }
      expect(run(wire, cuts)).toEqual(expected);
    }), fuzzParams(300));
  }, fuzzTimeout(20_000));

  it('a connection cut mid-frame: discard() reports the unfinished frame exactly when there is one', () => {
    const noop = { message: () => true, oversize: () => {}, malformed: () => {} };
    fc.assert(fc.property(fc.array(line, { maxLength: 10 }), line, fc.boolean(), fc.nat(), (lines, tail, octet, cut) => {
      const framer = new Framer(MAX, noop);
      if (octet) {
        const frames = [...lines, tail].filter((l) => l.length > 0 && l.length <= MAX).map((l) => Buffer.concat([Buffer.from(`${l.length} `), l]));
        const whole = Buffer.concat(frames.slice(0, -1));
        const last = frames.at(-1) ?? Buffer.alloc(0);
        const part = last.subarray(0, cut % (last.length + 1));
        framer.push(Buffer.concat([whole, part]));
        expect(framer.discard()).toBe(part.length > 0 && part.length < last.length);
      } else {
        const wire = Buffer.concat([Buffer.from('L\n'), ...lines.flatMap((l) => [l, Buffer.from('\n')]), tail]);
        framer.push(wire);
        expect(framer.discard()).toBe(tail.length > 0 && tail.length <= MAX);
      }
      expect(framer.discard()).toBe(false);
    }), fuzzParams(300));
  }, fuzzTimeout(20_000));

  it('octet counting: frames are delivered whole, a bad count (0, negative, too many digits, not a digit) ends the stream', () => {
    const body = fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a)).filter((b) => trimmedEnd(b, 0, b.length) > 0);
    const badCount = fc.constantFrom('0 x', '-5 x', '1234567890 x', '12ab x', ' 5 hello', `${MAX + 1} x`);
    fc.assert(fc.property(fc.array(body, { minLength: 1, maxLength: 20 }), fc.option(badCount), fc.array(fc.nat(), { maxLength: 20 }), (bodies, bad, cuts) => {
      const wire = Buffer.concat([...bodies.map((b) => Buffer.concat([Buffer.from(`${b.length} `), b])), Buffer.from(bad ?? '')]);
      const result = run(wire, cuts);
      expect(result.messages).toEqual(bodies.map((b) => b.subarray(0, trimmedEnd(b, 0, b.length)).toString('latin1')));
      expect(result.oversize).toBe(0);
      expect(result.failed !== undefined).toBe(bad !== null);
    }), fuzzParams(300));
  }, fuzzTimeout(20_000));
});
