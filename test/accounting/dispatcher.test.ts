import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher, type DispatcherOptions } from '../../src/accounting/dispatcher.js';
import type { AccountingRecord, RecordSender } from '../../src/accounting/record.js';
import type { Spool } from '../../src/accounting/spool.js';
import { ScriptedSender, events, openSpool, rec, tempDir, until } from './spool-fixtures.js';

const dispatchers: Dispatcher[] = [];
afterEach(async () => {
  await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
});

function dispatcher(spool: Spool, sender: RecordSender, options: Partial<DispatcherOptions> = {}): Dispatcher {
  const d = new Dispatcher({ group: 'g1', spool, sender, retryBaseMs: 2, retryMaxMs: 20, ...options });
  dispatchers.push(d);
  d.start();
  return d;
}

/** Sessions k0…k(n-1), each START, WATCHDOG, STOP, interleaved as a busy table would. */
function sessions(n: number): AccountingRecord[] {
  const out: AccountingRecord[] = [];
  for (const kind of ['start', 'watchdog', 'stop'] as const) for (let i = 0; i < n; i++) out.push(rec(kind, `k${i}`, i));
  return out;
}

function kindsByKey(records: readonly AccountingRecord[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const r of records) byKey.set(r.orderKey, [...(byKey.get(r.orderKey) ?? []), r.kind]);
  return byKey;
}

