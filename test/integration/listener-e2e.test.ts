/**
 * The "Done when" of issues 3 and 4 against the real `uid-listener start` process: the
 * KB's ESM LEEF message over UDP and TLS, util-linux logger over UDP and TCP, mappings
 * kept across a graceful restart, SIGTERM exiting 0, and a port in use or a port it may
 * not bind (EACCES) failing with one clear line.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../support/certs.js';
import { StreamClient, esmLeef, sendUdp, type Framing } from '../support/listener-clients.js';
import { ListenerProcess, cleanupListeners } from '../support/listener.js';
import { freePorts } from '../support/listener-config.js';
import { hasLogger } from './syslog-support.js';

const run = promisify(execFile);

/** The lowest port anyone may bind (Linux; containers sometimes lower it to 0). */
const unprivilegedPortStart = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  } catch {
    return 1024;
  }
})();
/** Root keeps file access but loses the right to bind low ports (util-linux setpriv). */
const WITHOUT_BIND_PRIVILEGE = process.getuid?.() === 0
  ? ['setpriv', '--bounding-set=-net_bind_service', '--inh-caps=-net_bind_service']
  : [];

/** util-linux logger sending one message to 127.0.0.1:port. */
async function logger(port: number, args: string[], message: string): Promise<void> {
  await run('logger', [...args, '-n', '127.0.0.1', '-P', String(port), '-t', 'esm', message], { timeout: 10_000 });
}

describe('uid-listener start, end to end', () => {
  let listener: ListenerProcess;
  beforeAll(async () => {
    listener = await ListenerProcess.start();
  }, 60_000);
  afterAll(cleanupListeners);

  it("maps jdoe to 10.1.2.3 from the KB's ESM LEEF message over UDP and over TLS (octet and LF framing)", async () => {
    await sendUdp(listener.ports.udp, `<14>Mar 14 09:12:01 esm01 ${esmLeef()}`);
    expect(await listener.waitForMapping('10.1.2.3', 'jdoe')).toMatchObject({ user: 'jdoe', sender: 'lo', profile: 'traps-esm-leef' });

    for (const framing of ['octet', 'lf'] as Framing[]) {
      expect((await listener.http('DELETE', '/v1/mappings/10.1.2.3')).status).toBe(204);
      expect(await listener.mapping('10.1.2.3')).toBeNull();
      const tls = await StreamClient.connect(listener.ports.tls, { tls: { pki: testPki().trusted } });
      await tls.send(esmLeef(), framing);
      expect(await listener.waitForMapping('10.1.2.3', 'jdoe')).toMatchObject({ sender: 'lo', profile: 'traps-esm-leef' });
      tls.destroy();
    }
  });

  it.skipIf(!hasLogger)('maps what util-linux logger sends with --udp, --tcp --octet-count --rfc5424 and --tcp --rfc3164 (skipped only when logger is not installed)', async () => {
    await logger(listener.ports.udp, ['--udp'], esmLeef('alice', '10.2.0.1'));
    await logger(listener.ports.tcp, ['--tcp', '--octet-count', '--rfc5424'], esmLeef('bob', '10.2.0.2'));
    await logger(listener.ports.tcp, ['--tcp', '--rfc3164'], esmLeef('carol', '10.2.0.3'));
    expect((await listener.waitForMapping('10.2.0.1')).user).toBe('alice');
    expect((await listener.waitForMapping('10.2.0.2')).user).toBe('bob');
    expect((await listener.waitForMapping('10.2.0.3')).user).toBe('carol');
  });

  it('exits 0 on SIGTERM and has the mapping again after the restart (snapshot on graceful stop)', async () => {
    await sendUdp(listener.ports.udp, esmLeef('dave', '10.3.0.1'));
    await listener.waitForMapping('10.3.0.1', 'dave');
    expect(await listener.stop()).toEqual({ code: 0, signal: null });
    expect(listener.lines.map((l) => l.msg)).toContain('uid-listener stopped');
    expect(listener.stderr).toBe('');

    listener = await listener.restart();
    expect(await listener.mapping('10.3.0.1')).toMatchObject({ user: 'dave', sender: 'lo' });
    expect(listener.lines.find((l) => l.event === 'snapshot-restored')).toMatchObject({ expired: 0 });
  });

  it('fails with exit 1 and one clear line on stderr when a port is in use (HTTP, then syslog UDP)', async () => {
    const [httpClash, syslogClash] = await Promise.all([
      ListenerProcess.start({}, { ...(await freePorts()), http: listener.ports.http }),
      ListenerProcess.start({}, { ...(await freePorts()), udp: listener.ports.udp }),
    ]);
    expect((await httpClash.exited).code).toBe(1);
    expect((await syslogClash.exited).code).toBe(1);

    const [http, udp] = [httpClash.stderr, syslogClash.stderr].map((text) => text.trimEnd().split('\n'));
    expect(http).toHaveLength(1);
    expect(http![0]).toMatch(new RegExp(`^uid-listener: the HTTP API cannot listen on 127\\.0\\.0\\.1:${listener.ports.http}: another process uses it.*http\\.port`));
    expect(udp).toHaveLength(1);
    expect(udp![0]).toMatch(new RegExp(`^uid-listener: cannot listen on syslog udp 127\\.0\\.0\\.1:${listener.ports.udp}: the address is already in use.*syslog\\.udp\\.port`));
    // The running listener was not disturbed.
    expect(await listener.mapping('10.3.0.1')).toMatchObject({ user: 'dave' });
  });

  it.skipIf(unprivilegedPortStart <= 514)('fails with exit 1 and one line saying how to grant the privilege when it may not bind port 514 (as root: through setpriv, without CAP_NET_BIND_SERVICE)', async () => {
    const denied = await ListenerProcess.start({ wrapper: WITHOUT_BIND_PRIVILEGE }, { ...(await freePorts()), udp: 514 });
    expect((await denied.exited).code).toBe(1);
    const lines = denied.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^uid-listener: cannot listen on syslog udp 127\.0\.0\.1:514: permission denied.*setcap 'cap_net_bind_service=\+ep'.*AmbientCapabilities=CAP_NET_BIND_SERVICE.*syslog\.udp\.port/);
  });
});
