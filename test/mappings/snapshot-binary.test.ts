import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SharedMappingStore } from '../../src/mappings/shared-memory/mapping-store.js';
import { allSaved } from '../../src/mappings/saved-entries.js';
import { BinarySnapshotEncoder, decodeBinarySnapshot } from '../../src/mappings/snapshot-binary.js';
import type { Mapping } from '../../src/mappings/table.js';

const T0 = Date.UTC(2025, 0, 1);

const mappings: Mapping[] = [
  { id: 'lz1-1', ip: '10.1.2.3', user: 'ACME\\jdoe', sender: 'esm', profile: 'traps-esm-leef', firstSeen: T0, lastSeen: T0 + 5, expiresAt: T0 + 2_700_005, timeoutMs: 2_700_000 },
  { id: 'lz1-2', ip: '2001:db8::1', user: 'Zoë "quoted"\n', sender: 'nac', profile: 'vpn', firstSeen: T0, lastSeen: T0, expiresAt: T0 + 60_000, timeoutMs: 60_000 },
  { id: 'an id of another form', ip: '10.1.2.4', user: 'bob', sender: 'esm', profile: 'vpn', firstSeen: T0, lastSeen: T0, expiresAt: Infinity, timeoutMs: 0 },
];

const HEADER = Buffer.from(`${JSON.stringify({ format: 'uid-listener/mappings', version: 3, writtenAt: T0 })}\n`);

/** Records laid out from the rules at the top of snapshot-binary.ts, independently of its encoder. */
function records(entries: readonly Mapping[], tamper: Partial<Record<'ip' | 'firstSeen' | 'expiresAt' | 'timeoutMs' | 'sender', unknown>> = {}): Buffer {
  const strings: string[] = [];
  const parts: Buffer[] = [];
  const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
  const f64 = (n: number) => { const b = Buffer.alloc(8); b.writeDoubleLE(n); return b; };
  const text = (t: string) => Buffer.concat([u16(Buffer.byteLength(t)), Buffer.from(t)]);
  const string = (t: string) => {
    if (!strings.includes(t)) { strings.push(t); parts.push(Buffer.from([1]), text(t)); }
    return strings.indexOf(t);
  };
  for (const m of entries) {
    const dash = m.id.lastIndexOf('-');
    const compact = /^.+-[0-9a-z]+$/.test(m.id) && !m.id.includes(' ');
    const [sender, profile] = [string(m.sender), string(m.profile)];
    const prefix = compact ? string(m.id.slice(0, dash)) : 0xffff;
    const ip = (tamper.ip as string | undefined) ?? m.ip;
    const key = Buffer.alloc(16);
    if (ip.includes('.')) {
      key.writeUInt16BE(0xffff, 10);
      ip.split('.').forEach((octet, i) => { key[12 + i] = Number(octet); });
    } else { // 2001:db8::N, the only IPv6 form used here
      key.writeUInt16BE(0x2001, 0);
      key.writeUInt16BE(0xdb8, 2);
      key.writeUInt16BE(Number.parseInt(ip.split('::')[1]!, 16), 14);
    }
    parts.push(Buffer.from([2]), key,
      f64((tamper.firstSeen as number | undefined) ?? m.firstSeen), f64(m.lastSeen), f64((tamper.expiresAt as number | undefined) ?? m.expiresAt), f64((tamper.timeoutMs as number | undefined) ?? m.timeoutMs),
      u16((tamper.sender as number | undefined) ?? sender), u16(profile), u16(prefix),
      compact ? f64(Number.parseInt(m.id.slice(dash + 1), 36)) : text(m.id), text(m.user));
  }
  return Buffer.concat(parts);
}

function file(body: Buffer, count: number): Buffer {
  const before = Buffer.concat([HEADER, body]);
  const end = Buffer.alloc(37);
  end[0] = 3;
  end.writeUInt32LE(count, 1);
  createHash('sha256').update(before).digest().copy(end, 5);
  return Buffer.concat([before, end]);
}

describe('snapshot format v3 (binary)', () => {
  it('reads what the rules describe, and the encoder writes exactly that', () => {
    const bytes = file(records(mappings), mappings.length);
    expect(allSaved(decodeBinarySnapshot(bytes, HEADER.length))).toEqual(mappings);
    const store = new SharedMappingStore(10);
    for (const m of mappings) store.set(m);
    const encoder = new BinarySnapshotEncoder();
    // The store hands entries in its own order; encode in the rules' order to compare bytes.
    const byIp = new Map<string, Buffer>();
    for (const m of mappings) {
      const one = new SharedMappingStore(1);
      one.set(m);
      one.exportEntries(0, 10, () => true, encoder);
      byIp.set(m.ip, encoder.take());
    }
    expect(Buffer.concat([...byIp.values()])).toEqual(records(mappings));
    expect(store.exportEntries(0, 10, () => true, encoder)).toBe(-1);
    expect(encoder.entries).toBe(6);
  });

  it('refuses a damaged file whole: any flipped bit, a cut, a wrong count', () => {
    const bytes = file(records(mappings), mappings.length);
    for (let at = HEADER.length; at < bytes.length; at += 7) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 0x10;
      expect(() => decodeBinarySnapshot(flipped, HEADER.length), `byte ${at}`).toThrow();
    }
    expect(() => decodeBinarySnapshot(bytes.subarray(0, bytes.length - 40), HEADER.length)).toThrow(/truncated|sha256/);
    expect(() => decodeBinarySnapshot(file(records(mappings), 2), HEADER.length)).toThrow(/counts 2 entries/);
  });

  it('refuses well-signed records that break the value rules', () => {
    const cases: [Parameters<typeof records>[1], RegExp][] = [
      [{ ip: '224.0.0.1' }, /usable host address/],
      [{ firstSeen: T0 + 10 }, /firstSeen <= lastSeen/],
      [{ expiresAt: Infinity }, /Infinity exactly when timeoutMs is 0/],
      [{ timeoutMs: 1.5 }, /whole number/],
      [{ sender: 9 }, /not defined before/],
    ];
    for (const [tamper, message] of cases) {
      expect(() => decodeBinarySnapshot(file(records([mappings[0]!], tamper), 1), HEADER.length)).toThrow(message);
    }
  });
});
