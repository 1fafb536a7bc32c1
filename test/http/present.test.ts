/** Table values as the API shows them: ISO 8601 UTC times and the reason of each change kind. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isoTime, presentChange, presentMapping } from '../../src/http/present.js';
import type { MappingChange } from '../../src/mappings/table.js';
import { mapping } from './table-double.js';

describe('presentMapping', () => {
  it('writes epoch milliseconds as ISO 8601 UTC and leaves the id out', () => {
    const m = mapping('10.1.2.3', 'ACME\\jdoe', { firstSeen: 0, lastSeen: 1_700_000_000_123, expiresAt: 1_700_002_700_123 });
    expect(presentMapping(m)).toEqual({
      ip: '10.1.2.3', user: 'ACME\\jdoe', sender: 'esm', profile: 'traps-esm-leef',
      firstSeen: '1970-01-01T00:00:00.000Z', lastSeen: '2023-11-14T22:13:20.123Z', expiresAt: '2023-11-14T22:58:20.123Z',
      timeoutSeconds: 2700,
    });
  });

  it('shows a mapping that lasts until logout with expiresAt null and timeoutSeconds 0', () => {
    const m = mapping('10.1.2.3', 'jdoe', { expiresAt: Infinity, timeoutMs: 0 });
    expect(presentMapping(m)).toMatchObject({ expiresAt: null, timeoutSeconds: 0 });
  });
});

describe('presentChange', () => {
  const m = mapping('10.1.2.3', 'jdoe');
  const cases: [MappingChange, object][] = [
    [{ kind: 'added', mapping: m }, { kind: 'added', reason: 'login' }],
    [{ kind: 'refreshed', mapping: m, newinfo: false }, { kind: 'refreshed', reason: 'login', newinfo: false }],
    [{ kind: 'user-changed', mapping: m, previous: mapping('10.1.2.3', 'asmith') }, { kind: 'user-changed', reason: 'replaced', previous: { user: 'asmith' } }],
    [{ kind: 'removed', mapping: m, reason: 'logout' }, { kind: 'removed', reason: 'logout' }],
    [{ kind: 'removed', mapping: m, reason: 'admin' }, { kind: 'removed', reason: 'admin' }],
    [{ kind: 'expired', mapping: m }, { kind: 'expired', reason: 'timeout' }],
    [{ kind: 'evicted', mapping: m }, { kind: 'evicted', reason: 'capacity' }],
  ];
  it.each(cases)('%o → %o', (change, expected) => {
    const body = presentChange(change);
    expect(body).toMatchObject({ ...expected, mapping: { ip: '10.1.2.3', user: 'jdoe' } });
  });
});

describe('isoTime', () => {
  it('writes exactly what Date#toISOString writes', () => {
    fc.assert(fc.property(fc.integer({ min: -1e14, max: 3e14 }), (ms) => {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }), { numRuns: 20_000 });
    for (const ms of [0, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999, 253_402_300_800_000, 1.5]) {
      expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
