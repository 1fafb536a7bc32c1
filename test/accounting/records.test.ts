import { describe, expect, it } from 'vitest';
import type { Mapping, MappingChange } from '../../src/mappings/table.js';
import type { AccountingRecord } from '../../src/accounting/record.js';
import {
  oversizeField,
  processTimezone,
  recordPolicy,
  recordsForChange,
  systemRecord,
  watchdogRecord,
  type RecordPolicy,
} from '../../src/accounting/records.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5); // 1735787045 s
const startStop: RecordPolicy = { mode: 'start-stop', newinfo: true, suppressNullUsername: true, timezone: 'UTC' };
const stopOnly: RecordPolicy = { ...startStop, mode: 'stop-only' };
const none: RecordPolicy = { ...startStop, mode: 'none' };

function mapping(over: Partial<Mapping> = {}): Mapping {
  return {
    id: 'm1abc-1',
    ip: '10.1.2.3',
    user: 'ACME\\jdoe',
    sender: 'esm',
    profile: 'traps-esm-leef',
    firstSeen: T0,
    lastSeen: T0,
    expiresAt: T0 + 45 * 60_000,
    timeoutMs: 45 * 60_000,
    ...over,
  };
}

function args(record: AccountingRecord | undefined): Record<string, string> {
  return Object.fromEntries((record?.args ?? []).map((arg) => [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]));
}

