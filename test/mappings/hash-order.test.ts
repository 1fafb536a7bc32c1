import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashOrder, decodeCursor, encodeCursor } from '../../src/mappings/hash-order.js';

/** Walks up to `limit` IPs after `after`, as a table page does. */
function take(order: HashOrder, after: string | undefined, limit: number): string[] {
  const out: string[] = [];
  order.walk(after, (ip) => out.push(ip) < limit);
  return out;
}

const ipArbitrary = fc.oneof(
  fc.tuple(fc.nat(3), fc.nat(255), fc.integer({ min: 1, max: 254 })).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.nat(0xffff).map((n) => `2001:db8::${(n + 1).toString(16)}`),
);

describe('HashOrder', () => {
  it('returns every IP once, in the same order every time', () => {
    const order = new HashOrder();
    const ips = Array.from({ length: 500 }, (_, i) => `10.0.${i >> 8}.${(i & 255) || 1}`);
    for (const ip of new Set(ips)) order.add(ip);
    const pass = take(order, undefined, Infinity);
    expect(new Set(pass)).toEqual(new Set(ips));
    expect(pass).toHaveLength(new Set(ips).size);
    expect(take(order, undefined, Infinity)).toEqual(pass);
    // Resuming after any element gives exactly the rest.
    expect(take(order, pass[100], Infinity)).toEqual(pass.slice(101));
  });

  it('resumes after an IP that has since been removed', () => {
    const order = new HashOrder();
    for (let i = 1; i <= 50; i++) order.add(`10.0.0.${i}`);
    const pass = take(order, undefined, Infinity);
    order.remove(pass[20]!);
    expect(take(order, pass[20], Infinity)).toEqual(pass.slice(21));
  });

  it('never skips nor repeats IPs that stay while others are added and removed between pages', () => {
    const operation = fc.record({ add: fc.array(ipArbitrary, { maxLength: 8 }), remove: fc.array(fc.nat(), { maxLength: 8 }) });
    fc.assert(
      fc.property(fc.uniqueArray(ipArbitrary, { minLength: 1, maxLength: 120 }), fc.array(operation, { maxLength: 40 }), fc.integer({ min: 1, max: 9 }), (initial, operations, limit) => {
        const order = new HashOrder();
        const present = new Set(initial);
        for (const ip of initial) order.add(ip);
        const staying = new Set(initial);
        const seen: string[] = [];
        let after: string | undefined;
        for (let round = 0; ; round++) {
          const page = take(order, after, limit);
          seen.push(...page);
          if (page.length < limit) break;
          after = page[page.length - 1];
          const op = operations[round % Math.max(1, operations.length)];
          for (const ip of op?.add ?? []) if (!present.has(ip)) { present.add(ip); order.add(ip); }
          for (const n of op?.remove ?? []) {
            const victim = [...present][n % Math.max(1, present.size)];
            if (victim === undefined) continue;
            present.delete(victim);
            staying.delete(victim);
            order.remove(victim);
          }
        }
        expect(new Set(seen).size).toBe(seen.length);
        for (const ip of staying) expect(seen).toContain(ip);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips cursors and refuses ones it could not have issued', () => {
    for (const ip of ['10.1.2.3', '2001:db8::1']) expect(decodeCursor(encodeCursor(ip))).toBe(ip);
    for (const bad of ['', '!!!', encodeCursor('not an ip'), encodeCursor('::ffff:10.1.2.3'), `${encodeCursor('10.1.2.3')}=`]) {
      expect(() => decodeCursor(bad), bad).toThrow(expect.objectContaining({ code: 'UID_ERR_HTTP_BAD_REQUEST' }));
    }
  });
});
