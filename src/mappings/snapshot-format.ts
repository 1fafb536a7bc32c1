/**
 * The mapping snapshot file, format version 2. UTF-8 text, one JSON value per line, each
 * line ended by "\n":
 *
 *   line 1        header   {"format":"uid-listener/mappings","version":2,"writtenAt":<epoch ms>,"startsSentTo":[<group>…]}
 *   lines 2..n+1  entries  [ip, user, sender, profile, id, firstSeen, lastSeen, expiresAt, timeoutMs]
 *   line n+2      trailer  {"end":true,"entries":<n>,"sha256":"<hex>"}
 *
 * - An entry is one Mapping as a positional array (about a third smaller and faster to
 *   parse than an object per line); times are epoch milliseconds. `timeoutMs` is the
 *   mapping's own timeout (0 = until logout, and then `expiresAt` is null: JSON has no
 *   infinity).
 * - Version 1 (written before timeouts per mapping) is still read: its entries have the
 *   first eight fields only, and come back without `timeoutMs` (the table gives them its
 *   default timeout).
 * - `startsSentTo` names the accounting groups that were sent the START of every mapping
 *   in the file (the writer ran in start-stop mode with those groups; `[]` when accounting
 *   was off or stop-only). Absent in files written before it existed: readers then take
 *   every group as started (docs/accounting.md "Restart"). Readers ignore header keys they
 *   do not know, so adding one needs no new version.
 * - `sha256` is the digest of every byte before the trailer line (header and entries with
 *   their line ends), so truncation and flipped bits are caught even where the damaged
 *   text still parses.
 * - A reader refuses the whole file (it is then moved aside, never half-restored) when:
 *   the header is not this format, the version is not one it knows, an entry is not nine
 *   (version 1: eight) fields of the right types (ip in canonical form, id non-empty,
 *   numeric times with firstSeen <= lastSeen <= expiresAt, timeoutMs a whole number of ms
 *   with expiresAt null exactly when it is 0), the trailer is missing or not last, or its count
 *   or digest does not match.
 * - A different layout gets a new version number; readers refuse versions they do not know.
 *   Version 3 (snapshot-binary.ts) keeps this header line and stores the entries in binary;
 *   it is what the listener writes now, and versions 1 and 2 are still read.
 */
import { createHash, type Hash } from 'node:crypto';
import { normaliseAddress } from '../identify/address.js';
import type { Mapping } from './table.js';

export const SNAPSHOT_FORMAT = 'uid-listener/mappings';
export const SNAPSHOT_VERSION = 2;
/** Versions this decoder reads: 1 lacks `timeoutMs`. (Version 3 is binary: snapshot-binary.ts.) */
export const TEXT_VERSIONS: readonly number[] = [1, 2];

/** A mapping as a snapshot gives it back: without `timeoutMs` when written by version 1. */
export type SavedMapping = Omit<Mapping, 'timeoutMs'> & { readonly timeoutMs?: number };

/** Why a snapshot was refused, with the line where it went wrong (0: the file as a whole). */
export class SnapshotFormatError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'SnapshotFormatError';
    this.line = line;
  }
}

export function encodeHeader(writtenAt: number, startsSentTo?: readonly string[], version = SNAPSHOT_VERSION): string {
  return `${JSON.stringify({ format: SNAPSHOT_FORMAT, version, writtenAt, startsSentTo })}\n`;
}

/** The header line's version and startsSentTo; throws unless it is this format in one of `versions`. */
export function decodeHeader(line: string, versions: readonly number[]): { version: number; startsSentTo: readonly string[] | undefined } {
  const header = parse(line, 1) as { format?: unknown; version?: unknown; startsSentTo?: unknown } | null;
  if (header === null || typeof header !== 'object' || header.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotFormatError(1, `not a ${SNAPSHOT_FORMAT} snapshot`);
  }
  if (!versions.includes(header.version as number)) {
    throw new SnapshotFormatError(1, `format version ${String(header.version)} is not supported (this build reads ${versions.join(', ')})`);
  }
  const groups = header.startsSentTo;
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string'))) {
    throw new SnapshotFormatError(1, 'startsSentTo must be a list of group names');
  }
  return { version: header.version as number, startsSentTo: groups as readonly string[] | undefined };
}

export function encodeEntry(m: Mapping): string {
  const expiresAt = m.timeoutMs === 0 ? null : m.expiresAt;
  return `${JSON.stringify([m.ip, m.user, m.sender, m.profile, m.id, m.firstSeen, m.lastSeen, expiresAt, m.timeoutMs])}\n`;
}

export function encodeTrailer(entries: number, sha256: string): string {
  return `${JSON.stringify({ end: true, entries, sha256 })}\n`;
}

const TRAILER_START = '{"end":';

