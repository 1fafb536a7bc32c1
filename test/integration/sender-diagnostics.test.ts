/**
 * Issue 11 items 3 and 4 end to end: a real listener fed real UDP syslog counts each
 * sender's messages by outcome (`uid_sender_messages_total`), its identity events and last
 * message, logs the rate-limited debug sample of unmatched messages with test-profile's
 * reason, flags a quiet sender in /healthz; `test-profile --config --sender` says for the
 * same lines exactly what the listener mapped; and with UDP workers the counts still add up.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { UdpClient } from '../support/listener-clients.js';
import { InProcessListener, ListenerProcess, MAIN, cleanupListeners, metric, sendCounted, waitUntil, type Listener } from '../support/listener.js';

const run = promisify(execFile);

const PROFILE = `type: regex
event: login
eventRegex: 'DIAG LOGIN'
usernameRegex: 'user=(\\S+)'
addressRegex: 'ip=([0-9.]+)'
`;

/** One line per outcome, and one that maps one of its two addresses. */
const LINES = [
  'DIAG LOGIN user=jdoe ip=10.60.0.1',
  'DIAG LOGIN user=svc_backup ip=10.60.0.2',
  'DIAG LOGIN user=PC-01$ ip=10.60.0.3',
  'DIAG LOGIN user=asmith ip=10.50.0.300',
  'DIAG LOGIN user=bsmith ip=192.0.2.5',
  'nothing for any profile here',
  'DIAG LOGIN ip=10.60.0.4',
  'DIAG LOGIN user=carol ip=10.60.0.5 ip=192.0.2.6',
];

const OUTCOMES = { mapped: 2, filtered: 2, machine_account: 1, address_invalid: 1, no_profile: 1, no_user: 1 };

function options(extra: Record<string, unknown> = {}) {
  return {
    profiles: { 'diag-login.yaml': PROFILE },
    config: {
      senders: [
        { name: 'lo', address: '127.0.0.1', transports: ['udp'], profiles: ['diag-login'], defaultDomain: 'ACME', quietAfterMinutes: 60 },
        { name: 'silent', address: '127.0.0.9', transports: ['udp'], quietAfterMinutes: 0.01 },
      ],
      mappings: { ignoreUsers: ['svc_*'], excludeNetworks: ['192.0.2.0/24'] },
      log: { level: 'debug', unmatchedSamples: 2 },
      ...extra,
    },
  };
}

async function sendLines(listener: Listener): Promise<void> {
  const udp = new UdpClient(listener.ports.udp);
  try {
    await sendCounted(listener, udp, LINES.map((l) => `<14>Dec  3 12:00:00 dev01 ${l}`));
  } finally {
    udp.close();
  }
}

async function outcomesOf(listener: Listener): Promise<Record<string, number>> {
  const values = await listener.metrics();
  return Object.fromEntries(Object.keys(OUTCOMES).map((o) => [o, metric(values, 'uid_sender_messages_total', { sender: 'lo', outcome: o })]));
}

const samples = (listener: Listener) => listener.lines.filter((l) => l['event'] === 'unmatched-sample');

