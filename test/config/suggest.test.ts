import { describe, expect, it } from 'vitest';
import { closestName } from '../../src/config/suggest.js';

describe('closestName', () => {
  const names = ['traps-esm-leef', 'cisco-asa-anyconnect', 'cisco-asa-ikev2'];

  it('suggests the nearest name within two edits, ignoring case', () => {
    expect(closestName('traps-esm-leff', names)).toBe('traps-esm-leef');
    expect(closestName('Traps-ESM-LEEF', names)).toBe('traps-esm-leef');
    expect(closestName('cisco-asa-ikev1', names)).toBe('cisco-asa-ikev2');
    expect(closestName('cisco-asa-ike', names)).toBe('cisco-asa-ikev2');
  });

  it('suggests nothing when every name is far off', () => {
    expect(closestName('fortigate', names)).toBeUndefined();
    expect(closestName('cisco-asa-i', names)).toBeUndefined();
    expect(closestName('x', [])).toBeUndefined();
  });
});
