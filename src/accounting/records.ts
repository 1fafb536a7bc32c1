/**
 * Mapping-table changes → TACACS+ accounting records (DESIGN §3, RFC 8907 §7 and §8.3).
 * Pure: no I/O, no clock of its own; the caller passes `now`.
 *
 * One accounting session per mapping lifetime: task_id = `Mapping.id`, shared by the
 * mapping's START, WATCHDOGs and STOP, and the record's order key (a STOP never overtakes
 * its START). user = mapped user, port = sender name, rem_addr = IP (§7.1).
 * Times follow §8.3: start_time / stop_time in seconds since the epoch, elapsed_time in
 * seconds; `timezone` names the zone of the listener (informational: epoch seconds are
 * zone-free). §8.3 defines `event` and `reason` for service=system; we also put
 * event=login / event=logout on user-id sessions (DESIGN §3) so every `reason` accompanies
 * an `event`, as §8.3 asks.
 * START and WATCHDOG carry the mapping's own timeout as `timeout` (§8.2: "an absolute
 * timer for the connection (in minutes). A value of zero indicates no timeout"; §8.3 lets
 * accounting carry §8.2's arguments after its own), so a WATCHDOG after a refresh that
 * changed the timeout says so.
 */
import type { AccountingConfig } from '../config/schema.js';
import type { Mapping, MappingChange } from '../mappings/table.js';
import type { AccountingRecord, RecordKind } from './record.js';

export type AccountingMode = AccountingConfig['mode'];

/** Why a session ended: the `reason` of its STOP. */
export type StopReason = 'logout' | 'admin' | 'timeout' | 'replaced' | 'capacity';

export interface RecordPolicy {
  /** start-stop: START, WATCHDOGs, STOP; stop-only: only STOPs; none: nothing (IOS modes). */
  readonly mode: AccountingMode;
  /** Send a WATCHDOG with update when a refresh brings new information (IOS `update newinfo`). */
  readonly newinfo: boolean;
  /** No records for mappings without a user name (IOS `suppress null-username`). */
  readonly suppressNullUsername: boolean;
  readonly timezone: string;
}

/** The listener's own zone as an IANA name (unambiguous, unlike abbreviations such as CST). */
export function processTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function recordPolicy(config: Pick<AccountingConfig, 'mode' | 'update' | 'suppressNullUsername' | 'timezone'>): RecordPolicy {
  return {
    mode: config.mode,
    newinfo: config.update.newinfo,
    suppressNullUsername: config.suppressNullUsername,
    timezone: config.timezone ?? processTimezone(),
  };
}

const NONE: readonly AccountingRecord[] = Object.freeze([]);

/** The records one table change yields, in the order they must be sent. */
export function recordsForChange(change: MappingChange, policy: RecordPolicy, now: number): readonly AccountingRecord[] {
  if (policy.mode === 'none') return NONE;
  switch (change.kind) {
    case 'added':
      return one(startRecord(change.mapping, policy));
    case 'refreshed':
      return change.newinfo && policy.newinfo ? one(watchdogRecord(change.mapping, policy, now, 'watchdog-update')) : NONE;
    case 'removed':
      return one(stopRecord(change.mapping, policy, now, change.reason));
    case 'expired':
      // The session ended when its time ran out, not when the sweep noticed.
      return one(stopRecord(change.mapping, policy, Math.min(now, change.mapping.expiresAt), 'timeout'));
    case 'evicted':
      return one(stopRecord(change.mapping, policy, now, 'capacity'));
    case 'user-changed': {
      const stop = stopRecord(change.previous, policy, now, 'replaced');
      const start = startRecord(change.mapping, policy);
      if (stop && start) return [stop, start];
      return one(stop ?? start);
    }
  }
}

function one(record: AccountingRecord | null): readonly AccountingRecord[] {
  return record ? [record] : NONE;
}

function suppressed(mapping: Mapping, policy: RecordPolicy): boolean {
  return policy.mode === 'none' || (policy.suppressNullUsername && mapping.user.length === 0);
}

export function startRecord(mapping: Mapping, policy: RecordPolicy): AccountingRecord | null {
  if (policy.mode !== 'start-stop' || suppressed(mapping, policy)) return null;
  return sessionRecord('start', mapping, [
    `task_id=${mapping.id}`,
    `start_time=${seconds(mapping.firstSeen)}`,
    `timezone=${policy.timezone}`,
    'service=user-id',
    'event=login',
    `addr=${mapping.ip}`,
    timeoutArg(mapping),
  ]);
}

