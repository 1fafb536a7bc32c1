/**
 * The "Done when" of issue 5 through the real `uid-listener start` process: syslog in,
 * TACACS+ accounting records out at the RFC-based test server.
 *
 * Expiry: timeoutMinutes cannot go below 1 and a child process's clock cannot be faked,
 * so the test uses the other way a mapping expires in production: the listener is
 * stopped, its snapshot is rewritten with the mapping's times moved two hours back (as if
 * the listener had been down that long; the snapshot is where a listener learns times
 * across a restart), and the restarted listener must send the STOP (reason timeout) of the
 * session it restores as already expired, under the task_id of its START.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UdpClient, esmLeef } from '../support/listener-clients.js';
import { FLAGS, arg, flagsByTask, readSnapshot, writeSnapshot } from '../support/listener-data.js';
import { ListenerProcess, cleanupListeners } from '../support/listener.js';
import { TEST_KEY } from '../support/tacacs-config.js';
import { TacacsTestServer, type RecordedRequest } from '../support/tacacs-server.js';

const servers: TacacsTestServer[] = [];
afterAll(async () => {
  await cleanupListeners();
  for (const s of servers.splice(0)) await s.kill();
});

const HOURS_2 = 2 * 3600_000;
const system = (r: RecordedRequest) => `${r.flags}:${arg(r.args, 'reason')}`;

describe('accounting of the running listener', () => {
  it('sends START, WATCHDOG(update) and STOP with one task_id for a mapping added, refreshed by another sender and expired; DELETE gives a STOP (admin)', async () => {
    const tacacs = await TacacsTestServer.start({ key: TEST_KEY });
    servers.push(tacacs);
    const listener = await ListenerProcess.start({
      config: {
        senders: [
          { name: 'esm', address: '127.0.0.1', transports: ['udp'] },
          { name: 'nac', address: '127.0.0.2', transports: ['udp'], timeoutMinutes: 10 },
        ],
        accounting: {
          mode: 'start-stop',
          timezone: 'UTC',
          groups: [{ name: 'primary', servers: [{ host: '127.0.0.1', port: tacacs.port, secret: TEST_KEY, timeoutMs: 3000 }] }],
        },
      },
    });
    const esm = new UdpClient(listener.ports.udp);
    const nac = new UdpClient(listener.ports.udp, '127.0.0.2');
    await esm.send(esmLeef('jdoe', '10.1.2.3'));
    await listener.waitForMapping('10.1.2.3', 'jdoe');
    await nac.send(esmLeef('jdoe', '10.1.2.3'));
    await listener.waitForMapping('10.1.2.3', 'jdoe').then(() => tacacs.waitForRequests(3));
    await esm.send(esmLeef('bob', '10.1.2.4'));
    await listener.waitForMapping('10.1.2.4', 'bob');
    expect((await listener.http('DELETE', '/v1/mappings/10.1.2.4')).status).toBe(204);
    await tacacs.waitForRequests(5); // system start, START, WATCHDOG, START, STOP
    esm.close();
    nac.close();
    expect(await listener.stop()).toEqual({ code: 0, signal: null });

    const snapshotPath = join(listener.dir, 'data', 'mappings.json');
    const [saved] = await readSnapshot(snapshotPath);
    expect(saved).toMatchObject({ ip: '10.1.2.3', user: 'jdoe', sender: 'nac' });
    await writeSnapshot(snapshotPath, [{ ...saved!, timeoutMs: saved!.timeoutMs ?? 45 * 60_000, firstSeen: saved!.firstSeen - HOURS_2, lastSeen: saved!.lastSeen - HOURS_2, expiresAt: saved!.expiresAt - HOURS_2 }]);
    const restarted = await listener.restart();
    await tacacs.waitFor(() => tacacs.requests.some((r) => r.remAddr === '10.1.2.3' && r.flags === FLAGS.stop), 15_000, 'the STOP of the expired mapping');
    expect(await restarted.mapping('10.1.2.3')).toBeNull();
    expect(restarted.lines.find((l) => l.event === 'snapshot-restored')).toMatchObject({ restored: 0, expired: 1 });

    const sessions = flagsByTask(tacacs.requests);
    const jdoe = tacacs.requests.filter((r) => r.remAddr === '10.1.2.3');
    const bob = tacacs.requests.filter((r) => r.remAddr === '10.1.2.4');
    expect(sessions.get(saved!.id)).toEqual([FLAGS.start, FLAGS['watchdog-update'], FLAGS.stop]);
    expect(new Set(jdoe.map((r) => arg(r.args, 'task_id')))).toEqual(new Set([saved!.id]));
    expect(jdoe.map((r) => r.port)).toEqual(['esm', 'nac', 'nac']);
    expect(jdoe.every((r) => r.user === 'jdoe')).toBe(true);
    // The mapping's own timeout (RFC 8907 §8.2, minutes): the default at START, the nac sender's after its refresh.
    expect(jdoe.map((r) => arg(r.args, 'timeout'))).toEqual(['45', '10', undefined]);
    const stop = jdoe[2]!;
    expect(arg(stop.args, 'reason')).toBe('timeout');
    expect(Number(arg(stop.args, 'stop_time'))).toBe(Math.floor((saved!.expiresAt - HOURS_2) / 1000)); // when it ran out, not when noticed
    expect(bob.map((r) => r.flags)).toEqual([FLAGS.start, FLAGS.stop]);
    expect(new Set(bob.map((r) => arg(r.args, 'task_id'))).size).toBe(1);
    expect(arg(bob[1]!.args, 'reason')).toBe('admin');
    // System records: start and stop of the first run, start of the second.
    const systemRecords = tacacs.requests.filter((r) => arg(r.args, 'service') === 'system');
    expect(systemRecords.map(system).slice(0, 3)).toEqual([`${FLAGS.start}:listener-start`, `${FLAGS.stop}:listener-stop`, `${FLAGS.start}:listener-start`]);
    expect(tacacs.violations).toEqual([]);
  });
});
