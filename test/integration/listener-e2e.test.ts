/**
 * The "Done when" of issues 3 and 4 against the real `uid-listener start` process: the
 * KB's ESM LEEF message over UDP and TLS, util-linux logger over UDP and TCP, mappings
 * kept across a graceful restart, SIGTERM exiting 0, and a port in use failing with one
 * clear line.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../support/certs.js';
import { StreamClient, esmLeef, sendUdp, type Framing } from '../support/listener-clients.js';
import { ListenerProcess, cleanupListeners } from '../support/listener.js';
import { freePorts } from '../support/listener-config.js';
import { hasLogger } from './syslog-support.js';

const run = promisify(execFile);

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
});
