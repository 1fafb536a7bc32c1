/**
 * What a reload does beyond swapping profiles and senders: mappings the new filters forbid
 * (a user added to ignoreUsers, an address outside narrowed includeNetworks or inside new
 * excludeNetworks) are removed as `removed` changes, so accounting sends their STOP; and
 * the restart-only warning compares with the config the process started with, so a
 * change that is reverted by a later reload warns of nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { MappingChange } from '../../src/mappings/table.js';
import { UdpClient, esmLeef } from '../support/listener-clients.js';
import { InProcessListener, cleanupListeners, waitUntil } from '../support/listener.js';
import { baseConfig, merge, writeConfig, type ConfigPatch } from '../support/listener-config.js';

afterAll(cleanupListeners);

async function reload(listener: InProcessListener, patch: ConfigPatch): Promise<void> {
  await writeConfig(listener.configFile, merge(baseConfig(listener.dir, listener.ports), patch));
  listener.app.reload(await loadConfig(listener.configFile));
}

describe('reload', () => {
  it('removes the mappings that the new ignoreUsers, includeNetworks and excludeNetworks forbid, as removals', async () => {
    const listener = await InProcessListener.start();
    const udp = new UdpClient(listener.ports.udp);
    const logins = [['jdoe', '10.1.2.3'], ['svc_backup', '10.1.2.4'], ['alice', '10.2.0.1'], ['bob', '10.1.9.9']] as const;
    for (const [user, ip] of logins) await udp.send(esmLeef(user, ip));
    for (const [user, ip] of logins) await listener.waitForMapping(ip, user);
    udp.close();
    const changes: MappingChange[] = [];
    listener.app.table.subscribe((change) => changes.push(change));

    await reload(listener, { mappings: { ignoreUsers: ['svc_*'], includeNetworks: ['10.1.0.0/16'], excludeNetworks: ['10.1.9.0/24'] } });
    await waitUntil(() => changes.length === 3, 'three removals');
    expect(changes.map((c) => `${c.kind}:${c.mapping.ip}`).sort()).toEqual(['removed:10.1.2.4', 'removed:10.1.9.9', 'removed:10.2.0.1']);
    expect(await listener.mapping('10.1.2.3')).toMatchObject({ user: 'jdoe' });
    expect(listener.app.table.size).toBe(1);
    await listener.waitForLog((l) => l.msg.startsWith('removed 3 mapping(s) the reloaded filters forbid'));
  });

  it('warns of restart-only changes against the running config: a reverted change warns of nothing', async () => {
    const listener = await InProcessListener.start();
    const warnings = () => listener.lines.filter((l) => l.msg.includes('take effect at the next restart')).map((l) => l.sections);
    await reload(listener, { log: { level: 'debug' } });
    expect(warnings()).toEqual([['log']]);
    await reload(listener, {});
    await reload(listener, { mappings: { ignoreUsers: ['svc_*'] } });
    expect(warnings()).toEqual([['log']]);
  });
});
