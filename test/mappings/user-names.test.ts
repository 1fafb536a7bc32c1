import { describe, expect, it } from 'vitest';
import { sameUser, userKey } from '../../src/mappings/user-names.js';

describe('user names', () => {
  it('compare case-insensitively', () => {
    expect(sameUser('ACME\\jdoe', 'acme\\JDOE')).toBe(true);
    expect(sameUser('jdoe', 'jdoe2')).toBe(false);
    expect(userKey('ACME\\Ünal')).toBe('acme\\ünal');
  });
});