describe('per-sender outcomes in a running listener', () => {
  let listener: InProcessListener;
  beforeAll(async () => {
    listener = await InProcessListener.start(options());
    await sendLines(listener);
  }, 60_000);
  afterAll(cleanupListeners);

  it('counts every message of the sender under its outcome, and its identity events and last message', async () => {
    await waitUntil(async () => (await outcomesOf(listener)).mapped === 2, 'two mapped messages counted');
    expect(await outcomesOf(listener)).toEqual(OUTCOMES);
    const values = await listener.metrics();
    expect(metric(values, 'uid_sender_identity_events_total', { sender: 'lo', event: 'login' })).toBe(2);
    const last = metric(values, 'uid_sender_last_message_seconds', { sender: 'lo' });
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(30);
    expect(metric(values, 'uid_sender_last_message_seconds', { sender: 'silent' })).toBe(0);
    expect(metric(values, 'uid_identity_dropped_total', { reason: 'machine_account' })).toBe(1);
    expect(await listener.mapping('10.60.0.1')).toMatchObject({ user: 'ACME\\jdoe', sender: 'lo', profile: 'diag-login' });
  });

  it('logs at most unmatchedSamples per minute, at debug, with the first bytes and the reason', async () => {
    await waitUntil(() => samples(listener).length >= 2, 'two unmatched samples');
    const logged = samples(listener);
    expect(logged).toHaveLength(2); // the other four unmatched messages came within the same minute
    expect(logged.map((l) => [l.level, l['sender'], l['outcome'], l['reason'], l['message']])).toEqual([
      [20, 'lo', 'filtered', "ignored user: 'ACME\\svc_backup' (ignoreUsers) (diag-login)", `<14>Dec  3 12:00:00 dev01 ${LINES[1]}`],
      [20, 'lo', 'machine_account', "machine account: 'PC-01$' (the profile does not set machineAccounts) (diag-login)", `<14>Dec  3 12:00:00 dev01 ${LINES[2]}`],
    ]);
  });

  it('says in /healthz which sender went quiet for longer than its quietAfterMinutes', async () => {
    await waitUntil(async () => (await listener.http('GET', '/healthz')).body.quietSenders !== undefined, 'a quiet sender in /healthz');
    const { body } = await listener.http('GET', '/healthz');
    expect(body.status).toBe('degraded');
    expect(body.quietSenders).toEqual([{ name: 'silent', quietAfterMinutes: 0.01, lastMessageAt: null }]);
    expect(metric(await listener.metrics(), 'uid_sender_quiet', { sender: 'silent' })).toBe(1);
    expect(metric(await listener.metrics(), 'uid_sender_quiet', { sender: 'lo' })).toBe(0);
  });

  it('keeps the per-sender counts across a reload', async () => {
    const before = await outcomesOf(listener);
    listener.app.reload(await loadConfig(listener.configFile));
    expect(await outcomesOf(listener)).toEqual(before);
  });

  it('test-profile --config --sender yields for the same lines exactly what the listener mapped, with the reasons it logged', async () => {
    const file = join(listener.dir, 'lines.log');
    await writeFile(file, LINES.map((l) => `<14>Dec  3 12:00:00 dev01 ${l}\n`).join(''));
    const { stdout } = await run(process.execPath, [MAIN, 'test-profile', '--config', listener.configFile, '--sender', 'lo', file, '--json']);
    const results = stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; events: { user: string; ip: string }[]; reason: string | null });
    expect(results).toHaveLength(LINES.length);
    const { body } = await listener.http('GET', '/v1/mappings');
    const mapped = (body.items as { user: string; ip: string }[]).map(({ user, ip }) => `${user} ${ip}`).sort();
    expect(results.flatMap((r) => r.events.map((e) => `${e.user} ${e.ip}`)).sort()).toEqual(mapped);
    expect(mapped).toEqual(['ACME\\carol 10.60.0.5', 'ACME\\jdoe 10.60.0.1']);
    expect(results.filter((r) => r.events.length > 0)).toHaveLength(OUTCOMES.mapped);
    expect([results[1]!.reason, results[2]!.reason]).toEqual(samples(listener).map((l) => l['reason']));
    expect(results[3]!.reason).toBe("address invalid: '10.50.0.300' (diag-login)");
    expect(results[5]!.reason).toBe('event not matched');
  });
});

describe('per-sender outcomes with UDP workers', () => {
  let listener: ListenerProcess;
  beforeAll(async () => {
    listener = await ListenerProcess.start(options({ syslog: { udp: { host: '127.0.0.1', workers: 2 }, tcp: { enabled: false } } }));
  }, 60_000);
  afterAll(cleanupListeners);

  it('adds up the workers\' counts and forwards their samples', async () => {
    await sendLines(listener);
    await waitUntil(async () => Object.values(await outcomesOf(listener)).reduce((a, b) => a + b, 0) === LINES.length, 'every line counted per sender');
    expect(await outcomesOf(listener)).toEqual(OUTCOMES);
    await waitUntil(() => samples(listener).length >= 1, 'a worker\'s unmatched sample');
    expect(samples(listener).length).toBeLessThanOrEqual(2); // one a minute per worker: the allowance is shared out
  });
});
