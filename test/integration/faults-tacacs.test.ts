/**
 * TACACS+ faults through the whole listener (issue 7 item 3, issue 5 "Done when"): syslog
 * logins and logouts in, records out at RFC-based test servers, with the primary killed
 * mid-stream, a server that accepts and never answers, a wrong shared secret, and every
 * server down for a while. In each: zero records lost, and each mapping's records in
 * order (START before STOP, whatever server took which). Runs the App in process (no
 * signals are needed here, and it starts in a fraction of a child's time).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHURN_PROFILES, UdpClient, churnIp, churnMessage } from '../support/listener-clients.js';
import { FLAGS, collapsed, flagsByTask, recordArrivals, type Arrival } from '../support/listener-data.js';
import { InProcessListener, cleanupListeners, sendCounted, waitUntil } from '../support/listener.js';
import type { ConfigPatch } from '../support/listener-config.js';
import { TEST_KEY } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';

const servers: TacacsTestServer[] = [];
afterEach(async () => {
  await cleanupListeners();
  for (const s of servers.splice(0)) await s.kill();
});

async function tacacs(key = TEST_KEY): Promise<TacacsTestServer> {
  const server = await TacacsTestServer.start({ key });
  servers.push(server);
  return server;
}

const server = (s: TacacsTestServer, more: ConfigPatch = {}) =>
  ({ host: '127.0.0.1', port: s.port, secret: TEST_KEY, timeoutMs: 1000, connectTimeoutMs: 500, ...more });

function listener(groupServers: ConfigPatch[]): Promise<InProcessListener> {
  return InProcessListener.start({
    profiles: CHURN_PROFILES,
    config: {
      accounting: { mode: 'start-stop', retryIntervalSeconds: 1, groups: [{ name: 'primary', servers: groupServers }] },
    },
  });
}

/** Logins (or logouts) of users u<i> at churnIp(i) for i in [from, to), over UDP in order. */
async function churn(l: InProcessListener, event: 'login' | 'logout', from: number, to: number): Promise<void> {
  const udp = new UdpClient(l.ports.udp);
  await sendCounted(l, udp, Array.from({ length: to - from }, (_, k) => churnMessage(event, `u${from + k}`, churnIp(from + k))));
  udp.close();
}

async function drained(l: InProcessListener): Promise<void> {
  await waitUntil(async () => {
    const { body } = await l.http('GET', '/v1/accounting');
    return body.groups.every((g: { queueDepth: number }) => g.queueDepth === 0);
  }, 'the spool to drain', 30_000);
}

/** Every session complete, in order: START then STOP, repeats (resends) allowed, nothing else. */
function expectComplete(arrivals: readonly Arrival[], sessions: number): void {
  const tasks = flagsByTask(arrivals.map((a) => a.request));
  expect(tasks.size).toBe(sessions);
  for (const [task, flags] of tasks) expect(collapsed(flags), `records of ${task}`).toEqual([FLAGS.start, FLAGS.stop]);
}

const N = 200;

describe('TACACS+ faults, end to end through the listener', () => {
  it('loses no record and keeps order when the primary server is killed mid-stream', async () => {
    const [primary, backup] = [await tacacs(), await tacacs()];
    const arrivals = recordArrivals([primary, backup]);
    primary.behaviour.delayMs = 3; // records are in flight when it dies
    const l = await listener([server(primary), server(backup)]);
    await churn(l, 'login', 0, N);
    await primary.waitFor(() => primary.requests.length >= 40, 15_000, 'records reaching the primary');
    await primary.kill();
    await churn(l, 'logout', 0, N);
    await drained(l);

    expectComplete(arrivals, N);
    expect(backup.requests.length).toBeGreaterThan(0);
    expect(l.lines.some((l) => l.event === 'server-active' && l.previous !== null)).toBe(true);
  });

  it('loses no record when a server accepts and never answers (reply timeout, failover)', async () => {
    const [hung, backup] = [await tacacs(), await tacacs()];
    hung.behaviour.reply = 'hang';
    const arrivals = recordArrivals([hung, backup]);
    const l = await listener([server(hung, { timeoutMs: 300 }), server(backup)]);
    await churn(l, 'login', 0, N);
    await churn(l, 'logout', 0, N);
    await drained(l);

    expectComplete(arrivals.filter((a) => a.server === 1), N); // every record confirmed by the backup
    expect(hung.requests.length).toBeGreaterThan(0); // it did take records, and never answered
    expect(l.lines.some((l) => l.code === 'UID_ERR_TACACS_TIMEOUT')).toBe(true);
  });

  it('loses no record when a server has another shared secret (replies do not decode)', async () => {
    const [wrongKey, backup] = [await tacacs('not-the-configured-secret'), await tacacs()];
    const arrivals = recordArrivals([wrongKey, backup]);
    const l = await listener([server(wrongKey), server(backup)]);
    await churn(l, 'login', 0, N);
    await churn(l, 'logout', 0, N);
    await drained(l);

    expectComplete(arrivals.filter((a) => a.server === 1), N);
    expect(wrongKey.requests).toHaveLength(0); // it could not read a single one
    const failure = l.lines.find((l) => l.code === 'UID_ERR_TACACS_DECODE');
    expect(failure?.msg).toMatch(/shared secret mismatch\?/);
  });

  it('keeps every record while all servers are down, reports one outage, and sends them in order once one is back', async () => {
    const [first, second] = [await tacacs(), await tacacs()];
    const arrivals = recordArrivals([first, second]);
    const l = await listener([server(first), server(second)]);
    await first.waitForRequests(1); // the system start: the group is up
    // Down only from here: the retry backoff grows with the outage, and so would the test.
    await first.kill();
    await second.kill();
    await churn(l, 'login', 0, N);
    await churn(l, 'logout', 0, N / 2);
    await l.waitForLog((line) => line.event === 'outage');
    const { body: health } = await l.http('GET', '/healthz');
    expect(health).toMatchObject({ status: 'degraded', accounting: { groups: [{ name: 'primary', state: 'down' }] } });
    expect(health.accounting.groups[0].queueDepth).toBe(N + N / 2); // all waiting

    const backAt = Date.now();
    await second.restart();
    await churn(l, 'logout', N / 2, N);
    await drained(l);
    // A short outage is probed again soon: a window of records failing together counts as
    // one failure, not 64 (which spaced the next probe at retryMaxMs / 2 = 15 s).
    expect(Date.now() - backAt).toBeLessThan(10_000);
    expectComplete(arrivals, N);
    expect(l.lines.filter((line) => line.event === 'outage')).toHaveLength(1); // one error per outage, not per record
    expect(l.lines.some((line) => line.event === 'recovered')).toBe(true);
  }, 45_000); // the retry backoff grows with the outage, which a loaded machine may lengthen
});
