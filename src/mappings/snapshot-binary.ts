/**
 * The mapping snapshot file, format version 3: version 2's header line, then binary
 * records instead of JSON lines (JSON cost about 2.5 µs a mapping each way, more than the
 * 2 s / 3 s budget for two million: BENCHMARKS.md "Memory and scale").
 *
 *   line 1   header  {"format":"uid-listener/mappings","version":3,"writtenAt":<epoch ms>,"startsSentTo":[<group>…]}\n
 *   records  each starts with its kind byte; numbers little-endian:
 *     0x01 string  u16 byte length, UTF-8 bytes: defines string number 0, 1, … in order
 *                  (senders, profiles and id prefixes, each defined before its first use)
 *     0x02 entry   16 bytes: the address (IPv4 as ::ffff:a.b.c.d, network order);
 *                  f64 firstSeen, f64 lastSeen, f64 expiresAt (+Infinity exactly when
 *                  timeoutMs is 0), f64 timeoutMs; u16 sender, u16 profile (string numbers);
 *                  u16 id prefix (string number: then f64 n, the id being `${prefix}-${n in
 *                  base 36}`; or 0xFFFF: then u16 byte length and the id's UTF-8 bytes);
 *                  u16 user byte length, the user's UTF-8 bytes
 *     0x03 end     u32 entry count, then the 32-byte SHA-256 of every byte before this record;
 *                  the last record, nothing after it
 * - The rules of version 2 hold for the header (startsSentTo; unknown keys ignored) and for
 *   the entries' values (canonical usable address, non-empty id, firstSeen <= lastSeen <=
 *   expiresAt, timeoutMs a whole number of ms); a file that breaks any of them, is cut
 *   short or fails its count or digest is refused whole (moved aside, never half-restored).
 * - Versions 1 and 2 (JSON Lines, snapshot-format.ts) are still read.
 */
import { createHash } from 'node:crypto';
import type { SavedEntries } from './saved-entries.js';
import { formatAddressKey, usableAddressKey } from './shared-memory/address-key.js';
import { formatId } from './shared-memory/entry-ids.js';
import type { RawEntrySink, SharedMappingStore } from './shared-memory/mapping-store.js';
import { SnapshotFormatError } from './snapshot-format.js';
import type { Mapping } from './table.js';

export const BINARY_SNAPSHOT_VERSION = 3;

const STRING = 0x01;
const ENTRY = 0x02;
const END = 0x03;
const VERBATIM = 0xffff;
const END_BYTES = 1 + 4 + 32;
/** Bytes of an entry record besides its id and user text. */
const ENTRY_FIXED = 1 + 16 + 4 * 8 + 3 * 2 + 8 + 2;

/** Builds the records of one snapshot a chunk at a time (take() after each chunk of entries). */
export class BinarySnapshotEncoder implements RawEntrySink {
  readonly #strings = new Map<string, number>();
  #buffer = Buffer.allocUnsafe(1 << 20);
  #at = 0;
  #entries = 0;

  get entries(): number {
    return this.#entries;
  }

  entry(
    key: Int32Array, firstSeen: number, lastSeen: number, expiresAt: number, timeoutMs: number, sender: string, profile: string,
    idPrefix: string | undefined, idNumber: number, verbatimId: string | undefined, userBytes: Buffer, userStart: number, userLength: number,
  ): void {
    const senderNumber = this.#string(sender);
    const profileNumber = this.#string(profile);
    const prefixNumber = idPrefix === undefined ? VERBATIM : this.#string(idPrefix);
    const idBytes = verbatimId === undefined ? 8 : 2 + Buffer.byteLength(verbatimId);
    const b = this.#room(ENTRY_FIXED + idBytes + userLength);
    let at = this.#at;
    b[at++] = ENTRY;
    for (let w = 0; w < 4; w++) at = b.writeInt32BE(key[w]!, at);
    at = b.writeDoubleLE(firstSeen, at);
    at = b.writeDoubleLE(lastSeen, at);
    at = b.writeDoubleLE(expiresAt, at);
    at = b.writeDoubleLE(timeoutMs, at);
    at = b.writeUInt16LE(senderNumber, at);
    at = b.writeUInt16LE(profileNumber, at);
    at = b.writeUInt16LE(prefixNumber, at);
    if (verbatimId === undefined) {
      at = b.writeDoubleLE(idNumber, at);
    } else {
      at = b.writeUInt16LE(idBytes - 2, at);
      at += b.write(verbatimId, at, 'utf8');
    }
    at = b.writeUInt16LE(userLength, at);
    at += userBytes.copy(b, at, userStart, userStart + userLength);
    this.#at = at;
    this.#entries++;
  }

