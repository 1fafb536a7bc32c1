import fc from 'fast-check';
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { compileCapture, type Capture } from '../../src/identify/capture.js';

/** Every value `capture` finds in `text`, the way a profile walks the address matches. */
function all(capture: Capture, text: string | Buffer): (string | null)[] {
  const data = Buffer.from(text);
  const out: (string | null)[] = [];
  for (let from = 0; out.length < 100; ) {
    const value = capture.find(data, from);
    if (value === undefined) break;
    out.push(value);
    from = capture.resume;
  }
  return out;
}

describe('compileCapture', () => {
  it.each([
    ['duser=([a-zA-Z0-9\\_]+)', 'span'],
    ['IPv4 Address <([0-9.]+)>|IPv6 address <([0-9A-Fa-f:.]*[1-9A-Fa-f][0-9A-Fa-f:.]*)>', 'span'],
    ['\\btunnelip=([0-9A-Fa-f:.]+)', 'span'],
    ['"TargetUserName":"[^"]*\\$"|"TargetUserName":"([^"]+)"', 'span'],
    ['user=(\\w+)$', 'span'], // assertions are judged by RE2 itself, in full context
    ['ip=([0-9.]*)', 'span'],
    ['\\d+\\.\\d+\\.\\d+\\.\\d+', 'exec'], // no leading literal to look for
    ['(\\w+)@acme', 'exec'], // the group comes first
    ['New Logon:.*?Account Name:\\s+(\\S+)', 'span'], // the text before the group varies in length: split into parts
    ['Username ?= ?([^,]+),?\\s', 'span'], // ... and after it
    ['\\suser=([^\\s"]+)\\s+realm=', 'span'], // one byte of a class, then the literal to look for
    ['user=(?:x|(\\w+))', 'exec'], // the group sits inside another group
    ['(?i)user=(\\w+)', 'exec'], // case-insensitive: literal lengths may change
    ['(a)(b)', 'exec'], // two groups in one alternative
  ])('%j uses the %s plan', (pattern, plan) => {
    expect(compileCapture(pattern, 'utf8').plan).toBe(plan);
  });

  it('takes the first group that took part, else the whole match, else no value', () => {
    expect(all(compileCapture('ip=([0-9.]+)', 'latin1'), 'a ip=1.2.3.4 b ip=5.6.7.8')).toEqual(['1.2.3.4', '5.6.7.8']);
    expect(all(compileCapture('v=\\d+\\.\\d+', 'latin1'), 'x v=1.2 y v=33.44')).toEqual(['v=1.2', 'v=33.44']);
    expect(all(compileCapture('u=x\\$|u=(\\w+)', 'utf8'), 'u=x$ u=jdoe')).toEqual([null, 'jdoe']);
    expect(all(compileCapture('é=(\\S+)', 'utf8'), 'ü é=jürgen')).toEqual(['jürgen']);
  });

  it('does not let a leading \\b match mid-word after an earlier match', () => {
    const capture = compileCapture('\\bip=(\\d+)', 'latin1');
    expect(capture.plan).toBe('span');
    expect(all(capture, 'ip=1ip=2 ip=3')).toEqual(['1', '3']);
  });

  it('finds an alternative that begins with one byte of a class one byte before its literal', () => {
    const capture = compileCapture('\\suser=[^\\s"]*\\$\\s|\\suser=([^\\s"]+)\\s+realm=', 'latin1');
    expect(all(capture, 'user=first x\tuser=HOST$ y user=jdoe  realm=Users user=asmith realm=R')).toEqual([null, 'jdoe', 'asmith']);
  });

  it('hands a message whose lead occurs all over it to exec, with the same answers', () => {
    const capture = compileCapture('<Data Name=.User.>([^<]+)</Data>', 'latin1');
    const xml = `${'<Data Name="Other">x</Data>'.repeat(6)}<Data Name="User">jdoe</Data><Data Name="User">asmith</Data>`;
    expect(all(capture, xml)).toEqual(['jdoe', 'asmith']);
    expect(all(capture, '<Data Name="User">next</Data>')).toEqual(['next']);
  });

  it('splits `P (G) S` into parts, and asks RE2 when their first choices do not fit together', () => {
    const capture = compileCapture('Username ?= ?([^,\\s][^,]*),|Username ?= ?,', 'latin1');
    expect(capture.plan).toBe('span');
    expect(all(capture, 'Username = jdoe, Username=,Username =x y,')).toEqual(['jdoe', null, 'x y']);
    // `(.+)` takes the whole rest first; only a shorter choice lets `/\S+$` follow: RE2's exec says which.
    expect(all(compileCapture('Learn: \\S+ -> (.+)/\\S+$', 'latin1'), 'MULTI: Learn: 10.8.0.6 -> jdoe/a/198.51.100.7:1194')).toEqual(['jdoe/a']);
  });

  // The span plan is an optimisation: on any pattern and text it must agree with RE2's exec.
  it('span and exec plans find the same values (property)', () => {
    const literal = fc.constantFrom('a', 'b', '=', 'ab', 'é', '\\.', ' ', 'a', 'b', '\\b', '\\B', '^', '$');
    const body = fc.constantFrom('[ab]+', '\\w+', '[^ ]*', 'a|b', '.+?', 'b*', '(?:ab|a)', '[0-9.]+', 'é+');
    const alternative = fc.oneof(
      fc.tuple(fc.array(literal, { maxLength: 3 }), body, fc.array(literal, { maxLength: 2 }), fc.boolean())
        .map(([before, group, after, wordBoundary]) => `${wordBoundary ? '\\ba' : ''}${before.join('')}(${group})${after.join('')}`),
      fc.tuple(fc.array(literal, { minLength: 1, maxLength: 3 }), fc.constantFrom('', 'b+', '\\$', '[ab]')).map(([l, tail]) => l.join('') + tail),
    );
    const pattern = fc.array(alternative, { minLength: 1, maxLength: 3 }).map((alts) => alts.join('|'));
    const text = fc.array(fc.constantFrom('a', 'b', '=', ' ', '.', '1', 'é', 'ab=', 'a=b'), { maxLength: 24 }).map((p) => p.join(''));
    fc.assert(
      fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 8 }), (p, texts) => {
        try {
          new RE2(p);
        } catch {
          return;
        }
        const exec = compileCapture(p, 'utf8', 'exec');
        // A fresh capture per text: one that handed a text to exec (many leads) hands it the next ones too.
        for (const t of texts) expect(all(compileCapture(p, 'utf8'), t), `${p} on ${JSON.stringify(t)}`).toEqual(all(exec, t));
        const fast = compileCapture(p, 'utf8');
        const bytes = Buffer.from([0x61, 0xff, 0x3d, 0x62, 0xc3, 0x61, 0x3d, 0x61, 0x62]);
        expect(all(fast, bytes)).toEqual(all(exec, bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('split parts and exec find the same values (property)', () => {
    const fixed = fc.constantFrom('a', 'b', '=', ' ', 'ab', '\\b');
    const varying = fc.constantFrom(' ?', 'a*', 'b+', '[ab]*?', '(?:a|ab)', '(?:=|)', '.*?', '[^=]*', '\\s*', 'a{1,2}');
    const side = fc.array(fc.oneof(fixed, varying), { maxLength: 3 }).map((p) => p.join(''));
    const body = fc.constantFrom('[ab]+', '\\w+', '[^ ]*', 'a|b', '.+?', '.+', 'b*', '(?:ab|a)', '[0-9.]+', '[^=]+?');
    const alternative = fc.tuple(fc.constantFrom('a', 'b=', '=', '\\sa', '[ab]=', '\\b[=]b'), side, body, side).map(([lead, before, group, after]) => `${lead}${before}(${group})${after}`);
    const pattern = fc.array(alternative, { minLength: 1, maxLength: 2 }).map((alts) => alts.join('|'));
    const text = fc.array(fc.constantFrom('a', 'b', '=', ' ', '.', '1', 'é', 'ab=', 'a=b', 'b=a'), { maxLength: 24 }).map((p) => p.join(''));
    fc.assert(
      fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 8 }), (p, texts) => {
        const exec = compileCapture(p, 'utf8', 'exec');
        for (const t of texts) expect(all(compileCapture(p, 'utf8'), t), `${p} on ${JSON.stringify(t)}`).toEqual(all(exec, t));
      }),
      { numRuns: 2000 },
    );
  });
});
