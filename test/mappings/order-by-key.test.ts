import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderByKey } from '../../src/mappings/order-by-key.js';

describe('orderByKey', () => {
  it('orders as a stable comparator sort does, for any numbers (but -0, which it puts before 0)', () => {
    const number = fc.oneof(fc.double({ noNaN: true }).filter((v) => !Object.is(v, -0)), fc.integer({ min: 1.7e12, max: 1.8e12 }), fc.constantFrom(0, 1, Infinity, -Infinity));
    fc.assert(
      fc.property(fc.array(number, { maxLength: 300 }), (values) => {
        const expected = values.map((_, i) => i).sort((a, b) => (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : 0));
        expect([...orderByKey(Float64Array.from(values))]).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps equal keys in their order', () => {
    expect([...orderByKey(Float64Array.from([5, 3, 5, 3, 1]))]).toEqual([4, 1, 3, 0, 2]);
    expect([...orderByKey(new Float64Array(0))]).toEqual([]);
  });
});
