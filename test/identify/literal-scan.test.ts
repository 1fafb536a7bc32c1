import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralScanner } from '../../src/identify/literal-scan.js';

/** Which literals occur, the slow way. */
function reference(literals: readonly Buffer[], data: Buffer): number[] {
  return literals.flatMap((l, i) => (data.indexOf(l) !== -1 ? [i] : []));
}

function found(scanner: LiteralScanner, data: Buffer): number[] {
  const flags = new Uint8Array(scanner.literals.length);
  const hits = scanner.scan(data, flags);
  const out = [...flags.keys()].filter((i) => flags[i] === 1);
  expect(hits).toBe(out.length);
  expect([...scanner.hits.subarray(0, hits)].sort((a, b) => a - b)).toEqual(out);
  return out;
}

describe('LiteralScanner', () => {
  const literals = ['Service is alive', '-722051: ', ' tunneltype=', 'MULTI: Learn: ', 'Acct-Status-Type='].map((t) => Buffer.from(t));

  it('finds every literal that occurs, wherever it sits', () => {
    const scanner = new LiteralScanner(literals);
    expect(found(scanner, Buffer.from('LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe'))).toEqual([0]);
    expect(found(scanner, Buffer.from('Service is alive'))).toEqual([0]); // the whole message
    expect(found(scanner, Buffer.from('%ASA-6-722051: Group <x> User <y> IPv4 Address <10.0.0.1>'))).toEqual([1]);
    expect(found(scanner, Buffer.from('a tunneltype=ssl MULTI: Learn: 10.0.0.1 Service is alive'))).toEqual([0, 2, 3]);
    expect(found(scanner, Buffer.from('nothing to see here, not even Service is aliv'))).toEqual([]);
    expect(found(scanner, Buffer.alloc(0))).toEqual([]);
  });

  it('searches a short literal with a rare byte apart, so it does not shorten the window, and still finds it', () => {
    const scanner = new LiteralScanner([Buffer.from(' HIER_'), ...literals]);
    expect((scanner as unknown as { window: number }).window).toBe(9); // '-722051: ', not ' HIER_'
    expect(found(scanner, Buffer.from('1.2.3.4 TCP_MISS/200 512 GET http://x/ jdoe HIER_DIRECT/5.6.7.8 -'))).toEqual([0]);
    expect(found(scanner, Buffer.from('HIER_ at the start, _HIER_, xHIER_, HIER without its underscore'))).toEqual([]);
    expect(found(scanner, Buffer.from(' HIER_'))).toEqual([0]);
  });

  it('refuses literals shorter than two bytes', () => {
    expect(LiteralScanner.usable(Buffer.from('x'))).toBe(false);
    expect(() => new LiteralScanner([Buffer.from('ab'), Buffer.from('x')])).toThrow(RangeError);
  });

  it('agrees with indexOf on any literals and text (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'ab', 'ba', ' ', '=', 'é', '\u0000', '\xff', 'Z', '_', 'Z_');
    const text = (max: number) => fc.array(alphabet, { maxLength: max }).map((parts) => Buffer.from(parts.join('')));
    fc.assert(
      fc.property(fc.array(text(8).filter((b) => b.length >= 2), { minLength: 1, maxLength: 6 }), fc.array(text(60), { maxLength: 10 }), (lits, texts) => {
        const scanner = new LiteralScanner(lits);
        for (const data of texts) {
          expect(found(scanner, data)).toEqual(reference(lits, data));
          // Literals placed into the text are found.
          const planted = Buffer.concat([data, lits[0]!, data]);
          expect(found(scanner, planted)).toEqual(reference(lits, planted));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
