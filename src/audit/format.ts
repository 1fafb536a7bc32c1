/**
 * The audit trail's line format (docs/audit.md). Rules, checked by test/audit/format.test.ts:
 * - one JSON object per line, UTF-8, ended by LF; no line holds an LF (JSON escapes it);
 * - `time` is the first key, an ISO 8601 UTC instant of fixed width (24 characters), so a
 *   reader finds a line's time without parsing it; times never go backwards within the
 *   trail (a clock stepped back repeats the last time), so every file is in time order;
 * - `ip` is written exactly as the table keys it (normaliseAddress), so `"ip":"<address>"`
 *   appears verbatim in every line about that address and a reader can search bytes;
 * - `oldUser` is the user a `user-changed` line replaced, null on every other kind.
 * A line that does not parse (a crash cut it short) is skipped by readers, never fatal.
 */
import { isoTime } from '../http/present.js';
import type { Mapping, MappingChange } from '../mappings/table.js';

export type AuditReason = 'login' | 'replaced' | 'logout' | 'admin' | 'timeout' | 'capacity';

export interface AuditEntry {
  readonly time: string;
  readonly kind: MappingChange['kind'];
  readonly reason: AuditReason;
  readonly ip: string;
  readonly user: string;
  readonly oldUser: string | null;
  readonly sender: string;
  readonly profile: string;
  /** The mapping's id: the TACACS+ task_id of its accounting session. */
  readonly id: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** Byte offset of the time value in a line (`{"time":"` is 9 bytes) and its length. */
export const TIME_OFFSET = 9;
export const TIME_LENGTH = 24;

/** Why a change happened, in the vocabulary of the event stream and the accounting STOP reasons. */
export function changeReason(change: MappingChange): AuditReason {
  switch (change.kind) {
    case 'added':
    case 'refreshed':
      return 'login';
    case 'user-changed':
      return 'replaced';
    case 'removed':
      return change.reason;
    case 'expired':
      return 'timeout';
    case 'evicted':
      return 'capacity';
  }
}

/** Without a Date per call: a change costs three of these on the table's path. */
const iso = isoTime;

export function auditEntry(change: MappingChange, timeMs: number): AuditEntry {
  const m: Mapping = change.mapping;
  return {
    time: iso(timeMs),
    kind: change.kind,
    reason: changeReason(change),
    ip: m.ip,
    user: m.user,
    oldUser: change.kind === 'user-changed' ? change.previous.user : null,
    sender: m.sender,
    profile: m.profile,
    id: m.id,
    firstSeen: iso(m.firstSeen),
    lastSeen: iso(m.lastSeen),
  };
}

const text = JSON.stringify;

/**
 * One line, LF included. Key order is part of the format (`time` first). Written field by
 * field (each string through JSON.stringify), which is several times cheaper than
 * stringifying the object and gives the same bytes.
 */
export function formatAuditLine(e: AuditEntry): string {
  return `{"time":"${e.time}","kind":"${e.kind}","reason":"${e.reason}","ip":${text(e.ip)},"user":${text(e.user)},` +
    `"oldUser":${e.oldUser === null ? 'null' : text(e.oldUser)},"sender":${text(e.sender)},"profile":${text(e.profile)},` +
    `"id":${text(e.id)},"firstSeen":"${e.firstSeen}","lastSeen":"${e.lastSeen}"}\n`;
}

/** The entry on one line (without its LF), or undefined for a damaged line. */
export function parseAuditLine(line: string): AuditEntry | undefined {
  try {
    const value = JSON.parse(line) as Partial<AuditEntry> | null;
    return value && typeof value.time === 'string' && typeof value.ip === 'string' ? value as AuditEntry : undefined;
  } catch {
    return undefined;
  }
}

/** What a reader searches for: the bytes every line about `ip` contains. */
export function ipNeedle(ip: string): Buffer {
  return Buffer.from(`"ip":${JSON.stringify(ip)},`);
}