/**
 * An interim record: `watchdog` for the periodic update, `watchdog-update` when the
 * mapping changed (RFC 8907 §7.2: WATCHDOG 0x08, and 0x0A "watchdog, with update").
 */
export function watchdogRecord(
  mapping: Mapping,
  policy: RecordPolicy,
  now: number,
  kind: Extract<RecordKind, 'watchdog' | 'watchdog-update'> = 'watchdog',
): AccountingRecord | null {
  if (policy.mode !== 'start-stop' || suppressed(mapping, policy)) return null;
  return sessionRecord(kind, mapping, [
    `task_id=${mapping.id}`,
    `start_time=${seconds(mapping.firstSeen)}`,
    `timezone=${policy.timezone}`,
    'service=user-id',
    `addr=${mapping.ip}`,
    `elapsed_time=${elapsed(mapping.firstSeen, now)}`,
    timeoutArg(mapping),
  ]);
}

export function stopRecord(mapping: Mapping, policy: RecordPolicy, stoppedAt: number, reason: StopReason): AccountingRecord | null {
  if (suppressed(mapping, policy)) return null;
  return sessionRecord('stop', mapping, [
    `task_id=${mapping.id}`,
    `start_time=${seconds(mapping.firstSeen)}`,
    `stop_time=${seconds(stoppedAt)}`,
    `elapsed_time=${elapsed(mapping.firstSeen, stoppedAt)}`,
    `timezone=${policy.timezone}`,
    'service=user-id',
    'event=logout',
    `reason=${reason}`,
    `addr=${mapping.ip}`,
  ]);
}

function sessionRecord(kind: RecordKind, mapping: Mapping, args: readonly string[]): AccountingRecord {
  return { kind, user: mapping.user, port: mapping.sender, remAddr: mapping.ip, args, orderKey: mapping.id };
}

/** Order key of system records: the listener's start and stop leave in order. */
export const SYSTEM_ORDER_KEY = 'system';

/**
 * IOS `aaa accounting system`: a record when accounting starts and when it stops, one
 * accounting session per listener run (`taskId`). stop-only sends only the stop.
 * Exempt from suppressNullUsername: a system record never has a user.
 */
export function systemRecord(
  kind: 'start' | 'stop',
  taskId: string,
  startedAt: number,
  policy: RecordPolicy,
  now: number,
): AccountingRecord | null {
  if (policy.mode === 'none' || (kind === 'start' && policy.mode !== 'start-stop')) return null;
  const args = [`task_id=${taskId}`, `start_time=${seconds(startedAt)}`];
  if (kind === 'stop') args.push(`stop_time=${seconds(now)}`, `elapsed_time=${elapsed(startedAt, now)}`);
  args.push(`timezone=${policy.timezone}`, 'service=system', 'event=sys_acct', `reason=listener-${kind}`);
  return { kind, user: '', port: '', remAddr: '', args, orderKey: SYSTEM_ORDER_KEY };
}

/** RFC 8907 §7.1: user, port, rem_addr and each argument have one-octet lengths. */
export const MAX_FIELD_OCTETS = 255;
const MAX_ARGS = 255;

/**
 * The first field of a record that cannot go on the wire (over 255 octets, or over 255
 * arguments), or null. Such a record is refused before it reaches a spool: it could never
 * be sent, and a record that can never leave would hold back its session's later records.
 */
export function oversizeField(record: AccountingRecord): string | null {
  if (Buffer.byteLength(record.user) > MAX_FIELD_OCTETS) return 'user';
  if (Buffer.byteLength(record.port) > MAX_FIELD_OCTETS) return 'port';
  if (Buffer.byteLength(record.remAddr) > MAX_FIELD_OCTETS) return 'rem_addr';
  if (record.args.length > MAX_ARGS) return 'arg_cnt';
  for (const arg of record.args) {
    if (Buffer.byteLength(arg) > MAX_FIELD_OCTETS) return arg.split('=', 1)[0] ?? 'arg';
  }
  return null;
}

/** RFC 8907 §8.2 `timeout`: whole minutes, 0 = none (every source of a timeout is in minutes). */
function timeoutArg(mapping: Mapping): string {
  return `timeout=${Math.ceil(mapping.timeoutMs / 60_000)}`;
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function elapsed(fromMs: number, toMs: number): number {
  return Math.max(0, Math.floor((toMs - fromMs) / 1000));
}
