import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyPseudoPad } from '../../src/accounting/obfuscation.js';

/** RFC 8907 §4.5 written out step by step: MD5_1 over {session_id, key, version, seq_no}, then chained. */
function expectedPad(header: Buffer, key: string, length: number): Buffer {
  const base = Buffer.concat([header.subarray(4, 8), Buffer.from(key), header.subarray(0, 1), header.subarray(2, 3)]);
  const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();
  const md5s = [md5(base)];
  while (md5s.length * 16 < length) md5s.push(md5(Buffer.concat([base, md5s[md5s.length - 1]!])));
  return Buffer.concat(md5s).subarray(0, length);
}

describe('RFC 8907 §4.5 pseudo-pad', () => {
  const header = Buffer.from('c0030300a1b2c3d400000000', 'hex');

  it.each([1, 15, 16, 17, 40, 300])('XORs a %i-octet body with the chained MD5 pad', (length) => {
    const body = Buffer.from(Array.from({ length }, (_, i) => (i * 7) & 0xff));
    const packet = Buffer.concat([header, body]);
    applyPseudoPad(packet, Buffer.from('s3cr3t'));
    const pad = expectedPad(header, 's3cr3t', length);
    expect(packet.subarray(12).toString('hex')).toBe(Buffer.from(body.map((b, i) => b ^ pad[i]!)).toString('hex'));
    expect(packet.subarray(0, 12).equals(header)).toBe(true);
    applyPseudoPad(packet, Buffer.from('s3cr3t'));
    expect(packet.subarray(12).equals(body)).toBe(true);
  });

  it('depends on seq_no: a reply (seq 2) gets a different pad than its request (seq 1)', () => {
    const request = Buffer.concat([Buffer.from('c0030100a1b2c3d400000010', 'hex'), Buffer.alloc(16)]);
    const reply = Buffer.from(request);
    reply[2] = 2;
    applyPseudoPad(request, Buffer.from('k'));
    applyPseudoPad(reply, Buffer.from('k'));
    expect(request.subarray(12).equals(reply.subarray(12))).toBe(false);
  });
});
