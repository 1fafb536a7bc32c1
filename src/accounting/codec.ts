/**
 * RFC 8907 accounting packets: the 12-octet header (§4.1), the accounting REQUEST body
 * (§7.1) and the accounting REPLY body (§7.2). Bodies are obfuscated with the shared
 * secret (§4.5) or, over TLS (RFC 9887 §4), sent in the clear with
 * TAC_PLUS_UNENCRYPTED_FLAG set. Every length on the wire is one octet for request fields
 * and arguments, so anything longer than 255 octets is refused here, never cut.
 */
import { UidError } from '../errors.js';
import { applyPseudoPad } from './obfuscation.js';
import type { AccountingRecord, RecordKind } from './record.js';

export const HEADER_LENGTH = 12;
/** §4.1 major_version 0xc, minor_version 0: §5.4.1 "all authorization and accounting ... use minor_version 0". */
export const TAC_PLUS_VERSION = 0xc0;
export const TAC_PLUS_ACCT = 0x03;
/** §4.1 header flags. */
export const TAC_PLUS_UNENCRYPTED_FLAG = 0x01;
export const TAC_PLUS_SINGLE_CONNECT_FLAG = 0x04;

/** §7.1 flags: the only valid combinations are START, STOP, WATCHDOG and WATCHDOG|START (with update). */
export const ACCT_FLAGS: Readonly<Record<RecordKind, number>> = {
  start: 0x02,
  stop: 0x04,
  watchdog: 0x08,
  'watchdog-update': 0x0a,
};

/** §7.2 status values. FOLLOW is deprecated (§1) and handled as ERROR. */
export const ACCT_STATUS_SUCCESS = 0x01;
export const ACCT_STATUS_ERROR = 0x02;
export const ACCT_STATUS_FOLLOW = 0x21;

/**
 * The fixed fields of every request (§6.1, which §7.1 refers to). The listener reports
 * logins that other systems performed by means it cannot know, so it claims nothing:
 * authen_method TAC_PLUS_AUTHEN_METH_NOT_SET (0x00) rather than _TACACSPLUS (0x06, which
 * would say TACACS+ authenticated the user); authen_type TAC_PLUS_AUTHEN_TYPE_NOT_SET
 * (0x00), which §6.1 prescribes "if this information is not available"; authen_service
 * TAC_PLUS_AUTHEN_SVC_NONE (0x00), "no authentication was performed by the device" (§5.1);
 * priv_lvl TAC_PLUS_PRIV_LVL_MIN (0x00, §9): the user holds no privilege on the listener.
 */
export const AUTHEN_METHOD_NOT_SET = 0x00;
export const PRIV_LVL_MIN = 0x00;
export const AUTHEN_TYPE_NOT_SET = 0x00;
export const AUTHEN_SVC_NONE = 0x00;

/** §4.1: "Implementations MUST allow control over maximum packet sizes"; 2^16 is the recommendation. */
export const MAX_BODY_LENGTH = 65536;
const FIELD_MAX = 255;
/** flags, authen_method, priv_lvl, authen_type, authen_service, user/port/rem_addr lengths, arg_cnt. */
const REQUEST_FIXED_LENGTH = 9;
/** server_msg_len (2), data_len (2), status (1). */
const REPLY_FIXED_LENGTH = 5;

export interface AccountingReply {
  readonly status: number;
  /** Printable text only, at most 200 characters (the server's words, shown to operators). */
  readonly serverMsg: string;
  readonly data: string;
}

function tooLong(what: string, length: number): UidError {
  return new UidError('UID_ERR_TACACS_FIELD',
    `${what} is ${length} octets; RFC 8907 §7.1 allows at most ${FIELD_MAX} (the record is refused, not cut)`);
}

function fieldLength(value: string, what: string): number {
  const length = Buffer.byteLength(value, 'utf8');
  if (length > FIELD_MAX) throw tooLong(what, length);
  return length;
}

/** "argument 3 (reason)": the attribute name only, never the value. */
function argumentName(arg: string, i: number): string {
  const end = arg.search(/[=*]/);
  return `argument ${i + 1} (${(end < 0 ? arg : arg.slice(0, end)).slice(0, 40)})`;
}

/**
 * Encodes `record` as one accounting REQUEST packet (seq_no 1, a new session). With a
 * `key` the body is obfuscated; with `key === null` (TLS) TAC_PLUS_UNENCRYPTED_FLAG is set.
 * Throws UID_ERR_TACACS_FIELD when a field or argument exceeds 255 octets or there are
 * more than 255 arguments.
 */
