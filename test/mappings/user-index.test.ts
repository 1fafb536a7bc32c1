import { describe, expect, it } from 'vitest';
import { UserIndex, sameUser } from '../../src/mappings/user-index.js';

describe('UserIndex', () => {
  it('indexes users case-insensitively and collapses back after removals', () => {
    const index = new UserIndex();
    index.add('ACME\\jdoe', '10.0.0.1');
    index.add('acme\\JDOE', '10.0.0.2');
    index.add('acme\\jdoe', '10.0.0.2'); // already there
    expect([...index.ips('Acme\\Jdoe')].sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(index.size).toBe(1);
    index.remove('ACME\\JDOE', '10.0.0.1');
    expect(index.ips('acme\\jdoe')).toEqual(['10.0.0.2']);
    index.remove('acme\\jdoe', '10.0.0.9'); // not indexed: no effect
    expect(index.ips('acme\\jdoe')).toEqual(['10.0.0.2']);
    index.remove('acme\\jdoe', '10.0.0.2');
    expect(index.ips('acme\\jdoe')).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('compares users case-insensitively', () => {
    expect(sameUser('ACME\\jdoe', 'acme\\JDOE')).toBe(true);
    expect(sameUser('jdoe', 'jdoe2')).toBe(false);
  });
});