  /** The records since the last take(), in a buffer of their own. */
  take(): Buffer {
    const chunk = Buffer.from(this.#buffer.subarray(0, this.#at));
    this.#at = 0;
    return chunk;
  }

  /** The end record for a file whose bytes before it hash to `sha256`. */
  end(sha256: Buffer): Buffer {
    const b = Buffer.alloc(END_BYTES);
    b[0] = END;
    b.writeUInt32LE(this.#entries, 1);
    sha256.copy(b, 5);
    return b;
  }

  #string(text: string): number {
    const known = this.#strings.get(text);
    if (known !== undefined) return known;
    const number = this.#strings.size;
    const length = Buffer.byteLength(text);
    const b = this.#room(3 + length);
    b[this.#at] = STRING;
    b.writeUInt16LE(length, this.#at + 1);
    b.write(text, this.#at + 3, 'utf8');
    this.#at += 3 + length;
    this.#strings.set(text, number);
    return number;
  }

  #room(bytes: number): Buffer {
    if (this.#at + bytes > this.#buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(2 * this.#buffer.length, this.#at + bytes));
      this.#buffer.copy(larger, 0, 0, this.#at);
      this.#buffer = larger;
    }
    return this.#buffer;
  }
}

/** Reads the records after the header line (`file[bodyStart..]`), checking every rule; throws SnapshotFormatError. */
export function decodeBinarySnapshot(file: Buffer, bodyStart: number): SavedEntries {
  const endAt = file.length - END_BYTES;
  if (endAt < bodyStart || file[endAt] !== END) throw new SnapshotFormatError(0, 'no end record: the file is truncated');
  const digest = createHash('sha256').update(file.subarray(0, endAt)).digest();
  if (!digest.equals(file.subarray(endAt + 5))) throw new SnapshotFormatError(0, 'sha256 does not match the content');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength); // compiled loads, not a byte at a time
  const count = view.getUint32(endAt + 1, true);
  // Where each entry record starts, after its kind byte (the count is checked at the end:
  // a larger count than the records fit in would fail here first, never allocate more).
  if (count > (endAt - bodyStart) / ENTRY_FIXED) throw new SnapshotFormatError(0, `the end record counts ${count} entries, more than the file can hold`);
  const records = new Float64Array(count);
  const strings: string[] = [];
  let entries = 0;
  let at = bodyStart;
  const need = (bytes: number) => {
    if (at + bytes > endAt) throw new SnapshotFormatError(0, `record at byte ${at} runs past the end record`);
  };
  const string = (number: number, what: string) => {
    if (number >= strings.length) throw new SnapshotFormatError(0, `${what} names string ${number}, not defined before`);
  };
  while (at < endAt) {
    const kind = file[at++];
    if (kind === STRING) {
      need(2);
      const length = view.getUint16(at, true);
      need(2 + length);
      strings.push(file.toString('utf8', at + 2, at + 2 + length));
      at += 2 + length;
      continue;
    }
    if (kind !== ENTRY) throw new SnapshotFormatError(0, `unknown record kind ${String(kind)} at byte ${at - 1}`);
    need(ENTRY_FIXED - 1);
    if (entries === count) throw new SnapshotFormatError(0, `the end record counts ${count} entries, the file has more`);
    records[entries++] = at;
    if (!usableAddressKey(view.getInt32(at), view.getInt32(at + 4), view.getInt32(at + 8), view.getInt32(at + 12))) {
      throw new SnapshotFormatError(0, `${keyText(file, at)} is not a usable host address`);
    }
    const firstSeen = view.getFloat64(at + FIRST_AT, true);
    const lastSeen = view.getFloat64(at + LAST_AT, true);
    const expiresAt = view.getFloat64(at + EXPIRES_AT, true);
    const timeoutMs = view.getFloat64(at + TIMEOUT_AT, true);
    string(view.getUint16(at + SENDER_AT, true), 'sender');
    string(view.getUint16(at + SENDER_AT + 2, true), 'profile');
    const prefix = view.getUint16(at + PREFIX_AT, true);
    at += ID_AT;
    if (prefix === VERBATIM) {
      need(2);
      const length = view.getUint16(at, true);
      if (length === 0) throw new SnapshotFormatError(0, 'id must be a non-empty string');
      need(2 + length);
      at += 2 + length;
    } else {
      string(prefix, 'id prefix');
      need(8);
      const n = view.getFloat64(at, true);
      at += 8;
      if (!(Number.isSafeInteger(n) && n >= 0)) throw new SnapshotFormatError(0, 'an id number must be a whole number');
    }
    need(2);
    const userLength = view.getUint16(at, true);
    need(2 + userLength);
    at += 2 + userLength;
    if (!(Number.isSafeInteger(timeoutMs) && timeoutMs >= 0)) throw new SnapshotFormatError(0, 'timeoutMs must be a whole number of milliseconds, 0 or more');
    if ((timeoutMs === 0) !== (expiresAt === Number.POSITIVE_INFINITY) || Number.isNaN(expiresAt)) {
      throw new SnapshotFormatError(0, 'expiresAt must be epoch milliseconds, or +Infinity exactly when timeoutMs is 0');
    }
    if (!Number.isFinite(firstSeen) || !Number.isFinite(lastSeen) || !(firstSeen <= lastSeen && lastSeen <= expiresAt)) {
      throw new SnapshotFormatError(0, 'times must be epoch milliseconds with firstSeen <= lastSeen <= expiresAt');
    }
  }
  if (count !== entries) throw new SnapshotFormatError(0, `the end record counts ${count} entries, the file has ${entries}`);
  return new BinaryEntries(file, records, strings);
}

/** Offsets in an entry record, after its kind byte. */
const FIRST_AT = 16;
const LAST_AT = 24;
const EXPIRES_AT = 32;
const TIMEOUT_AT = 40;
const SENDER_AT = 48;
const PREFIX_AT = 52;
const ID_AT = 54;

function keyText(file: Buffer, at: number): string {
  return formatAddressKey(file.readInt32BE(at), file.readInt32BE(at + 4), file.readInt32BE(at + 8), file.readInt32BE(at + 12));
}

/** A checked file's entries, read from its bytes when asked. */
class BinaryEntries implements SavedEntries {
  readonly #file: Buffer;
  /** The same bytes for the numbers: DataView reads compile to plain loads, Buffer's read a byte at a time. */
  readonly #view: DataView;
  readonly #records: Float64Array;
  readonly #strings: readonly string[];
  readonly #key = new Int32Array(4);

  constructor(file: Buffer, records: Float64Array, strings: readonly string[]) {
    this.#file = file;
    this.#view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    this.#records = records;
    this.#strings = strings;
  }

  get count(): number {
    return this.#records.length;
  }

  lastSeen(i: number): number {
    return this.#view.getFloat64(this.#records[i]! + LAST_AT, true);
  }

  expiresAt(i: number): number {
    return this.#view.getFloat64(this.#records[i]! + EXPIRES_AT, true);
  }

  timeoutMs(i: number): number {
    return this.#view.getFloat64(this.#records[i]! + TIMEOUT_AT, true);
  }

  insertInto(store: SharedMappingStore, i: number, expiresAt: number, timeoutMs: number): number {
    const view = this.#view;
    const at = this.#records[i]!;
    const key = this.#key;
    for (let w = 0; w < 4; w++) key[w] = view.getInt32(at + 4 * w);
    const prefix = view.getUint16(at + PREFIX_AT, true);
    const idEnd = at + ID_AT + (prefix === VERBATIM ? 2 + view.getUint16(at + ID_AT, true) : 8);
    return store.insertSaved(
      key, view.getFloat64(at + FIRST_AT, true), view.getFloat64(at + LAST_AT, true), expiresAt, timeoutMs,
      this.#strings[view.getUint16(at + SENDER_AT, true)]!, this.#strings[view.getUint16(at + SENDER_AT + 2, true)]!,
      prefix === VERBATIM ? undefined : this.#strings[prefix]!, prefix === VERBATIM ? 0 : view.getFloat64(at + ID_AT, true),
      prefix === VERBATIM ? this.#file.toString('utf8', at + ID_AT + 2, idEnd) : undefined,
      this.#file, idEnd + 2, view.getUint16(idEnd, true),
    );
  }

  mapping(i: number): Mapping {
    const file = this.#file;
    const at = this.#records[i]!;
    const prefix = file.readUInt16LE(at + PREFIX_AT);
    const idEnd = at + ID_AT + (prefix === VERBATIM ? 2 + file.readUInt16LE(at + ID_AT) : 8);
    const id = prefix === VERBATIM ? file.toString('utf8', at + ID_AT + 2, idEnd) : formatId(this.#strings[prefix]!, file.readDoubleLE(at + ID_AT));
    return {
      id, ip: keyText(file, at), user: file.toString('utf8', idEnd + 2, idEnd + 2 + file.readUInt16LE(idEnd)),
      sender: this.#strings[file.readUInt16LE(at + SENDER_AT)]!, profile: this.#strings[file.readUInt16LE(at + SENDER_AT + 2)]!,
      firstSeen: file.readDoubleLE(at + FIRST_AT), lastSeen: file.readDoubleLE(at + LAST_AT),
      expiresAt: file.readDoubleLE(at + EXPIRES_AT), timeoutMs: file.readDoubleLE(at + TIMEOUT_AT),
    };
  }
}