export function encodeAccountingRequest(
  record: AccountingRecord,
  sessionId: number,
  singleConnect: boolean,
  key: Buffer | null,
): Buffer {
  const { args } = record;
  if (args.length > FIELD_MAX) {
    throw new UidError('UID_ERR_TACACS_FIELD', `${args.length} arguments; RFC 8907 §7.1 allows at most ${FIELD_MAX}`);
  }
  const userLength = fieldLength(record.user, 'user');
  const portLength = fieldLength(record.port, 'port');
  const remAddrLength = fieldLength(record.remAddr, 'rem_addr');
  let bodyLength = REQUEST_FIXED_LENGTH + args.length + userLength + portLength + remAddrLength;
  for (let i = 0; i < args.length; i++) {
    const length = Buffer.byteLength(args[i]!, 'utf8');
    if (length > FIELD_MAX) throw tooLong(argumentName(args[i]!, i), length);
    bodyLength += length;
  }

  const packet = Buffer.allocUnsafe(HEADER_LENGTH + bodyLength);
  packet[0] = TAC_PLUS_VERSION;
  packet[1] = TAC_PLUS_ACCT;
  packet[2] = 1; // §4.1: the first packet of a session has seq_no 1
  packet[3] = (key === null ? TAC_PLUS_UNENCRYPTED_FLAG : 0) | (singleConnect ? TAC_PLUS_SINGLE_CONNECT_FLAG : 0);
  packet.writeUInt32BE(sessionId >>> 0, 4);
  packet.writeUInt32BE(bodyLength, 8);

  let at = HEADER_LENGTH;
  packet[at++] = ACCT_FLAGS[record.kind];
  packet[at++] = AUTHEN_METHOD_NOT_SET;
  packet[at++] = PRIV_LVL_MIN;
  packet[at++] = AUTHEN_TYPE_NOT_SET;
  packet[at++] = AUTHEN_SVC_NONE;
  packet[at++] = userLength;
  packet[at++] = portLength;
  packet[at++] = remAddrLength;
  packet[at++] = args.length;
  const argLengthsAt = at;
  at += args.length;
  at += packet.write(record.user, at, 'utf8');
  at += packet.write(record.port, at, 'utf8');
  at += packet.write(record.remAddr, at, 'utf8');
  for (let i = 0; i < args.length; i++) {
    const written = packet.write(args[i]!, at, 'utf8');
    packet[argLengthsAt + i] = written;
    at += written;
  }

  if (key !== null) applyPseudoPad(packet, key);
  return packet;
}

function undecodable(detail: string): UidError {
  return new UidError('UID_ERR_TACACS_DECODE', `reply did not decode: ${detail}`);
}

/** Server text for logs: printable US-ASCII only (§3.7), bounded. */
function printable(bytes: Buffer): string {
  let text = '';
  const end = Math.min(bytes.length, 200);
  for (let i = 0; i < end; i++) {
    const c = bytes[i]!;
    text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return text;
}

/**
 * Checks and decodes a whole REPLY packet (header and body, as read from the stream) to
 * the request with `sessionId`, de-obfuscating the body in place when there is a `key`.
 * Throws UID_ERR_TACACS_DECODE when the header does not belong to that request or the
 * body lengths disagree after de-obfuscation (§4.5: the usual sign of a wrong secret).
 */
export function decodeAccountingReply(packet: Buffer, sessionId: number, key: Buffer | null): AccountingReply {
  if (packet.length < HEADER_LENGTH) throw undecodable(`${packet.length} octets is shorter than a header`);
  const version = packet[0]!;
  if (version !== TAC_PLUS_VERSION) throw undecodable(`version 0x${version.toString(16)}, expected 0xc0 (is this a TACACS+ server?)`);
  if (packet[1] !== TAC_PLUS_ACCT) throw undecodable(`packet type ${packet[1]!}, expected 3 (accounting)`);
  if (packet[2] !== 2) throw undecodable(`seq_no ${packet[2]!}, expected 2 (the request's 1 + 1)`);
  const replySession = packet.readUInt32BE(4);
  if (replySession !== sessionId >>> 0) throw undecodable(`session_id ${replySession} does not match the request's ${sessionId >>> 0}`);
  const length = packet.readUInt32BE(8);
  if (length !== packet.length - HEADER_LENGTH) throw undecodable(`header length ${length} but ${packet.length - HEADER_LENGTH} body octets`);
  const unencrypted = (packet[3]! & TAC_PLUS_UNENCRYPTED_FLAG) !== 0;
  if (key === null && !unencrypted) {
    throw undecodable('TLS reply without TAC_PLUS_UNENCRYPTED_FLAG (RFC 9887 §4 forbids obfuscation over TLS)');
  }
  if (key !== null && unencrypted) throw undecodable('unobfuscated reply refused (TAC_PLUS_UNENCRYPTED_FLAG set, RFC 8907 §4.5)');

  if (key !== null) applyPseudoPad(packet, key);
  if (length < REPLY_FIXED_LENGTH) throw undecodable(`shared secret mismatch? (body of ${length} octets is too short)`);
  const msgLength = packet.readUInt16BE(HEADER_LENGTH);
  const dataLength = packet.readUInt16BE(HEADER_LENGTH + 2);
  if (REPLY_FIXED_LENGTH + msgLength + dataLength !== length) {
    throw undecodable(`shared secret mismatch? (body lengths ${msgLength} + ${dataLength} + 5 do not add up to ${length})`);
  }
  const status = packet[HEADER_LENGTH + 4]!;
  if (status !== ACCT_STATUS_SUCCESS && status !== ACCT_STATUS_ERROR && status !== ACCT_STATUS_FOLLOW) {
    throw undecodable(`shared secret mismatch? (unknown status 0x${status.toString(16)})`);
  }
  const msgStart = HEADER_LENGTH + REPLY_FIXED_LENGTH;
  return {
    status,
    serverMsg: msgLength === 0 ? '' : printable(packet.subarray(msgStart, msgStart + msgLength)),
    data: dataLength === 0 ? '' : printable(packet.subarray(msgStart + msgLength, msgStart + msgLength + dataLength)),
  };
}

/** The error for a reply that is not SUCCESS (§7.2: ERROR; FOLLOW is handled as ERROR), else null. */
export function replyStatusError(reply: AccountingReply): UidError | null {
  if (reply.status === ACCT_STATUS_SUCCESS) return null;
  const said = reply.serverMsg !== '' ? `: "${reply.serverMsg}"` : '';
  const what = reply.status === ACCT_STATUS_FOLLOW ? 'FOLLOW (deprecated, handled as ERROR)' : 'ERROR';
  return new UidError('UID_ERR_TACACS_STATUS', `server answered ${what}${said}`);
}
