import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md5Into } from '../../src/accounting/md5.js';

function md5(data: Buffer): string {
  const out = Buffer.alloc(16);
  md5Into(data, data.length, out, 0);
  return out.toString('hex');
}

describe('md5Into', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
    ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
  ])('matches the RFC 1321 §A.5 test suite for "%s"', (text, digest) => {
    expect(md5(Buffer.from(text, 'latin1'))).toBe(digest);
  });

  it('agrees with node:crypto on every length around the block and padding boundaries', () => {
    for (let length = 0; length <= 200; length++) {
      const data = Buffer.from(Array.from({ length }, (_, i) => (i * 31 + length) & 0xff));
      expect(md5(data), `length ${length}`).toBe(createHash('md5').update(data).digest('hex'));
    }
  });

  it('agrees with node:crypto on random inputs, hashing only the given prefix', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(600), (bytes, cut) => {
      const data = Buffer.from(bytes);
      const length = Math.min(cut, data.length);
      const out = Buffer.alloc(16);
      md5Into(data, length, out, 0);
      expect(out.toString('hex')).toBe(createHash('md5').update(data.subarray(0, length)).digest('hex'));
    }));
  });

  it('may write its digest over the end of its own input (the pad chain does)', () => {
    const buffer = Buffer.concat([Buffer.from('session-key-vs'), Buffer.alloc(16, 0xaa)]);
    const expected = createHash('md5').update(buffer).digest('hex');
    md5Into(buffer, buffer.length, buffer, 14);
    expect(buffer.subarray(14).toString('hex')).toBe(expected);
  });
});
