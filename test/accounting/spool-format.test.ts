import * as zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32, tableCrc32 } from '../../src/accounting/crc32.js';
import type { AccountingRecord } from '../../src/accounting/record.js';
import { ACK_ENTRY, checkFrame, decodeAcks, decodeFrame, encodeAck, encodeFrame, payloadText, resync } from '../../src/accounting/spool-format.js';

const record: AccountingRecord = {
  kind: 'stop',
  user: 'jdoé',
  port: 'esm',
  remAddr: '10.0.0.1',
  orderKey: 't1',
  args: ['task_id=t1', 'reason=logout'],
};

function frameOf(seq: number, r: AccountingRecord = record): Buffer {
  const text = payloadText(r);
  return encodeFrame(seq, r.kind, text, Buffer.byteLength(text));
}

describe('CRC-32', () => {
  it('matches the IEEE check value and node:zlib', () => {
    expect(tableCrc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = randomBytes(4096);
    expect(crc32(data)).toBe(tableCrc32(data));
    const native = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
    if (native) expect(native(data.subarray(100), native(data.subarray(0, 100)))).toBe(tableCrc32(data.subarray(100), tableCrc32(data.subarray(0, 100))));
  });
});

describe('spool frame layout (stated in spool-format.ts)', () => {
  it('is magic, version, kind, length, seq, CRC-32 of header+payload, payload', () => {
    const seq = 2 ** 40 + 7;
    const frame = frameOf(seq);
    const payload = Buffer.from(JSON.stringify(['jdoé', 'esm', '10.0.0.1', 't1', ['task_id=t1', 'reason=logout']]), 'utf8');
    const header = Buffer.alloc(16);
    header.write('SP', 0, 'latin1');
    header[2] = 1; // version
    header[3] = 1; // stop
    header.writeUInt32BE(payload.length, 4);
    header.writeUInt32BE(2 ** 8, 8); // seq high word: 2^40 / 2^32
    header.writeUInt32BE(7, 12);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(tableCrc32(Buffer.concat([header, payload])));
    expect(frame.equals(Buffer.concat([header, crc, payload]))).toBe(true);
    const info = checkFrame(frame, 0);
    expect(info).toEqual({ seq, kind: 1, size: frame.length });
    expect(decodeFrame(frame, 0, info!)).toEqual(record);
  });

  it('any flipped byte makes the frame fail its check', () => {
    const frame = frameOf(3);
    for (let i = 0; i < frame.length; i++) {
      const damaged = Buffer.from(frame);
      damaged[i] = damaged[i]! ^ 0x40;
      expect(checkFrame(damaged, 0), `byte ${i}`).toBeNull();
    }
  });

  it('a frame cut short fails its check, and resync finds the next intact one', () => {
    const a = frameOf(1);
    const b = frameOf(2);
    const buf = Buffer.concat([a.subarray(0, a.length - 3), b]);
    expect(checkFrame(buf, 0)).toBeNull();
    expect(resync(buf, 1)).toBe(a.length - 3);
    expect(resync(Buffer.concat([a.subarray(0, 10), Buffer.from('SPxxxx')]), 1)).toBe(-1);
  });

  it('a checksummed payload that is not a record decodes to null, not a throw', () => {
    const bogus = { ...record, args: [] };
    const text = JSON.stringify({ not: 'a record' });
    const frame = encodeFrame(1, bogus.kind, text, Buffer.byteLength(text));
    expect(decodeFrame(frame, 0, checkFrame(frame, 0)!)).toBeNull();
  });

  it('ack entries are seq + CRC; torn and damaged ones are skipped and counted', () => {
    const buf = Buffer.alloc(ACK_ENTRY * 3 + 5);
    encodeAck(1, buf, 0);
    encodeAck(2 ** 33, buf, ACK_ENTRY);
    encodeAck(3, buf, ACK_ENTRY * 2);
    buf[ACK_ENTRY + 2] = buf[ACK_ENTRY + 2]! ^ 1;
    const seen: number[] = [];
    expect(decodeAcks(buf, (seq) => seen.push(seq))).toBe(1);
    expect(seen).toEqual([1, 3]);
  });
});
