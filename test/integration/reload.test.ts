/**
 * Hot reload of the running process (issue 7 item 4): SIGHUP, or a change in profilesDir,
 * swaps profiles and senders without dropping TCP/TLS connections or mappings; a broken
 * edit is refused, logged as file:line:col, and the running configuration stays.
 */
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../support/certs.js';
import { StreamClient, esmLeef, panosField } from '../support/listener-clients.js';
import { ListenerProcess, cleanupListeners } from '../support/listener.js';
import { baseConfig, merge, writeConfig, type ConfigPatch } from '../support/listener-config.js';

/** A profile the shipped set lacks: "VPN-LOGIN user=U ip=A". */
const CUSTOM_PROFILE = `name: custom-vpn
type: regex
event: login
eventRegex: 'VPN-LOGIN'
usernameRegex: 'user=(\\w+)'
addressRegex: 'ip=([0-9.]+)'
samples:
  - message: 'VPN-LOGIN user=eve ip=10.9.0.1'
    expect: [{ user: eve, ip: 10.9.0.1, event: login }]
`;

const senders = (extra: ConfigPatch = {}) => ({
  senders: [
    { name: 'lo', address: '127.0.0.1', transports: ['udp', 'tcp', 'tls'], ...extra },
    { name: 'second', address: '127.0.0.2', transports: ['tcp'] },
  ],
});

describe('hot reload of the running listener', () => {
  let listener: ListenerProcess;
  let tls: StreamClient;
  let tcp: StreamClient;
  const config = (patch: ConfigPatch) => merge(baseConfig(listener.dir, listener.ports), patch);

  beforeAll(async () => {
    listener = await ListenerProcess.start({ config: senders() });
    tls = await StreamClient.connect(listener.ports.tls, { tls: { pki: testPki().trusted } });
    tcp = await StreamClient.connect(listener.ports.tcp);
    await tls.send(esmLeef('jdoe', '10.1.2.3'), 'octet');
    await tcp.send(esmLeef('ann', '10.1.2.5'), 'lf');
    await listener.waitForMapping('10.1.2.3', 'jdoe');
    await listener.waitForMapping('10.1.2.5', 'ann');
  }, 60_000);
  afterAll(cleanupListeners);

  it('SIGHUP applies new senders to open TLS and TCP connections, keeps them and the mappings, and closes only a removed sender', async () => {
    const removed = await StreamClient.connect(listener.ports.tcp, { from: '127.0.0.2' });
    await removed.send(esmLeef('sam', '10.1.2.6'), 'lf');
    await listener.waitForMapping('10.1.2.6', 'sam');

    await writeConfig(listener.configFile, config({ senders: [{ name: 'lo', address: '127.0.0.1', transports: ['udp', 'tcp', 'tls'], defaultDomain: 'ACME' }] }));
    const mark = listener.mark();
    listener.signal('SIGHUP');
    await listener.waitForLog((l) => l.msg === 'reload applied' && l.reason === 'SIGHUP', { after: mark });

    await removed.closed; // its sender is gone: closed as sender_removed
    expect(listener.lines.slice(mark).find((l) => l.event === 'connection-closed')).toMatchObject({ reason: 'sender_removed', address: '127.0.0.2' });
    await tls.send(esmLeef('jdoe2', '10.1.2.7'), 'octet');
    await tcp.send(esmLeef('ann2', '10.1.2.8'), 'lf');
    expect((await listener.waitForMapping('10.1.2.7')).user).toBe('ACME\\jdoe2'); // the new defaultDomain, on the old connection
    expect((await listener.waitForMapping('10.1.2.8')).user).toBe('ACME\\ann2');
    expect(tls.isClosed || tcp.isClosed).toBe(false);
    for (const [ip, user] of [['10.1.2.3', 'jdoe'], ['10.1.2.5', 'ann'], ['10.1.2.6', 'sam']]) {
      expect((await listener.mapping(ip!))?.user).toBe(user);
    }
  });

  it('reloads when a file in profilesDir changes, and the new profile reads messages on an open connection', async () => {
    const mark = listener.mark();
    await writeFile(join(listener.dir, 'profiles', 'custom-vpn.yaml'), CUSTOM_PROFILE);
    await listener.waitForLog((l) => l.msg === 'reload applied' && l.reason === 'profilesDir changed', { after: mark });
    await tls.send('VPN-LOGIN user=eve ip=10.9.0.1', 'octet');
    expect((await listener.waitForMapping('10.9.0.1')).profile).toBe('custom-vpn');
  });

  it('refuses a profile RE2 cannot compile (lookahead), logs file:line:col, and keeps the running profiles', async () => {
    const file = join(listener.dir, 'profiles', 'broken.yaml');
    const mark = listener.mark();
    await writeFile(file, CUSTOM_PROFILE.replace('custom-vpn', 'broken').replace("'VPN-LOGIN'", "'(?=VPN)VPN-LOGOUT'"));
    await listener.waitForLog('reload refused', { after: mark });
    const issue = listener.lines.slice(mark).find((l) => l.code === 'UID_ERR_PROFILE_REGEX');
    expect(issue?.msg).toMatch(new RegExp(`^${escape(file)}:4:\\d+ `));
    expect(listener.lines.slice(mark).some((l) => l.msg === 'reload applied')).toBe(false);

    await tcp.send('VPN-LOGIN user=fay ip=10.9.0.2', 'lf');
    expect((await listener.waitForMapping('10.9.0.2')).profile).toBe('custom-vpn');
    await rm(file);
    await listener.waitForLog('reload applied', { after: mark });
  });

  it('refuses a config with a YAML typo on SIGHUP, logs file:line:col, and keeps the running senders', async () => {
    await writeFile(listener.configFile, 'syslog:\n  udp: { host: 127.0.0.1, port: 1\nsenders: []\n');
    const mark = listener.mark();
    listener.signal('SIGHUP');
    await listener.waitForLog('reload refused', { after: mark });
    const issue = listener.lines.slice(mark).find((l) => l.code === 'UID_ERR_CONFIG_YAML');
    expect(issue?.msg).toMatch(new RegExp(`^${escape(listener.configFile)}:\\d+:\\d+ `));

    await tcp.send(panosField('ACME\\gus', '10.9.0.3'), 'lf');
    expect((await listener.waitForMapping('10.9.0.3')).user).toBe('ACME\\gus');
    expect(tls.isClosed || tcp.isClosed).toBe(false);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
