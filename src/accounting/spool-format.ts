/**
 * Byte layout of the spool's files; the rules are stated at the top of spool.ts.
 *
 * Record frame (big-endian), in `seg-<first seq, 16 hex digits>.log`:
 *   0  2  magic 0x53 0x50 ("SP"), where a scan re-synchronises after damage
 *   2  1  format version, 1
 *   3  1  record kind, below 4, by the spool's codec: accounting 0 start, 1 stop, 2 watchdog,
 *         3 watchdog-update (the shared table's outage queue: 0 login, 1 logout)
 *   4  4  payload length L (at most MAX_PAYLOAD)
 *   8  8  sequence number (unsigned, below 2^53, increasing within a spool)
 *  16  4  CRC-32 (IEEE) of bytes 0..15 followed by the payload
 *  20  L  payload: UTF-8 JSON, by the codec; accounting [user, port, remAddr, orderKey, [args...]]
 *
 * Ack entry (big-endian), appended to `seg-<…>.acks`: 12 bytes per record that left the
 * spool (acked on SUCCESS, or dropped by the cap policy):
 *   0  8  sequence number    8  4  CRC-32 of bytes 0..7
 */
import type { AccountingRecord, RecordKind } from './record.js';
import { crc32 } from './crc32.js';

export const FRAME_HEADER = 20;
export const FRAME_VERSION = 1;
/** Far above any valid record (255 args of 255 octets); a larger length is damage. */
export const MAX_PAYLOAD = 256 * 1024;
export const ACK_ENTRY = 12;
const MAGIC_0 = 0x53;
const MAGIC_1 = 0x50;
const MAGIC = Buffer.from([MAGIC_0, MAGIC_1]);
const TWO_32 = 2 ** 32;

export const KIND_CODES: Readonly<Record<RecordKind, number>> = { start: 0, stop: 1, watchdog: 2, 'watchdog-update': 3 };
const KINDS: readonly RecordKind[] = ['start', 'stop', 'watchdog', 'watchdog-update'];
/** Kind bytes are below this in every spool (a larger one is damage). */
const FRAME_KINDS = 4;

/**
 * What one spool holds and how it is framed: the kind byte (below 4; 2 and 3 are the
 * WATCHDOGs the cap policy drops first) and the JSON payload. The accounting spool holds
 * AccountingRecords; the shared table's outage queue (mappings/redis/outage-journal.ts)
 * holds identity events in the same files, with the same rules.
 */
export interface SpoolCodec<T> {
  kind(item: T): number;
  text(item: T): string;
  /** The item a checked frame holds, or null when its payload is not one (written by a bug). */
  decode(kind: number, payload: unknown): T | null;
}

export function isWatchdogCode(kind: number): boolean {
  return kind === KIND_CODES.watchdog || kind === KIND_CODES['watchdog-update'];
}

/** A record's payload text; measured (Buffer.byteLength) for the cap check before framing. */
export function payloadText(record: AccountingRecord): string {
  return JSON.stringify([record.user, record.port, record.remAddr, record.orderKey, record.args]);
}

/** One allocation per record: the payload text is written straight into the frame. `kind`: a record's, or a codec's byte. */
export function encodeFrame(seq: number, kind: RecordKind | number, payload: string, payloadBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payloadBytes);
  frame[0] = MAGIC_0;
  frame[1] = MAGIC_1;
  frame[2] = FRAME_VERSION;
  frame[3] = typeof kind === 'number' ? kind : KIND_CODES[kind];
  frame.writeUInt32BE(payloadBytes, 4);
  frame.writeUInt32BE(Math.floor(seq / TWO_32), 8);
  frame.writeUInt32BE(seq >>> 0, 12);
  frame.write(payload, FRAME_HEADER, 'utf8');
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_HEADER), crc32(frame.subarray(0, 16))), 16);
  return frame;
}

export interface FrameInfo {
  readonly seq: number;
  readonly kind: number;
  readonly size: number;
}

/** The frame at `offset` if it is whole and its checksum holds, else null. */
export function checkFrame(buf: Buffer, offset: number): FrameInfo | null {
  if (offset + FRAME_HEADER > buf.length) return null;
  if (buf[offset] !== MAGIC_0 || buf[offset + 1] !== MAGIC_1 || buf[offset + 2] !== FRAME_VERSION) return null;
  const kind = buf[offset + 3]!;
  const length = buf.readUInt32BE(offset + 4);
  if (kind >= FRAME_KINDS || length > MAX_PAYLOAD || offset + FRAME_HEADER + length > buf.length) return null;
  const header = buf.subarray(offset, offset + 16);
  const payload = buf.subarray(offset + FRAME_HEADER, offset + FRAME_HEADER + length);
  if (crc32(payload, crc32(header)) !== buf.readUInt32BE(offset + 16)) return null;
  const seq = buf.readUInt32BE(offset + 8) * TWO_32 + buf.readUInt32BE(offset + 12);
  return { seq, kind, size: FRAME_HEADER + length };
}

/** Where the next intact frame starts after damage at `from`, or -1. */
export function resync(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(MAGIC, from); at !== -1; at = buf.indexOf(MAGIC, at + 1)) {
    if (checkFrame(buf, at)) return at;
  }
  return -1;
}

/** The accounting spool's codec. */
export const ACCOUNTING_RECORDS: SpoolCodec<AccountingRecord> = {
  kind: (record) => KIND_CODES[record.kind],
  text: payloadText,
  decode(kind, value) {
    if (kind >= KINDS.length || !Array.isArray(value) || value.length !== 5) return null;
    const [user, port, remAddr, orderKey, args] = value as unknown[];
    if (typeof user !== 'string' || typeof port !== 'string' || typeof remAddr !== 'string' || typeof orderKey !== 'string') return null;
    if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) return null;
    return { kind: KINDS[kind]!, user, port, remAddr, orderKey, args: args as string[] };
  },
};

/** The item in a checked frame, or null when its payload is not one of `codec`'s (written by a bug). */
export function decodeFrameWith<T>(codec: SpoolCodec<T>, buf: Buffer, offset: number, info: FrameInfo): T | null {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8', offset + FRAME_HEADER, offset + info.size));
  } catch {
    return null;
  }
  return codec.decode(info.kind, value);
}

/** The accounting record in a checked frame, or null. */
export function decodeFrame(buf: Buffer, offset: number, info: FrameInfo): AccountingRecord | null {
  return decodeFrameWith(ACCOUNTING_RECORDS, buf, offset, info);
}

export function encodeAck(seq: number, into: Buffer, offset: number): void {
  into.writeUInt32BE(Math.floor(seq / TWO_32), offset);
  into.writeUInt32BE(seq >>> 0, offset + 4);
  into.writeUInt32BE(crc32(into.subarray(offset, offset + 8)), offset + 8);
}

/**
 * Calls `onSeq` for each intact entry of an ack file; returns how many were damaged. A torn
 * last entry (a crash mid-write) is ignored: its record is sent again, never lost.
 */
export function decodeAcks(buf: Buffer, onSeq: (seq: number) => void): number {
  let bad = 0;
  for (let at = 0; at + ACK_ENTRY <= buf.length; at += ACK_ENTRY) {
    if (crc32(buf.subarray(at, at + 8)) !== buf.readUInt32BE(at + 8)) {
      bad++;
      continue;
    }
    onSeq(buf.readUInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4));
  }
  return bad;
}
