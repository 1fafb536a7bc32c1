/**
 * A real Squid (Debian `squid`, 5.x) asking `uid-listener squid-helper` through
 * external_acl_type, plain and with concurrency=8: a mapped client (sending from
 * 127.0.0.2) is let through with its user in access.log, an unmapped one (127.0.0.3) is
 * denied; with the listener stopped both are refused and Squid stays up (the helper says
 * BH, not ERR, and does not exit), and once the listener is back the mapped client passes.
 * The squid.conf below is the one docs/integrations.md shows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esmLeef, sendUdp } from '../support/listener-clients.js';
import { ListenerProcess, MAIN, cleanupListeners, waitUntil } from '../support/listener.js';
import { freePort, get, openTempDir, startOrigin, startProxy, type ProxyProcess } from '../support/proxy-servers.js';

const SQUID = '/usr/sbin/squid';
const TOKEN = 'squid-helper-test-token';
const MAPPED = '127.0.0.2';
const UNMAPPED = '127.0.0.3';

/**
 * Squid started as root runs its helpers as `proxy`, which may not be able to enter the
 * checkout (a home folder, say): the helper runs from a copy of dist/ in Squid's temp
 * folder. Node itself must be executable by `proxy`; that is checked first, with a clear message.
 */
async function installHelper(dir: string): Promise<string> {
  const copy = join(dir, 'uid-listener', 'dist');
  await cp(dirname(MAIN), copy, { recursive: true });
  await chmod(join(dir, 'uid-listener'), 0o755);
  return join(copy, 'main.js');
}

function nodeRunsAsProxy(): string | null {
  if (process.getuid?.() !== 0) return null; // not root: Squid keeps our user for its helpers
  const probe = spawnSync('runuser', ['-u', 'proxy', '--', process.execPath, '-e', ''], { encoding: 'utf8' });
  return probe.status === 0 ? null : `the user proxy cannot run ${process.execPath}: ${probe.stderr || probe.error?.message}`;
}

function squidConf(dir: string, port: number, listenerPort: number, concurrency: number | undefined, helper: string): string {
  const options = ['ttl=0', 'negative_ttl=0', 'children-max=3', ...(concurrency === undefined ? [] : [`concurrency=${concurrency}`])];
  return `
http_port 127.0.0.1:${port}
pid_filename ${dir}/squid.pid
cache_effective_user proxy
cache_log ${dir}/cache.log
coredump_dir ${dir}
cache deny all
shutdown_lifetime 0 seconds
logformat uid %>a %ue %Ss/%03>Hs %rm %ru
access_log stdio:${dir}/access.log uid

external_acl_type uid_user ${options.join(' ')} %SRC ${process.execPath} ${helper} squid-helper --url http://127.0.0.1:${listenerPort} --token-file ${dir}/token
acl uid_mapped external uid_user
http_access allow uid_mapped
http_access deny all
`;
}

async function startSquid(listenerPort: number, concurrency?: number): Promise<ProxyProcess> {
  const dir = await openTempDir('uid-squid-');
  const port = await freePort();
  await writeFile(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o644 });
  await writeFile(join(dir, 'squid.conf'), squidConf(dir, port, listenerPort, concurrency, await installHelper(dir)));
  return startProxy(dir, port, 'cache.log', SQUID, ['-N', '-f', join(dir, 'squid.conf')]);
}

/** The request lines of access.log (the start-up probe of the port logs a line without a request). */
const accessLog = async (squid: ProxyProcess) => (await readFile(join(squid.dir, 'access.log'), 'utf8').catch(() => ''))
  .split('\n').filter((line) => line.includes(' GET ')).join('\n');

describe.skipIf(!existsSync(SQUID))('Squid with uid-listener squid-helper', () => {
  let listener: ListenerProcess;
  let origin: { port: number; server: Server };

  beforeAll(async () => {
    const cannot = nodeRunsAsProxy();
    if (cannot !== null) throw new Error(cannot);
    origin = await startOrigin();
    listener = await ListenerProcess.start({
      config: {
        senders: [{ name: 'lo', address: '127.0.0.1', transports: ['udp'], defaultDomain: 'ACME' }],
        http: { tokens: [TOKEN] },
      },
    });
    listener.token = TOKEN;
    await sendUdp(listener.ports.udp, esmLeef('alice', MAPPED));
    await listener.waitForMapping(MAPPED, 'ACME\\alice');
  }, 60_000);

  afterAll(async () => {
    await cleanupListeners();
    await new Promise((resolve) => origin.server.close(resolve));
  });

  for (const concurrency of [undefined, 8]) {
    const mode = concurrency === undefined ? 'plain' : `concurrency=${concurrency}`;

    it(`allows the mapped client with its user and denies the unmapped one (${mode})`, async () => {
      const squid = await startSquid(listener.ports.http, concurrency);
      try {
        const url = `http://127.0.0.1:${origin.port}/page`;
        const allowed = await get(squid.port, url, MAPPED);
        expect(allowed.status, await squid.log()).toBe(200);
        expect(JSON.parse(allowed.body).path).toBe('/page');
        const denied = await get(squid.port, url, UNMAPPED);
        expect(denied.status).toBe(403);
        // Several at once: with concurrency= they share a helper, each answered under its own id.
        const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => get(squid.port, `${url}?n=${i}`, i % 2 === 0 ? MAPPED : UNMAPPED)));
        expect(burst.map((r) => r.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 200 : 403)));

        await waitUntil(async () => (await accessLog(squid)).split('\n').length >= 14, 'access.log lines');
        const lines = (await accessLog(squid)).split('\n');
        expect(lines[0]).toMatch(new RegExp(`^${MAPPED.replace(/\./g, '\\.')} ACME\\\\alice TCP_MISS/200 GET http://127\\.0\\.0\\.1:${origin.port}/page$`));
        expect(lines[1]).toMatch(new RegExp(`^${UNMAPPED.replace(/\./g, '\\.')} - TCP_DENIED/403 GET `));
      } finally {
        await squid.stop();
      }
    }, 60_000);
  }

  it('refuses clients while the listener is down, stays up, and lets them pass once it is back (concurrency=8)', async () => {
    const squid = await startSquid(listener.ports.http, 8);
    try {
      const url = `http://127.0.0.1:${origin.port}/`;
      expect((await get(squid.port, url, MAPPED)).status).toBe(200);
      await listener.stop();
      for (let i = 0; i < 5; i++) expect((await get(squid.port, url, MAPPED)).status).toBe(403);
      expect(squid.child.exitCode).toBeNull();
      expect(await squid.log()).toMatch(/squid-helper: \d+ request\(s\) answered BH: cannot reach the listener/);

      listener = await listener.restart();
      listener.token = TOKEN;
      await sendUdp(listener.ports.udp, esmLeef('alice', MAPPED));
      await listener.waitForMapping(MAPPED, 'ACME\\alice');
      expect((await get(squid.port, url, MAPPED)).status).toBe(200);
      expect((await get(squid.port, url, UNMAPPED)).status).toBe(403);
      expect(squid.child.exitCode).toBeNull();
      await waitUntil(async () => (await accessLog(squid)).split('\n').length >= 8, 'access.log lines');
      expect((await accessLog(squid)).split('\n').slice(-2)).toEqual([
        expect.stringMatching(/^127\.0\.0\.2 ACME\\alice TCP_MISS\/200 GET /),
        expect.stringMatching(/^127\.0\.0\.3 - TCP_DENIED\/403 GET /),
      ]);
    } finally {
      await squid.stop();
    }
  }, 60_000);
});
