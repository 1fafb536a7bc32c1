import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeAccountingReply,
  encodeAccountingRequest,
  replyStatusError,
} from '../../src/accounting/codec.js';
import type { AccountingRecord } from '../../src/accounting/record.js';
import { UidError } from '../../src/errors.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

const record: AccountingRecord = {
  kind: 'start',
  user: 'ACME\\jdoe',
  port: 'esm',
  remAddr: '10.1.2.3',
  args: ['task_id=42', 'service=user-id'],
  orderKey: '42',
};

/** RFC 8907 §4.5 pad, computed here from the RFC's formula, independently of src/. */
function rfcPad(sessionId: number, key: string, version: number, seqNo: number, length: number): Buffer {
  const session = Buffer.alloc(4);
  session.writeUInt32BE(sessionId);
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  while (blocks.length * 16 < length) {
    previous = createHash('md5').update(Buffer.concat([session, Buffer.from(key), Buffer.from([version, seqNo]), previous])).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  return Buffer.from(a.map((byte, i) => byte ^ b[i]!));
}

// The request above laid out by hand from RFC 8907 §4.1 and §7.1.
const REQUEST_BODY = hex(`
  02 00 00 00 00   ${/* flags START, authen_method NOT_SET, priv_lvl MIN, authen_type NOT_SET, authen_service NONE */ ''}
  09 03 08         ${/* user_len 9, port_len 3, rem_addr_len 8 */ ''}
  02 0a 0f         ${/* arg_cnt 2, arg 1 len 10, arg 2 len 15 */ ''}
  ${ascii('ACME\\jdoe')} ${ascii('esm')} ${ascii('10.1.2.3')} ${ascii('task_id=42')} ${ascii('service=user-id')}
`);

describe('accounting REQUEST (RFC 8907 §4.1, §7.1)', () => {
  it('lays out header and body as the RFC does (TLS: UNENCRYPTED and SINGLE_CONNECT flags, no obfuscation)', () => {
    const packet = encodeAccountingRequest(record, 0x01020304, true, null);
    // version 0xc0, type 0x03 accounting, seq_no 1, flags 0x01|0x04, session_id, length 56
    const header = hex('c0 03 01 05  01 02 03 04  00 00 00 38');
    expect(REQUEST_BODY.length).toBe(56);
    expect(packet.toString('hex')).toBe(Buffer.concat([header, REQUEST_BODY]).toString('hex'));
  });

  it('sets no header flag for an obfuscated request without single-connect', () => {
    const packet = encodeAccountingRequest(record, 7, false, Buffer.from('k'));
    expect(packet[3]).toBe(0x00);
    expect(packet.readUInt32BE(4)).toBe(7);
  });

  it('obfuscates the body with the §4.5 MD5 pseudo-pad', () => {
    const key = 'tacacs-test-key';
    const sessionId = 0xdeadbeef;
    const packet = encodeAccountingRequest(record, sessionId, false, Buffer.from(key));
    const expectedBody = xor(REQUEST_BODY, rfcPad(sessionId, key, 0xc0, 1, REQUEST_BODY.length));
    expect(packet.subarray(0, 12).toString('hex')).toBe('c0030100deadbeef00000038');
    expect(packet.subarray(12).toString('hex')).toBe(expectedBody.toString('hex'));
  });

  it.each([
    ['start', 0x02],
    ['stop', 0x04],
    ['watchdog', 0x08],
    ['watchdog-update', 0x0a],
  ] as const)('sends %s with flags %i', (kind, flags) => {
    expect(encodeAccountingRequest({ ...record, kind }, 1, false, null)[12]).toBe(flags);
  });

  it('encodes empty fields as zero lengths', () => {
    const packet = encodeAccountingRequest({ ...record, user: '', port: '', remAddr: '', args: [] }, 1, false, null);
    expect(packet.subarray(12).toString('hex')).toBe('020000000000000000');
  });

  it('accepts 255 octets and refuses 256 in any field or argument, counting octets not characters', () => {
    const at255 = 'x'.repeat(255);
    expect(() => encodeAccountingRequest({ ...record, user: at255, args: [at255] }, 1, false, null)).not.toThrow();
    const refused: Array<[Partial<AccountingRecord>, RegExp]> = [
      [{ user: 'x'.repeat(256) }, /user is 256 octets/],
      [{ port: 'x'.repeat(300) }, /port is 300 octets/],
      [{ remAddr: 'x'.repeat(256) }, /rem_addr is 256 octets/],
      [{ args: ['task_id=1', `reason=${'x'.repeat(250)}`] }, /argument 2 \(reason\) is 257 octets/],
      [{ user: 'é'.repeat(128) }, /user is 256 octets/],
      [{ args: Array.from({ length: 256 }, () => 'a=b') }, /256 arguments/],
    ];
    for (const [change, message] of refused) {
      let thrown: unknown;
      try {
        encodeAccountingRequest({ ...record, ...change }, 1, false, null);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UidError);
      expect((thrown as UidError).code).toBe('UID_ERR_TACACS_FIELD');
      expect((thrown as UidError).message).toMatch(message);
    }
  });
});

// REPLY laid out by hand from RFC 8907 §4.1 and §7.2, sent over TLS (flag 0x01).
function tlsReply(header: string, body: string): Buffer {
  return hex(header + body);
}
const OK_REPLY = tlsReply('c0 03 02 01  01 02 03 04  00 00 00 05', '00 00  00 00  01');

function decodeError(packet: Buffer, sessionId: number, key: Buffer | null): UidError {
  try {
    decodeAccountingReply(packet, sessionId, key);
  } catch (error) {
    return error as UidError;
  }
  throw new Error('expected the reply to be refused');
}

describe('accounting REPLY (RFC 8907 §7.2)', () => {
  it('decodes SUCCESS', () => {
    const reply = decodeAccountingReply(OK_REPLY, 0x01020304, null);
    expect(reply).toEqual({ status: 0x01, serverMsg: '', data: '' });
    expect(replyStatusError(reply)).toBeNull();
  });

  it('decodes ERROR and FOLLOW into UID_ERR_TACACS_STATUS with the server message', () => {
    const error = decodeAccountingReply(
      tlsReply('c0 03 02 01  01 02 03 04  00 00 00 0a', `00 03  00 02  02 ${ascii('db!')} ${ascii('\x01z')}`), 0x01020304, null);
    expect(error).toEqual({ status: 0x02, serverMsg: 'db!', data: '?z' });
    expect(replyStatusError(error)?.code).toBe('UID_ERR_TACACS_STATUS');
    expect(replyStatusError(error)?.message).toContain('ERROR: "db!"');
    const follow = decodeAccountingReply(tlsReply('c0 03 02 01  01 02 03 04  00 00 00 05', '00 00  00 00  21'), 0x01020304, null);
    expect(replyStatusError(follow)?.message).toContain('FOLLOW');
  });

  it('de-obfuscates a reply made with the same key', () => {
    const key = 'shared';
    const body = hex('00 00  00 00  01');
    const packet = Buffer.concat([hex('c0 03 02 00  0a 0b 0c 0d  00 00 00 05'), xor(body, rfcPad(0x0a0b0c0d, key, 0xc0, 2, 5))]);
    expect(decodeAccountingReply(packet, 0x0a0b0c0d, Buffer.from(key)).status).toBe(0x01);
  });

  it('refuses replies that do not belong to the request', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [tlsReply('c1 03 02 01  01 02 03 04  00 00 00 05', '00 00 00 00 01'), /version 0xc1/],
      [tlsReply('c0 01 02 01  01 02 03 04  00 00 00 05', '00 00 00 00 01'), /packet type 1/],
      [tlsReply('c0 03 04 01  01 02 03 04  00 00 00 05', '00 00 00 00 01'), /seq_no 4/],
      [tlsReply('c0 03 02 01  01 02 03 05  00 00 00 05', '00 00 00 00 01'), /session_id 16909061 does not match/],
      [tlsReply('c0 03 02 01  01 02 03 04  00 00 00 06', '00 00 00 00 01'), /header length 6 but 5/],
      [tlsReply('c0 03 02 01  01 02 03 04  00 00 00 06', '00 01 00 00 01 41 42'), /header length 6 but 7/],
      [tlsReply('c0 03 02 01  01 02 03 04  00 00 00 06', '00 02 00 00 01 41'), /do not add up/],
      [tlsReply('c0 03 02 01  01 02 03 04  00 00 00 05', '00 00 00 00 07'), /unknown status 0x7/],
      [tlsReply('c0 03 02 00  01 02 03 04  00 00 00 05', '00 00 00 00 01'), /TLS reply without TAC_PLUS_UNENCRYPTED_FLAG/],
    ];
    for (const [packet, message] of cases) {
      const error = decodeError(packet, 0x01020304, null);
      expect(error.code).toBe('UID_ERR_TACACS_DECODE');
      expect(error.message).toMatch(message);
    }
    const unobfuscated = decodeError(OK_REPLY, 0x01020304, Buffer.from('key'));
    expect(unobfuscated.message).toMatch(/unobfuscated reply refused/);
  });

  it('reports a wrong shared secret as "shared secret mismatch?"', () => {
    const body = hex('00 00  00 00  01');
    const packet = Buffer.concat([hex('c0 03 02 00  0a 0b 0c 0d  00 00 00 05'), xor(body, rfcPad(0x0a0b0c0d, 'server-key', 0xc0, 2, 5))]);
    const error = decodeError(packet, 0x0a0b0c0d, Buffer.from('our-key'));
    expect(error.code).toBe('UID_ERR_TACACS_DECODE');
    expect(error.message).toMatch(/^reply did not decode: shared secret mismatch\?/);
  });
});
