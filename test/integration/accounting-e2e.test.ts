/**
 * The records side end to end over real sockets: the in-memory mapping table → Accountant
 * (records, spool, dispatcher) → ServerGroup → the RFC-based TACACS+ test server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Accountant, type AccountantOptions } from '../../src/accounting/accountant.js';
import { ServerGroup } from '../../src/accounting/server-group.js';
import type { IdentityEvent } from '../../src/identify/event.js';
import { MemoryMappingTable } from '../../src/mappings/memory-table.js';
import { TEST_KEY, closedPort, tcpServerConfig } from '../support/tacacs-config.js';
import { TacacsTestServer, type RecordedRequest } from '../support/tacacs-server.js';

const FLAG_START = 0x02;
const FLAG_STOP = 0x04;
const FLAG_WATCHDOG_UPDATE = 0x0a;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uid-acct-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function server(): Promise<TacacsTestServer> {
  const s = await TacacsTestServer.start({ key: TEST_KEY });
  cleanups.push(() => s.kill());
  return s;
}

function serverGroup(ports: { port: number }[]): ServerGroup {
  const group = new ServerGroup({
    name: 'primary',
    servers: ports.map((p) => tcpServerConfig(p as TacacsTestServer, { timeoutMs: 2000, connectTimeoutMs: 1000 })),
    retryIntervalSeconds: 300,
  });
  cleanups.push(() => group.close());
  return group;
}

/** A table whose clock the test moves, shared with the accountant. */
function table() {
  let offset = 0;
  const now = () => Date.now() + offset;
  const t = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 100_000, now, sweepIntervalMs: 20 });
  cleanups.push(() => t.close());
  return { table: t, now, advance: (ms: number) => (offset += ms) };
}

function accountant(options: Omit<AccountantOptions, 'config'> & { spool: string }): Accountant {
  const acct = new Accountant({
    stopWaitMs: 3000,
    dispatch: { retryBaseMs: 20, retryMaxMs: 200 },
    ...options,
    config: { mode: 'start-stop', update: { newinfo: true, periodicMinutes: 0 }, suppressNullUsername: true, timezone: 'UTC', spoolMaxBytes: 64 << 20, spool: options.spool },
  });
  cleanups.push(() => acct.stop());
  return acct;
}

const login = (user: string, ip: string, sender = 'esm'): IdentityEvent => ({ event: 'login', user, ip, profile: 'p', sender });
const logout = (user: string, ip: string): IdentityEvent => ({ event: 'logout', user, ip, profile: 'p', sender: 'esm' });
/** Polls a condition the test server does not announce (our own queue state). */
async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not reached within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const arg = (r: RecordedRequest, name: string) => r.args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);

/** Requests per task_id in arrival order (user-id sessions only). */
function byTask(requests: readonly RecordedRequest[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of requests) {
    if (arg(r, 'service') !== 'user-id') continue;
    const id = arg(r, 'task_id')!;
    out.set(id, [...(out.get(id) ?? []), r.flags]);
  }
  return out;
}