describe('records from table changes (start-stop)', () => {
  it('added gives a START with the DESIGN §3 arguments, in order', () => {
    const [start, ...rest] = recordsForChange({ kind: 'added', mapping: mapping() }, startStop, T0);
    expect(rest).toEqual([]);
    expect(start).toEqual({
      kind: 'start',
      user: 'ACME\\jdoe',
      port: 'esm',
      remAddr: '10.1.2.3',
      orderKey: 'm1abc-1',
      args: ['task_id=m1abc-1', 'start_time=1735787045', 'timezone=UTC', 'service=user-id', 'event=login', 'addr=10.1.2.3', 'timeout=45'],
    });
  });

  it('refreshed with new information gives a WATCHDOG with update carrying the new sender', () => {
    const refreshed = mapping({ sender: 'nac', lastSeen: T0 + 90_500 });
    const records = recordsForChange({ kind: 'refreshed', mapping: refreshed, newinfo: true }, startStop, T0 + 90_500);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: 'watchdog-update', port: 'nac', orderKey: 'm1abc-1' });
    expect(args(records[0])).toMatchObject({ task_id: 'm1abc-1', start_time: '1735787045', elapsed_time: '90', service: 'user-id' });
  });

  it('START and WATCHDOG carry the mapping\'s own timeout in minutes, 0 for until logout (RFC 8907 §8.2 timeout)', () => {
    const [start] = recordsForChange({ kind: 'added', mapping: mapping({ timeoutMs: 5 * 60_000 }) }, startStop, T0);
    expect(args(start)).toMatchObject({ timeout: '5' });
    const forever = mapping({ timeoutMs: 0, expiresAt: Infinity });
    const [watchdog] = recordsForChange({ kind: 'refreshed', mapping: forever, newinfo: true }, startStop, T0);
    expect(args(watchdog)).toMatchObject({ timeout: '0' });
    const [stop] = recordsForChange({ kind: 'removed', mapping: forever, reason: 'logout' }, startStop, T0 + 1000);
    expect(args(stop)).not.toHaveProperty('timeout');
  });

  it('a refresh without new information, or with newinfo updates off, gives nothing', () => {
    expect(recordsForChange({ kind: 'refreshed', mapping: mapping(), newinfo: false }, startStop, T0)).toEqual([]);
    expect(recordsForChange({ kind: 'refreshed', mapping: mapping(), newinfo: true }, { ...startStop, newinfo: false }, T0)).toEqual([]);
  });

  it.each([
    [{ kind: 'removed', mapping: mapping(), reason: 'logout' }, 'logout'],
    [{ kind: 'removed', mapping: mapping(), reason: 'admin' }, 'admin'],
    [{ kind: 'evicted', mapping: mapping() }, 'capacity'],
  ] as [MappingChange, string][])('%o gives a STOP with reason %s', (change, reason) => {
    const [stop] = recordsForChange(change, startStop, T0 + 61_999);
    expect(stop?.kind).toBe('stop');
    expect(stop?.orderKey).toBe('m1abc-1');
    expect(args(stop)).toEqual({
      task_id: 'm1abc-1',
      start_time: '1735787045',
      stop_time: '1735787106',
      elapsed_time: '61',
      timezone: 'UTC',
      service: 'user-id',
      event: 'logout',
      reason,
      addr: '10.1.2.3',
    });
  });

  it('expired stops at expiresAt, not when the sweep noticed', () => {
    const m = mapping({ expiresAt: T0 + 45 * 60_000 });
    const [stop] = recordsForChange({ kind: 'expired', mapping: m }, startStop, m.expiresAt + 1500);
    expect(args(stop)).toMatchObject({ reason: 'timeout', stop_time: String((T0 + 45 * 60_000) / 1000), elapsed_time: '2700' });
  });

  it('user-changed gives the STOP (replaced) of the old session, then the START of the new one', () => {
    const previous = mapping();
    const next = mapping({ id: 'm1abc-2', user: 'ACME\\alice', firstSeen: T0 + 10_000 });
    const records = recordsForChange({ kind: 'user-changed', mapping: next, previous }, startStop, T0 + 10_000);
    expect(records.map((r) => [r.kind, r.orderKey, r.user])).toEqual([
      ['stop', 'm1abc-1', 'ACME\\jdoe'],
      ['start', 'm1abc-2', 'ACME\\alice'],
    ]);
    expect(args(records[0]).reason).toBe('replaced');
  });

  it('START, WATCHDOGs and STOP of one mapping share its task_id', () => {
    const m = mapping();
    const all = [
      ...recordsForChange({ kind: 'added', mapping: m }, startStop, T0),
      ...recordsForChange({ kind: 'refreshed', mapping: { ...m, sender: 'nac' }, newinfo: true }, startStop, T0 + 1000),
      watchdogRecord(m, startStop, T0 + 2000)!,
      ...recordsForChange({ kind: 'expired', mapping: m }, startStop, m.expiresAt),
    ];
    expect(all.map((r) => r.kind)).toEqual(['start', 'watchdog-update', 'watchdog', 'stop']);
    expect(new Set(all.map((r) => args(r).task_id))).toEqual(new Set(['m1abc-1']));
    expect(new Set(all.map((r) => r.orderKey))).toEqual(new Set(['m1abc-1']));
  });
});

describe('record modes', () => {
  const changes: MappingChange[] = [
    { kind: 'added', mapping: mapping() },
    { kind: 'refreshed', mapping: mapping(), newinfo: true },
    { kind: 'user-changed', mapping: mapping({ id: 'm1abc-2', user: 'bob' }), previous: mapping() },
    { kind: 'removed', mapping: mapping(), reason: 'logout' },
    { kind: 'expired', mapping: mapping() },
    { kind: 'evicted', mapping: mapping() },
  ];

  it('stop-only sends only STOPs (no START, no WATCHDOG, no system start)', () => {
    const kinds = changes.flatMap((change) => recordsForChange(change, stopOnly, T0).map((r) => r.kind));
    expect(kinds).toEqual(['stop', 'stop', 'stop', 'stop']);
    expect(watchdogRecord(mapping(), stopOnly, T0)).toBeNull();
    expect(systemRecord('start', 'sys', T0, stopOnly, T0)).toBeNull();
    expect(systemRecord('stop', 'sys', T0, stopOnly, T0 + 1000)?.kind).toBe('stop');
  });

  it('none sends nothing at all', () => {
    expect(changes.flatMap((change) => recordsForChange(change, none, T0))).toEqual([]);
    expect(watchdogRecord(mapping(), none, T0)).toBeNull();
    expect(systemRecord('start', 'sys', T0, none, T0)).toBeNull();
    expect(systemRecord('stop', 'sys', T0, none, T0)).toBeNull();
  });
});

