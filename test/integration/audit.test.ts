/**
 * The audit trail end to end (issue 15 item 4): a login and a logout sent over syslog UDP
 * to the real listener are in the audit file and in GET /v1/mappings/{ip}/history after
 * the mapping is gone, and still after a restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHURN_PROFILES, churnMessage, sendUdp } from '../support/listener-clients.js';
import { InProcessListener, cleanupListeners, waitUntil } from '../support/listener.js';

afterAll(cleanupListeners);

describe('audit trail', () => {
  it('keeps a login and a logout over syslog after the mapping is gone, in the file and in /history', async () => {
    const options = { profiles: CHURN_PROFILES, config: { log: { audit: { path: 'data/audit/audit.log' } } } };
    let listener = await InProcessListener.start(options);
    const path = join(listener.dir, 'data', 'audit', 'audit.log'); // relative to the config's folder
    await sendUdp(listener.ports.udp, churnMessage('login', 'ACME\\jdoe', '10.1.2.3'));
    await listener.waitForMapping('10.1.2.3', 'ACME\\jdoe');
    await sendUdp(listener.ports.udp, churnMessage('logout', 'ACME\\jdoe', '10.1.2.3'));
    await waitUntil(async () => (await listener.mapping('10.1.2.3')) === null, 'the logout');

    const history = async () => (await listener.http('GET', '/v1/mappings/10.1.2.3/history')).body;
    await waitUntil(async () => (await history()).items?.length === 2, 'two history entries');
    const want = [
      { kind: 'removed', reason: 'logout', ip: '10.1.2.3', user: 'ACME\\jdoe', oldUser: null, sender: 'lo', profile: 'churn-login' }, // the mapping's, as it ends
      { kind: 'added', reason: 'login', ip: '10.1.2.3', user: 'ACME\\jdoe', oldUser: null, sender: 'lo', profile: 'churn-login' },
    ];
    const { items } = await history();
    expect(items).toMatchObject(want);
    expect(items[0].id).toBe(items[1].id);
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([...items].reverse());

    await listener.stop();
    listener = await InProcessListener.start({ ...options, dir: listener.dir });
    expect((await history()).items).toEqual(items);
    await listener.stop();
  });
});