describe('accounting end to end', () => {
  it('a mapping added, refreshed with new information and expired gives START, WATCHDOG(update), STOP with one task_id', async () => {
    const tacacs = await server();
    const { table: t, now, advance } = table();
    const acct = accountant({ groups: [serverGroup([tacacs])], table: t, now, spool: await tempDir() });
    await acct.start();
    t.apply(login('ACME\\jdoe', '10.1.2.3', 'esm'));
    t.apply(login('ACME\\jdoe', '10.1.2.3', 'nac'));
    advance(46 * 60_000);
    await tacacs.waitForRequests(4);
    const [system, start, update, stop] = tacacs.requests;
    expect(system!.flags).toBe(FLAG_START);
    expect(arg(system!, 'service')).toBe('system');
    expect([start!.flags, update!.flags, stop!.flags]).toEqual([FLAG_START, FLAG_WATCHDOG_UPDATE, FLAG_STOP]);
    const taskIds = new Set([start, update, stop].map((r) => arg(r!, 'task_id')));
    expect(taskIds.size).toBe(1);
    expect([start!.user, start!.port, start!.remAddr]).toEqual(['ACME\\jdoe', 'esm', '10.1.2.3']);
    expect(update!.port).toBe('nac');
    expect(arg(stop!, 'reason')).toBe('timeout');
    expect(arg(start!, 'event')).toBe('login');
    expect(tacacs.violations).toEqual([]);
  });

  it('loses nothing and keeps per-mapping order when the server is killed mid-stream and comes back', async () => {
    const tacacs = await server();
    const { table: t, now } = table();
    const acct = accountant({ groups: [serverGroup([tacacs])], table: t, now, spool: await tempDir() });
    await acct.start();
    const N = 300;
    const ip = (i: number) => `10.9.${i >> 8}.${i & 255}`;
    tacacs.behaviour.delayMs = 2;
    for (let i = 0; i < N; i++) t.apply(login(`u${i}`, ip(i)));
    await tacacs.waitFor(() => tacacs.requests.length >= 50, 10_000, 'some records through');
    tacacs.behaviour.reply = 'hang'; // the next ones reach the server but never get a reply
    const before = tacacs.requests.length;
    await tacacs.waitFor(() => tacacs.requests.length >= before + 5, 10_000, 'records in flight');
    await tacacs.kill();
    for (let i = 0; i < N; i++) t.apply(logout(`u${i}`, ip(i)));
    await until(() => acct.groupStats()[0]!.dispatch.failed > 0, 'sends failing while the server is down');
    tacacs.behaviour.reply = 'success';
    tacacs.behaviour.delayMs = 0;
    await tacacs.restart();
    await until(() => acct.status().groups[0]!.queueDepth === 0, 'the spool drained');
    const tasks = byTask(tacacs.requests);
    expect(tasks.size).toBe(N);
    for (const flags of tasks.values()) {
      // at-least-once: a START whose reply was lost in the kill arrives again, but no STOP comes before it
      expect(flags.at(-1)).toBe(FLAG_STOP);
      expect(flags.filter((f) => f === FLAG_STOP)).toHaveLength(1);
      expect(flags.slice(0, -1).every((f) => f === FLAG_START)).toBe(true);
      expect(flags.length).toBeGreaterThanOrEqual(2);
    }
    expect([...tasks.values()].some((flags) => flags.length > 2)).toBe(true); // the kill did hit records in flight
  });

  it('records spooled before a stop are sent by the next accountant on the same spool', async () => {
    const spool = await tempDir();
    const downPort = await closedPort();
    const { table: t, now } = table();
    const first = accountant({ groups: [serverGroup([{ port: downPort }])], table: t, now, spool, stopWaitMs: 200 });
    await first.start();
    t.apply(login('ACME\\a', '10.0.0.1'));
    t.apply(login('ACME\\b', '10.0.0.2'));
    t.apply(logout('ACME\\a', '10.0.0.1'));
    await first.stop();

    const tacacs = await server();
    const second = accountant({ groups: [serverGroup([tacacs])], table: t, now, spool });
    await second.start();
    await until(() => second.status().groups[0]!.queueDepth === 0 && tacacs.requests.length >= 6, 'the old run records and the new start sent');
    const summary = tacacs.requests.map((r) => `${arg(r, 'service')}:${r.flags}:${arg(r, 'reason') ?? ''}`);
    // the first run's records, oldest first, then the new run's system start
    expect(summary.filter((s) => s.startsWith('system'))).toEqual([`system:${FLAG_START}:listener-start`, `system:${FLAG_STOP}:listener-stop`, `system:${FLAG_START}:listener-start`]);
    expect([...byTask(tacacs.requests).values()].map((flags) => flags.join(','))).toEqual([`${FLAG_START},${FLAG_STOP}`, `${FLAG_START}`]);
    expect(tacacs.requests).toHaveLength(6);
  });
});