describe('dispatcher', () => {
  it('sends every record, acks it, and keeps each session in order', async () => {
    const spool = await openSpool({ dir: await tempDir() });
    const sender = new ScriptedSender(() => 'ok', () => Math.floor(Math.random() * 3));
    dispatcher(spool, sender, { window: 16 });
    for (const r of sessions(100)) spool.append(r);
    await until(() => sender.delivered.length === 300 && spool.depth === 0, 'all 300 records acked');
    for (const kinds of kindsByKey(sender.delivered).values()) expect(kinds).toEqual(['start', 'watchdog', 'stop']);
    expect(sender.sameKeyOverlap).toBe(0);
    expect(sender.maxInFlight).toBeGreaterThan(1);
  });

  it('loses nothing and keeps per-session order when the sender fails intermittently', async () => {
    const spool = await openSpool({ dir: await tempDir() });
    const sender = new ScriptedSender(() => (Math.random() < 0.3 ? 'retry' : 'ok'), () => Math.floor(Math.random() * 3));
    const d = dispatcher(spool, sender, { window: 8, lookahead: 64 });
    for (const r of sessions(200)) spool.append(r);
    await until(() => spool.depth === 0, 'every record acked', 15_000);
    expect(sender.delivered).toHaveLength(600); // each exactly once: only SUCCESS acks
    expect(d.stats.sent).toBe(600);
    expect(d.stats.failed).toBeGreaterThan(0);
    for (const kinds of kindsByKey(sender.delivered).values()) expect(kinds).toEqual(['start', 'watchdog', 'stop']);
    expect(sender.sameKeyOverlap).toBe(0);
  });

  it('keeps at most `window` records in flight, and one per session', async () => {
    const spool = await openSpool({ dir: await tempDir() });
    const sender = new ScriptedSender(() => 'hold');
    dispatcher(spool, sender, { window: 5 });
    for (let i = 0; i < 20; i++) spool.append(rec('start', `k${i}`));
    for (let i = 0; i < 3; i++) spool.append(rec('stop', 'k0', i));
    await until(() => sender.inFlight === 5, 'the window filled');
    await spool.flush();
    expect(sender.inFlight).toBe(5);
    sender.decide = () => 'ok';
    while (spool.depth > 0) {
      sender.releaseAll();
      await until(() => sender.held.length > 0 || spool.depth === 0, 'the next sends');
      expect(sender.inFlight).toBeLessThanOrEqual(5);
    }
    expect(sender.maxInFlight).toBe(5);
    expect(sender.sameKeyOverlap).toBe(0);
    expect(kindsByKey(sender.delivered).get('k0')).toEqual(['start', 'stop', 'stop', 'stop']);
  });

  it('probes one record at a time while the group is down, then drains when it is back', async () => {
    const spool = await openSpool({ dir: await tempDir() });
    let down = true;
    const sender = new ScriptedSender(() => (down ? 'retry' : 'ok'));
    const d = dispatcher(spool, sender, { window: 8 });
    for (const r of sessions(20)) spool.append(r);
    await until(() => d.failing && sender.attempts >= 20, 'several probes while down');
    sender.maxInFlight = sender.inFlight;
    const attemptsWhileDown = sender.attempts;
    await until(() => sender.attempts >= attemptsWhileDown + 10, 'more probes');
    expect(sender.maxInFlight).toBe(1); // probing, not hammering
    expect(sender.delivered).toHaveLength(0);
    expect(spool.depth).toBe(60);
    down = false;
    await until(() => spool.depth === 0, 'drained after the outage');
    expect(d.failing).toBe(false);
    for (const kinds of kindsByKey(sender.delivered).values()) expect(kinds).toEqual(['start', 'watchdog', 'stop']);
  });

  it('one record a server keeps refusing holds back only its own session', async () => {
    const spool = await openSpool({ dir: await tempDir() });
    let poisoned = true;
    const sender = new ScriptedSender((r) => (poisoned && r.orderKey === 'bad' ? 'retry' : 'ok'));
    dispatcher(spool, sender, { window: 4 });
    spool.append(rec('start', 'bad'));
    for (let i = 0; i < 50; i++) spool.append(rec('start', `k${i}`));
    spool.append(rec('stop', 'bad'));
    await until(() => sender.delivered.length === 50, 'every other session delivered');
    expect(sender.delivered.some((r) => r.orderKey === 'bad')).toBe(false); // its STOP waits for its START
    poisoned = false;
    await until(() => spool.depth === 0, 'the refused session delivered once accepted');
    expect(kindsByKey(sender.delivered).get('bad')).toEqual(['start', 'stop']);
  });

  it('removes a record rejected for good, reports it, and lets its session go on', async () => {
    const spool = await openSpool({ dir: await tempDir() });
    const ev = events();
    const sender = new ScriptedSender((r) => (r.orderKey === 'x' && r.kind === 'watchdog' ? 'permanent' : 'ok'));
    const d = dispatcher(spool, sender, { onEvent: ev.onEvent });
    spool.append(rec('start', 'x'));
    spool.append(rec('watchdog', 'x'));
    spool.append(rec('stop', 'x'));
    await until(() => spool.depth === 0, 'all three settled');
    expect(kindsByKey(sender.delivered).get('x')).toEqual(['start', 'stop']);
    expect(d.stats).toMatchObject({ sent: 2, discarded: 1 });
    expect(ev.list).toEqual([expect.objectContaining({ type: 'record-discarded', group: 'g1', taskId: 'x', code: 'UID_ERR_TACACS_FIELD' })]);
  });

  it('after stop, unacked records stay in the spool and the next run sends them, in order', async () => {
    const dir = await tempDir();
    const first = await openSpool({ dir });
    const holding = new ScriptedSender((r) => (r.args[1] === 'n=0' ? 'ok' : 'hold'));
    const d = dispatcher(first, holding, { window: 2 });
    for (const r of sessions(3)) first.append(r);
    await until(() => holding.held.length === 2, 'two records hanging');
    const stopped = d.stop();
    holding.releaseAll(); // they succeed only after stop began: still acked, never lost
    await stopped;
    await first.close();
    const acked = holding.delivered.length;

    const second = await openSpool({ dir });
    expect(second.depth).toBe(9 - acked);
    const sender = new ScriptedSender();
    dispatcher(second, sender);
    await until(() => second.depth === 0, 'the rest delivered by the next run');
    expect(acked + sender.delivered.length).toBe(9);
    const all = [...holding.delivered, ...sender.delivered];
    for (const kinds of kindsByKey(all).values()) expect(kinds).toEqual(['start', 'watchdog', 'stop']);
  });
});
