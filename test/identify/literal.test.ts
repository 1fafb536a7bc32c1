import fc from 'fast-check';
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { requiredLiteral } from '../../src/identify/literal.js';

describe('requiredLiteral', () => {
  it.each([
    ['Service is alive', 'Service is alive', true],
    ['%ASA-\\d-722051: ', '-722051: ', false],
    ['An account was successfully logged on\\..*Logon Type:\\s+(?:3|10)\\s', 'An account was successfully logged on.', false],
    ['(?:VPN Tunneling|Network Connect): Session started for user', ': Session started for user', false],
    ['action="?tunnel-up"? tunneltype="?ssl-tunnel', ' tunneltype=', false],
    ['"EventID":4624,.*"LogonType"', '"EventID":4624,', false],
    ['ab+c', 'ab', false], // "ab" and "bc" are both required; the first of equal length wins
    ['xa{3}y', 'xaaay', false],
    ['xa{2,}y', 'xaa', false],
    ['(login ok)+ user', 'login ok', false],
    ['(?P<evt>login ok) user=', 'login ok', false],
    ['a\\tb', 'a\tb', false],
    ['\\$\\{x\\}', '${x}', false],
    ['x{,3}', 'x{,3}', true],
    ['é+tat', 'état', false],
    ['ab.cdef.gh', 'cdef', false],
  ])('%j requires %j', (pattern, literal, exact) => {
    expect(requiredLiteral(pattern)).toEqual({ literal, exact });
  });

  it.each([
    'login|logout', // top-level alternation: no single literal
    '(?i)service is alive', // case-insensitive: indexOf would miss "SERVICE"
    '(?i:service)',
    '\\d+\\s\\d+',
    '[abc]+',
    '\\Qa.b\\E',
    'x?',
    '(abc)?',
    '(abc)*',
  ])('%j has no provable literal', (pattern) => {
    expect(requiredLiteral(pattern)).toBeNull();
  });

  // The safety property the prefilter rests on: whatever RE2 matches contains the literal.
  it('every RE2 match of a random pattern contains its literal (property)', () => {
    const atom = fc.oneof(
      fc.constantFrom('a', 'b', 'c', 'ab', 'ba', '\\.', '.', '[ab]', '\\d', '\\s', '\\b', '^', '$', 'é', '{'),
      fc.constantFrom('(?:a|b)', '(ab)', '(?P<n>ba)', '(a|bc)', '(?:ca)'),
    );
    const quantifier = fc.constantFrom('', '', '', '?', '*', '+', '{2}', '{1,2}', '{0,1}', '{2,}', '+?', '*?');
    const piece = fc.tuple(atom, quantifier).map(([a, q]) => a + q);
    const pattern = fc.array(piece, { minLength: 1, maxLength: 7 }).chain((pieces) =>
      fc.constantFrom(pieces.join(''), `${pieces.join('')}|x`, `(${pieces.join('')})`));
    const text = fc.array(fc.constantFrom('a', 'b', 'c', '.', ' ', '1', 'é', '{', 'x'), { maxLength: 14 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 20 }), (p, texts) => {
        let re: RE2;
        try {
          re = new RE2(p);
        } catch {
          return; // not a pattern RE2 accepts: the loader refuses it before any literal matters
        }
        const found = requiredLiteral(p);
        if (found === null) return;
        for (const t of texts) {
          if (re.test(Buffer.from(t))) expect(t.includes(found.literal), `${p} matched ${JSON.stringify(t)}`).toBe(true);
          if (found.exact) expect(re.test(Buffer.from(t))).toBe(t.includes(found.literal));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
