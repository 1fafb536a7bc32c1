import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatFingerprint, matchesFingerprint, parseFingerprint } from '../../src/syslog/fingerprint.js';

const der = Buffer.from('not really a certificate, but hashed the same way');
const sha256 = createHash('sha256').update(der).digest('hex').toUpperCase();
const sha1 = createHash('sha1').update(der).digest('hex').toUpperCase();
const colons = (hex: string) => hex.match(/../g)!.join(':');

describe('fingerprints (RFC 5425 §4.2.1)', () => {
  it('accepts the RFC form, rsyslog/openssl forms and bare hex', () => {
    for (const text of [`sha-256:${colons(sha256)}`, `SHA256:${colons(sha256)}`, `sha256:${sha256.toLowerCase()}`, sha256, ` ${colons(sha256)} `]) {
      expect(parseFingerprint(text), text).toEqual({ algorithm: 'sha256', hex: sha256 });
    }
    expect(parseFingerprint(`SHA-1:${colons(sha1)}`)).toEqual({ algorithm: 'sha1', hex: sha1 });
  });

  it('refuses text that is not a fingerprint, saying why', () => {
    expect(parseFingerprint('sha-256:AB:CD')).toMatch(/expected 64 hex digits, got 4/);
    expect(parseFingerprint('md5:AB')).toMatch(/expected hex digits/);
    expect(parseFingerprint('ABCDEF')).toMatch(/name the hash/);
  });

  it('matches a certificate against pins of any algorithm', () => {
    const pin = parseFingerprint(sha1);
    const other = parseFingerprint('0'.repeat(64));
    if (typeof pin === 'string' || typeof other === 'string') throw new Error(String(pin));
    expect(matchesFingerprint(der, [other, pin])).toBe(true);
    expect(matchesFingerprint(der, [other])).toBe(false);
  });

  it('formats in the RFC form', () => {
    expect(formatFingerprint(der)).toBe(`sha-256:${colons(sha256)}`);
  });
});
