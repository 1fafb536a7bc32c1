import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Accountant, type AccountantOptions, type AccountingGroup } from '../../src/accounting/accountant.js';
import type { AccountingRecord } from '../../src/accounting/record.js';
import type { ChangeListener, Mapping, MappingChange } from '../../src/mappings/table.js';
import { ScriptedSender, events, tempDir, until } from './spool-fixtures.js';

/** The part of the table the accountant uses: changes, pushed by the test. */
class StubTable {
  readonly #listeners = new Set<ChangeListener>();
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  emit(change: MappingChange): void {
    for (const listener of this.#listeners) listener(change);
  }
  get listeners(): number {
    return this.#listeners.size;
  }
}

let seq = 0;
function mapping(over: Partial<Mapping> = {}): Mapping {
  const now = Date.now();
  return { id: `t${++seq}`, ip: `10.0.0.${seq}`, user: `ACME\\u${seq}`, sender: 'esm', profile: 'p', firstSeen: now, lastSeen: now, expiresAt: now + 60_000, timeoutMs: 60_000, ...over };
}

function group(name: string, sender = new ScriptedSender()): AccountingGroup & { sender: ScriptedSender } {
  return { name, sender, send: (record: AccountingRecord) => sender.send(record) };
}

const running: Accountant[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(running.splice(0).map((a) => a.stop()));
});

async function accountant(options: Partial<AccountantOptions> & { groups: readonly AccountingGroup[]; table: StubTable }, config: Partial<AccountantOptions['config']> = {}) {
  const spool = config.spool ?? (await tempDir());
  const a = new Accountant({
    stopWaitMs: 2000,
    dispatch: { retryBaseMs: 2, retryMaxMs: 20 },
    ...options,
    config: { mode: 'start-stop', update: { newinfo: true, periodicMinutes: 0 }, suppressNullUsername: true, timezone: 'UTC', spoolMaxBytes: 1 << 20, ...config, spool },
  });
  running.push(a);
  return a;
}

const summary = (records: readonly AccountingRecord[]) => records.map((r) => `${r.kind}:${r.orderKey}`);
const arg = (record: AccountingRecord | undefined, name: string) => record?.args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);

