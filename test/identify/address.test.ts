import { describe, expect, it } from 'vitest';
import { NetworkSet, normaliseAddress, parseNetwork } from '../../src/identify/address.js';

describe('normaliseAddress', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:0A01:0203', '10.1.2.3'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fe80::0:1', 'fe80::1'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseAddress(input)).toBe(expected);
  });

  it.each(['0.0.0.0', '::', '::ffff:0.0.0.0', '255.255.255.255', '224.0.0.1', 'ff02::1', '10.01.2.3', '1.2.3', '10.1.2.256',
    'fe80::1%eth0', 'jdoe', '', ' 10.1.2.3', '1:2:3:4:5:6:7:8:9'])('refuses %j', (input) => {
    expect(normaliseAddress(input)).toBeNull();
  });
});

describe('networks', () => {
  it('parses CIDR and bare addresses', () => {
    expect(parseNetwork('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseNetwork('2001:DB8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
    expect(parseNetwork('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', '10.0.0/8', '::/129', '10.0.0.0/', '10.0.0.0/8x', 'host']) expect(parseNetwork(bad)).toBeNull();
  });

  it('matches members of either family, including IPv4-mapped forms', () => {
    const set = new NetworkSet(['127.0.0.0/8', '::1', '2001:db8::/32'].map((n) => parseNetwork(n)!));
    expect(set.has('127.9.9.9')).toBe(true);
    expect(set.has('::ffff:127.0.0.1')).toBe(true);
    expect(set.has('::1')).toBe(true);
    expect(set.has('2001:db8:1::5')).toBe(true);
    expect(set.has('10.0.0.1')).toBe(false);
    expect(set.has('2001:db9::1')).toBe(false);
  });
});