/**
 * Reads a snapshot fed in pieces that end on line boundaries (a reader splits its stream
 * at the last "\n" and carries the rest over). `finish()` returns the mappings or throws.
 */
export class SnapshotDecoder {
  readonly #hash: Hash = createHash('sha256');
  readonly #mappings: SavedMapping[] = [];
  #line = 0;
  #version = SNAPSHOT_VERSION;
  #trailer: { entries: unknown; sha256: unknown } | undefined;
  #startsSentTo: readonly string[] | undefined;

  /** The header's `startsSentTo` (undefined: a file from before it was written). */
  get startsSentTo(): readonly string[] | undefined {
    return this.#startsSentTo;
  }

  /** `text` is one or more whole lines, each ended by "\n". */
  feed(text: string): void {
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      if (end === -1) throw new SnapshotFormatError(this.#line + 1, 'line not ended by a newline');
      this.#line++;
      if (this.#trailer !== undefined) throw new SnapshotFormatError(this.#line, 'text after the trailer');
      const line = text.slice(start, end);
      if (this.#line === 1) this.#header(line);
      else if (line.startsWith(TRAILER_START)) {
        this.#trailer = parse(line, this.#line) as { entries: unknown; sha256: unknown };
        this.#hash.update(text.slice(0, start));
        const rest = text.slice(end + 1);
        if (rest.length > 0) throw new SnapshotFormatError(this.#line + 1, 'text after the trailer');
        return;
      } else this.#mappings.push(decodeEntry(line, this.#line, this.#version));
      start = end + 1;
    }
    this.#hash.update(text);
  }

  finish(): SavedMapping[] {
    if (this.#line === 0) throw new SnapshotFormatError(0, 'empty file');
    const trailer = this.#trailer;
    if (trailer === undefined) throw new SnapshotFormatError(0, 'no trailer line: the file is truncated');
    if (trailer.entries !== this.#mappings.length) {
      throw new SnapshotFormatError(this.#line, `trailer counts ${String(trailer.entries)} entries, the file has ${this.#mappings.length}`);
    }
    if (trailer.sha256 !== this.#hash.digest('hex')) throw new SnapshotFormatError(this.#line, 'sha256 does not match the content');
    return this.#mappings;
  }

  #header(line: string): void {
    ({ version: this.#version, startsSentTo: this.#startsSentTo } = decodeHeader(line, TEXT_VERSIONS));
  }
}

function parse(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SnapshotFormatError(line, 'not valid JSON');
  }
}

function decodeEntry(text: string, line: number, version: number): SavedMapping {
  const fields = parse(text, line);
  const count = version === 1 ? 8 : 9;
  if (!Array.isArray(fields) || fields.length !== count) throw new SnapshotFormatError(line, `an entry must be an array of ${count} fields`);
  const [ip, user, sender, profile, id, firstSeen, lastSeen, savedExpiry, timeoutMs] = fields as unknown[];
  if (typeof ip !== 'string' || normaliseAddress(ip) !== ip) throw new SnapshotFormatError(line, 'ip is not a canonical host address');
  if (typeof user !== 'string' || typeof sender !== 'string' || typeof profile !== 'string') {
    throw new SnapshotFormatError(line, 'user, sender and profile must be strings');
  }
  if (typeof id !== 'string' || id.length === 0) throw new SnapshotFormatError(line, 'id must be a non-empty string');
  if (version !== 1 && !(Number.isSafeInteger(timeoutMs) && (timeoutMs as number) >= 0)) {
    throw new SnapshotFormatError(line, 'timeoutMs must be a whole number of milliseconds, 0 or more');
  }
  const forever = timeoutMs === 0;
  if (forever ? savedExpiry !== null : !Number.isFinite(savedExpiry)) {
    throw new SnapshotFormatError(line, 'expiresAt must be epoch milliseconds, or null exactly when timeoutMs is 0');
  }
  const expiresAt = forever ? Number.POSITIVE_INFINITY : savedExpiry as number;
  if (!Number.isFinite(firstSeen) || !Number.isFinite(lastSeen)) throw new SnapshotFormatError(line, 'times must be epoch milliseconds');
  if (!((firstSeen as number) <= (lastSeen as number) && (lastSeen as number) <= expiresAt)) {
    throw new SnapshotFormatError(line, 'times must satisfy firstSeen <= lastSeen <= expiresAt');
  }
  // One literal with the fields in the table's own order: the restored mappings share the
  // hidden class of the ones the table makes (a spread copy made restore four times slower).
  return version === 1
    ? { id, ip, user, sender, profile, firstSeen: firstSeen as number, lastSeen: lastSeen as number, expiresAt }
    : { id, ip, user, sender, profile, firstSeen: firstSeen as number, lastSeen: lastSeen as number, expiresAt, timeoutMs: timeoutMs as number };
}
