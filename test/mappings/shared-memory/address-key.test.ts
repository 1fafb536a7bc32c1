import { describe, expect, it } from 'vitest';
import { normaliseAddress } from '../../../src/identify/address.js';
import { formatAddressKey, parseAddressKey, usableAddressKey } from '../../../src/mappings/shared-memory/address-key.js';

/** A random address in canonical text, with zero runs often enough to exercise "::". */
function randomAddress(i: number): string {
  if (i % 3 === 0) return normaliseAddress(`${1 + (i % 223)}.${i & 255}.${(i >>> 8) & 255}.${(i * 7) & 255}`) ?? '10.0.0.1';
  const groups = Array.from({ length: 8 }, (_, g) => (((i * 2654435761) >>> (g * 3)) & 3) === 0 ? 0 : (i * (g + 1) * 40503) & 0xffff);
  groups[0] = 0x2001;
  return normaliseAddress(groups.map((g) => g.toString(16)).join(':'))!;
}

describe('address keys', () => {
  it('reads canonical text and writes it back the way normaliseAddress does', () => {
    const key = new Int32Array(4);
    for (let i = 0; i < 20_000; i++) {
      const ip = randomAddress(i);
      expect(parseAddressKey(ip, key), ip).toBe(true);
      expect(formatAddressKey(key[0]!, key[1]!, key[2]!, key[3]!)).toBe(ip);
    }
    for (const ip of ['::1', 'fe80::1', '2001:db8::', '1::', '2001:db8:0:1:1:1:1:1', '10.0.0.1', '255.255.255.254']) {
      expect(parseAddressKey(ip, key), ip).toBe(true);
      expect(formatAddressKey(key[0]!, key[1]!, key[2]!, key[3]!)).toBe(ip);
    }
  });

  it('keys an IPv4 address as its IPv4-mapped IPv6 form', () => {
    const key = new Int32Array(4);
    parseAddressKey('192.0.2.1', key);
    expect([...key]).toEqual([0, 0, 0xffff, (192 << 24) | (2 << 8) | 1]);
  });

  it('refuses what is not an address, without throwing', () => {
    const key = new Int32Array(4);
    for (const bad of ['', '1', '1.2.3', '1.2.3.4.5', '1..2.3', '256.1.1.1', '1.2.3.4a', ':', ':::', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8', '12345::', 'g::', '::ffff:1.2.3.4', 'A::1', ' 1.2.3.4']) {
      expect(parseAddressKey(bad, key), bad).toBe(false);
    }
  });

  it('says a key is usable exactly when normaliseAddress accepts its text', () => {
    const keys: [number, number, number, number][] = [
      [0, 0, 0xffff, 0], [0, 0, 0xffff, -1], [0, 0, 0xffff, 0xe0000001 | 0], [0, 0, 0xffff, 0xefffffff | 0], [0, 0, 0xffff, 0xf0000000 | 0],
      [0, 0, 0xffff, 0xdfffffff | 0], [0, 0, 0xffff, 1], [0, 0, 0, 0], [0, 0, 0, 1], [0xff020000 | 0, 0, 0, 1], [0xfe800000 | 0, 0, 0, 1], [0, 0, 0, 0x0a000001],
    ];
    for (let i = 0; i < 5000; i++) keys.push([(i % 7 === 0 ? 0xff000000 : 0) | ((i * 2654435761) & 0xffff), 0, i % 5 === 0 ? 0xffff : i, (i * 40503 * 65599) | 0]);
    for (const [w0, w1, w2, w3] of keys) {
      const hex = [w0, w1, w2, w3].map((w) => `${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`).join(':');
      expect(usableAddressKey(w0, w1, w2, w3), hex).toBe(normaliseAddress(hex) !== null);
    }
  });
});