describe('suppressNullUsername', () => {
  const nameless = mapping({ user: '' });

  it('suppresses every record of a mapping without a user', () => {
    for (const change of [
      { kind: 'added', mapping: nameless },
      { kind: 'removed', mapping: nameless, reason: 'logout' },
      { kind: 'refreshed', mapping: nameless, newinfo: true },
    ] as MappingChange[]) {
      expect(recordsForChange(change, startStop, T0)).toEqual([]);
    }
    expect(watchdogRecord(nameless, startStop, T0)).toBeNull();
  });

  it('keeps the named side of a user change', () => {
    const records = recordsForChange({ kind: 'user-changed', mapping: mapping({ id: 'x2', user: 'bob' }), previous: nameless }, startStop, T0);
    expect(records.map((r) => [r.kind, r.user])).toEqual([['start', 'bob']]);
  });

  it('sends records with an empty user when turned off', () => {
    const [start] = recordsForChange({ kind: 'added', mapping: nameless }, { ...startStop, suppressNullUsername: false }, T0);
    expect(start).toMatchObject({ kind: 'start', user: '' });
  });
});

describe('system records', () => {
  it('mark accounting start and stop with service=system event=sys_acct (IOS system accounting)', () => {
    const start = systemRecord('start', 'system-abc', T0, startStop, T0);
    const stop = systemRecord('stop', 'system-abc', T0, startStop, T0 + 3_600_000);
    expect(start).toEqual({
      kind: 'start',
      user: '',
      port: '',
      remAddr: '',
      orderKey: 'system',
      args: ['task_id=system-abc', 'start_time=1735787045', 'timezone=UTC', 'service=system', 'event=sys_acct', 'reason=listener-start'],
    });
    expect(stop?.args).toEqual([
      'task_id=system-abc',
      'start_time=1735787045',
      'stop_time=1735790645',
      'elapsed_time=3600',
      'timezone=UTC',
      'service=system',
      'event=sys_acct',
      'reason=listener-stop',
    ]);
  });

  it('are not suppressed for their empty user', () => {
    expect(systemRecord('start', 's', T0, { ...startStop, suppressNullUsername: true }, T0)).not.toBeNull();
  });
});

describe('policy and limits', () => {
  it('takes the timezone from config, else the process zone', () => {
    const base = { mode: 'start-stop' as const, update: { newinfo: true, periodicMinutes: 0 }, suppressNullUsername: true };
    expect(recordPolicy({ ...base, timezone: 'Europe/Berlin' }).timezone).toBe('Europe/Berlin');
    expect(recordPolicy(base).timezone).toBe(processTimezone());
    expect(processTimezone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('names the field that cannot go on the wire (over 255 octets), counting octets not characters', () => {
    const [start] = recordsForChange({ kind: 'added', mapping: mapping() }, startStop, T0);
    expect(oversizeField(start!)).toBeNull();
    expect(oversizeField({ ...start!, user: 'é'.repeat(128) })).toBe('user'); // 256 octets
    expect(oversizeField({ ...start!, user: 'e'.repeat(255) })).toBeNull();
    expect(oversizeField({ ...start!, port: 'p'.repeat(256) })).toBe('port');
    expect(oversizeField({ ...start!, args: [...start!.args, `addr=${'1'.repeat(260)}`] })).toBe('addr');
    expect(oversizeField({ ...start!, args: Array.from({ length: 256 }, () => 'a=b') })).toBe('arg_cnt');
  });
});
