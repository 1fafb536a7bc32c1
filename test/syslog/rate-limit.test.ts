import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/syslog/rate-limit.js';

describe('RateLimiter', () => {
  it('reports a key once per interval and counts what it held back', () => {
    const limiter = new RateLimiter(1000, 10);
    expect(limiter.take('a', 0)).toBe(0);
    expect(limiter.take('a', 500)).toBe(-1);
    expect(limiter.take('a', 999)).toBe(-1);
    expect(limiter.take('a', 1000)).toBe(2);
  });

  it('caps reports across keys, so a flood of addresses stays a trickle', () => {
    const limiter = new RateLimiter(1000, 3, 100);
    const allowed = Array.from({ length: 1000 }, (_, i) => limiter.take(`10.0.${i >> 8}.${i & 255}`, 10)).filter((r) => r >= 0);
    expect(allowed).toHaveLength(3);
    expect(limiter.take('late', 1010)).toBe(997);
  });
});