describe('accountant', () => {
  it('broadcasts every record to every group: system start first, then the sessions in order', async () => {
    const table = new StubTable();
    const a1 = group('primary');
    const a2 = group('audit');
    const acct = await accountant({ groups: [a1, a2], table });
    await acct.start();
    const m = mapping();
    table.emit({ kind: 'added', mapping: m });
    table.emit({ kind: 'refreshed', mapping: { ...m, sender: 'nac' }, newinfo: true });
    table.emit({ kind: 'removed', mapping: m, reason: 'logout' });
    for (const g of [a1, a2]) {
      await until(() => g.sender.delivered.length === 4, `${g.name} got all four`);
      const [system, ...session] = g.sender.delivered;
      expect(system).toMatchObject({ kind: 'start', orderKey: 'system' });
      expect(arg(system, 'service')).toBe('system');
      expect(summary(session)).toEqual([`start:${m.id}`, `watchdog-update:${m.id}`, `stop:${m.id}`]);
    }
    expect(acct.stats.records).toEqual({ start: 2, stop: 1, watchdog: 0, 'watchdog-update': 1 });
  });

  it('lists active sessions and each group with its queue depth (GET /v1/accounting)', async () => {
    const table = new StubTable();
    const held = new ScriptedSender(() => 'hold');
    const withStatus: AccountingGroup = {
      name: 'primary',
      send: (r) => held.send(r),
      status: () => ({ name: 'primary', currentServer: '10.0.0.9:49', state: 'up', lastError: null, servers: [] }),
    };
    const acct = await accountant({ groups: [withStatus, group('audit')], table });
    await acct.start();
    const a = mapping({ user: 'ACME\\alice' });
    const b = mapping({ user: 'ACME\\bob' });
    table.emit({ kind: 'added', mapping: a });
    table.emit({ kind: 'added', mapping: b });
    table.emit({ kind: 'refreshed', mapping: { ...a, sender: 'nac' }, newinfo: true });
    const b2 = mapping({ ip: b.ip, user: 'ACME\\carol' });
    table.emit({ kind: 'user-changed', mapping: b2, previous: b });
    const status = acct.status();
    expect(status.mode).toBe('start-stop');
    expect(status.sessions.map((s) => [s.taskId, s.user, s.ip, s.sender])).toEqual([
      [a.id, 'ACME\\alice', a.ip, 'nac'],
      [b2.id, 'ACME\\carol', b.ip, 'esm'],
    ]);
    expect(status.sessions[0]!.started).toBe(new Date(a.firstSeen).toISOString());
    expect(acct.sessionCount).toBe(2);
    await until(() => acct.status().groups[0]!.queueDepth === 6, 'six records waiting in primary');
    expect(acct.status().groups).toEqual([
      { name: 'primary', currentServer: '10.0.0.9:49', state: 'up', lastError: null, servers: [], queueDepth: 6 },
      expect.objectContaining({ name: 'audit', state: 'up' }),
    ]);
    held.decide = () => 'ok';
    held.releaseAll();
  });

  it('restored sessions are active without a new START; ends missed while down are sent as STOPs', async () => {
    const table = new StubTable();
    const g = group('primary');
    const acct = await accountant({ groups: [g], table });
    const kept = mapping();
    const expired = mapping({ expiresAt: Date.now() - 30_000 });
    const evicted = mapping();
    acct.restore({ restored: [kept], expired: [expired], evicted: [evicted] });
    await acct.start();
    await until(() => g.sender.delivered.length === 3, 'system start and two STOPs');
    expect(summary(g.sender.delivered).sort()).toEqual([`start:system`, `stop:${evicted.id}`, `stop:${expired.id}`].sort());
    const stops = g.sender.delivered.filter((r) => r.kind === 'stop');
    expect(stops.map((r) => [r.orderKey, arg(r, 'reason')]).sort()).toEqual([[evicted.id, 'capacity'], [expired.id, 'timeout']].sort());
    expect(arg(stops.find((r) => r.orderKey === expired.id), 'stop_time')).toBe(String(Math.floor(expired.expiresAt / 1000)));
    expect(acct.status().sessions.map((s) => s.taskId)).toEqual([kept.id]);
    table.emit({ kind: 'expired', mapping: kept });
    await until(() => g.sender.delivered.length === 4, 'the restored session stopped');
    expect(summary(g.sender.delivered).at(-1)).toBe(`stop:${kept.id}`);
  });

  it('sends a periodic WATCHDOG per active session every periodicMinutes', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(Date.UTC(2025, 5, 1, 12, 0, 0));
    const table = new StubTable();
    const g = group('primary');
    const acct = await accountant({ groups: [g], table }, { update: { newinfo: true, periodicMinutes: 2 } });
    await acct.start();
    const early = mapping();
    table.emit({ kind: 'added', mapping: early });
    vi.advanceTimersByTime(60_000);
    const late = mapping();
    table.emit({ kind: 'added', mapping: late });
    vi.advanceTimersByTime(60_000); // early is due at 2 min
    await until(() => g.sender.delivered.length === 4, 'the first periodic WATCHDOG');
    expect(summary(g.sender.delivered).slice(1)).toEqual([`start:${early.id}`, `start:${late.id}`, `watchdog:${early.id}`]);
    expect(arg(g.sender.delivered[3], 'elapsed_time')).toBe('120');
    vi.advanceTimersByTime(60_000); // late at 3 min
    vi.advanceTimersByTime(60_000); // early again at 4 min
    await until(() => g.sender.delivered.length === 6, 'two more WATCHDOGs');
    expect(summary(g.sender.delivered).slice(4)).toEqual([`watchdog:${late.id}`, `watchdog:${early.id}`]);
    table.emit({ kind: 'removed', mapping: late, reason: 'logout' });
    vi.advanceTimersByTime(120_000);
    await until(() => g.sender.delivered.length === 8, 'a STOP and the one WATCHDOG left');
    expect(summary(g.sender.delivered).slice(6)).toEqual([`stop:${late.id}`, `watchdog:${early.id}`]);
  });

  it('stop-only sends only STOPs; none does nothing at all', async () => {
    const table = new StubTable();
    const g = group('primary');
    const acct = await accountant({ groups: [g], table }, { mode: 'stop-only', update: { newinfo: true, periodicMinutes: 1 } });
    await acct.start();
    const m = mapping();
    table.emit({ kind: 'added', mapping: m });
    table.emit({ kind: 'refreshed', mapping: m, newinfo: true });
    table.emit({ kind: 'expired', mapping: m });
    await acct.stop();
    expect(summary(g.sender.delivered)).toEqual([`stop:${m.id}`, 'stop:system']);

    const off = new StubTable();
    const dir = await tempDir();
    const none = await accountant({ groups: [group('primary')], table: off }, { mode: 'none', spool: dir });
    await none.start();
    expect(off.listeners).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    expect(none.status()).toEqual({ mode: 'none', sessionsTotal: 0, sessions: [], groups: [] });
  });

  it('stop waits a bounded time for the system stop; what is unconfirmed is sent by the next run', async () => {
    const table = new StubTable();
    const dir = await tempDir();
    const down = group('primary', new ScriptedSender(() => 'retry'));
    const ev = events();
    const first = await accountant({ groups: [down], table, stopWaitMs: 200, onEvent: ev.onEvent }, { spool: dir });
    await first.start();
    const m = mapping();
    table.emit({ kind: 'added', mapping: m });
    const began = performance.now();
    await first.stop();
    expect(performance.now() - began).toBeLessThan(2000);
    expect(ev.list).toContainEqual({ type: 'stop-unconfirmed', group: 'primary', waiting: 3 });
    expect(table.listeners).toBe(0);

    const up = group('primary');
    const second = await accountant({ groups: [up], table }, { spool: dir });
    await second.start();
    await until(() => up.sender.delivered.length === 4, 'the three left over plus the new system start');
    const systemArgs = up.sender.delivered.filter((r) => r.orderKey === 'system').map((r) => arg(r, 'reason'));
    expect(systemArgs).toEqual(['listener-start', 'listener-stop', 'listener-start']); // the old run's, in order
    expect(up.sender.delivered.find((r) => r.orderKey === m.id)?.kind).toBe('start');
  });

  it('never throws into the table: an oversize field is refused, an unwritable spool only counts', async () => {
    const table = new StubTable();
    const root = await tempDir();
    await writeFile(join(root, 'blocked'), 'not a directory');
    const ev = events();
    const acct = await accountant({ groups: [group('primary')], table, onEvent: ev.onEvent }, { spool: join(root, 'blocked') });
    await acct.start();
    const long = mapping({ user: 'x'.repeat(300) });
    expect(() => table.emit({ kind: 'added', mapping: long })).not.toThrow();
    expect(ev.list).toContainEqual({ type: 'record-refused', code: 'UID_ERR_TACACS_FIELD', taskId: long.id, field: 'user' });
    expect(acct.stats.refused).toBe(1);
    for (let i = 0; i < 10; i++) expect(() => table.emit({ kind: 'added', mapping: mapping() })).not.toThrow();
    const [stats] = acct.groupStats();
    expect(stats).toMatchObject({ group: 'primary', spoolRecords: 0 });
    expect(stats!.spool.refused).toBe(11); // the system start and ten STARTs
    expect(ev.types()).toContain('spool-io-error');
  });
});
