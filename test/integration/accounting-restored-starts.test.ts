/**
 * Turning accounting on over a table restored from a snapshot written while it was off:
 * those sessions never had a START, so the listener sends one at start-up (start_time =
 * the mapping's first-seen time) before any STOP of theirs (docs/accounting.md "Restart").
 * A snapshot written while START records went out says so, and its sessions get no
 * second START.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { UdpClient, esmLeef } from '../support/listener-clients.js';
import { FLAGS, arg, flagsByTask } from '../support/listener-data.js';
import { InProcessListener, cleanupListeners } from '../support/listener.js';
import { TEST_KEY } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';

const servers: TacacsTestServer[] = [];
afterAll(async () => {
  await cleanupListeners();
  for (const s of servers.splice(0)) await s.kill();
});

describe('accounting turned on over a restored table', () => {
  it('sends the START of a session restored from a snapshot made while accounting was off, then its STOP; no second START after a restart', async () => {
    const tacacs = await TacacsTestServer.start({ key: TEST_KEY });
    servers.push(tacacs);
    const accounting = {
      mode: 'start-stop',
      timezone: 'UTC',
      groups: [{ name: 'primary', servers: [{ host: '127.0.0.1', port: tacacs.port, secret: TEST_KEY, timeoutMs: 3000 }] }],
    };
    const off = await InProcessListener.start();
    const udp = new UdpClient(off.ports.udp);
    await udp.send(esmLeef('jdoe', '10.1.2.3'));
    const mapped = await off.waitForMapping('10.1.2.3', 'jdoe') as unknown as { firstSeen: string };
    await off.stop();
    udp.close();
    expect(tacacs.requests).toEqual([]);

    const on = await InProcessListener.start({ dir: off.dir, config: { accounting } });
    const jdoe = () => tacacs.requests.filter((r) => r.remAddr === '10.1.2.3');
    await tacacs.waitFor(() => jdoe().length === 1, 10_000, 'the START of the restored session');
    const start = jdoe()[0]!;
    expect(start.flags).toBe(FLAGS.start);
    expect(Number(arg(start.args, 'start_time'))).toBe(Math.floor(Date.parse(mapped.firstSeen) / 1000));
    const status = await on.http('GET', '/v1/accounting');
    expect(status.body).toMatchObject({ sessionsTotal: 1, sessions: [{ ip: '10.1.2.3', user: 'jdoe' }] });
    const udp2 = new UdpClient(on.ports.udp);
    await udp2.send(esmLeef('bob', '10.1.2.4'));
    await on.waitForMapping('10.1.2.4', 'bob');
    expect((await on.http('DELETE', '/v1/mappings/10.1.2.3')).status).toBe(204);
    await tacacs.waitFor(() => jdoe().length === 2, 10_000, 'the STOP of the restored session');
    udp2.close();
    await on.stop();

    // This snapshot was written while STARTs went out: bob's session is not started again.
    const again = await InProcessListener.start({ dir: off.dir, config: { accounting } });
    expect((await again.http('DELETE', '/v1/mappings/10.1.2.4')).status).toBe(204);
    const bob = () => tacacs.requests.filter((r) => r.remAddr === '10.1.2.4');
    await tacacs.waitFor(() => bob().some((r) => r.flags === FLAGS.stop), 10_000, 'the STOP of bob');
    await again.stop();

    const sessions = flagsByTask(tacacs.requests.filter((r) => arg(r.args, 'service') === 'user-id'));
    expect([...sessions.values()]).toEqual([[FLAGS.start, FLAGS.stop], [FLAGS.start, FLAGS.stop]]);
    expect(arg(jdoe()[1]!.args, 'reason')).toBe('admin');
    expect(tacacs.violations).toEqual([]);
  });
});
