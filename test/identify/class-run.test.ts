import fc from 'fast-check';
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { ASK_RE2, classRun, runEnd } from '../../src/identify/class-run.js';
import { compileCapture, type Capture } from '../../src/identify/capture.js';
import { parsePattern } from '../../src/identify/pattern.js';

function planOf(pattern: string) {
  const alternatives = parsePattern(pattern);
  if (alternatives === null || alternatives.length !== 1) throw new Error(`cannot parse ${pattern}`);
  return classRun(alternatives[0]!.pieces);
}

function all(capture: Capture, data: Buffer): (string | null)[] {
  const out: (string | null)[] = [];
  for (let from = 0; out.length < 50; ) {
    const value = capture.find(data, from);
    if (value === undefined) break;
    out.push(value);
    from = capture.resume;
  }
  return out;
}

describe('classRun', () => {
  it.each([
    ['duser=([a-zA-Z0-9\\_]+)', true],
    ['dst=([A-F0-9a-f:.]+)', true],
    ['User <([^>]+)>', true],
    ['IPv4 Address=([0-9.]+)', true],
    ['u=(\\S+) ', true],
    ['u=(\\d*)x', true],
    ['u=(.+?) MAC=', false], // the suffix starts with a member: RE2 decides
    ['u=([a-z]+?)', false], // lazy with nothing after: the shortest run, not the longest
    ['u=([a-z]+)z', false], // the suffix starts with a member
    ['u=([a-z]{2,5})', false], // bounded
    ['\\bu=([a-z]+)', false], // an assertion
    ['u=([a-z]+)(x)', false], // a second group
    ['u=((?:ab)+)', false], // not a class
    ['é=([a-z]+)', false], // starts inside a multi-byte character's world
    ['u=([é]+)', false], // a non-ASCII member
    ['u=([[:alpha:]]+)', false], // not modelled
  ])('%j: run plan %s', (pattern, expected) => {
    expect(planOf(pattern) !== null).toBe(expected);
  });

  it('ends at the first non-member, needs the suffix and the minimum, and leaves non-ASCII to RE2 for negated classes', () => {
    const run = planOf('User <([^>]+)>')!;
    const at = (text: string | Buffer) => runEnd(run, Buffer.from(text as string), 'User <'.length);
    expect(at('User <jdoe> x')).toBe('User <jdoe>'.length);
    expect(at('User <> x')).toBe(-1); // + needs one
    expect(at('User <jdoe')).toBe(-1); // no suffix
    expect(at(Buffer.from('User <j\xc3\xa9>', 'latin1'))).toBe(ASK_RE2);
    const positive = planOf('u=([a-z]+)')!;
    expect(runEnd(positive, Buffer.from('u=ab\xc3\xa9', 'latin1'), 2)).toBe(4); // é is not a member: the run stops
  });

  // The fast plan must agree with RE2's own exec on any class, text and bytes.
  it('agrees with RE2 exec (property)', () => {
    const cls = fc.constantFrom('[a-z]', '[^>]', '[^ =]', '\\S', '\\w', '\\d', '.', '[0-9A-Fa-f:.]', '[^"]', '[\\]a]', '[a-]', '[-a]', '\\s');
    const quantifier = fc.constantFrom('+', '*', '+?', '*?', '{2,}');
    const literal = fc.constantFrom('u=', 'ab', '<', '"', 'x y', '=');
    const suffix = fc.constantFrom('', '>', '"', ' ', 'é', '=', 'z', '\\.');
    const pattern = fc.tuple(literal, cls, quantifier, suffix).map(([l, c, q, s]) => `${l}(${c}${q})${s}`);
    const piece = fc.constantFrom('u=', 'ab', '<', '>', '"', ' ', '=', 'z', 'é', '.', '1', 'A', '\t', '\n', ']', '-');
    const text = fc.tuple(fc.array(piece, { maxLength: 20 }), fc.array(fc.constantFrom(0x80, 0xff, 0xc3, 0xa9, 0xe2), { maxLength: 2 }), fc.nat(20))
      .map(([parts, bytes, at]) => {
        const body = Buffer.from(parts.join(''));
        const cut = Math.min(at, body.length);
        return Buffer.concat([body.subarray(0, cut), Buffer.from(bytes), body.subarray(cut)]);
      });
    fc.assert(
      fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 6 }), (p, texts) => {
        new RE2(p);
        const fast = compileCapture(p, 'utf8');
        const exec = compileCapture(p, 'utf8', 'exec');
        for (const data of texts) expect(all(fast, data), `${p} on ${data.toString('hex')}`).toEqual(all(exec, data));
      }),
      { numRuns: 3000 },
    );
  });
});
