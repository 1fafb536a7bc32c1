/**
 * Security guarantees of the running listener (issue 7 item 2): nobody but a configured
 * sender injects a mapping, over any transport; requireClientCert refuses missing and
 * untrusted certificates; the HTTP API wants a token and will not start off loopback
 * without one; no configured secret ever reaches the log, even at debug level with
 * failing TACACS+ servers and failing HTTP auths; and no profile can make matching
 * super-linear (RE2).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileSet } from '../../src/identify/profile-set.js';
import type { Sender } from '../../src/syslog/message.js';
import { testPki } from '../support/certs.js';
import { StreamClient, UdpClient, esmLeef, sendUdp } from '../support/listener-clients.js';
import { ListenerProcess, cleanupListeners, metric } from '../support/listener.js';
import { freePorts, listenerDir } from '../support/listener-config.js';
import { closedPort } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';

/** Every secret the listener is configured with, each written a different way. */
const SECRET = {
  tacacsInline: 'inline-tacacs-secret-4d1c7e',
  tacacsEnv: 'env-tacacs-secret-a97f02',
  tacacsFile: 'file-tacacs-secret-5be830',
  tokenInline: 'inline-http-token-77c2d9',
  tokenEnv: 'env-http-token-0f4a61',
  tokenFile: 'file-http-token-e38b15',
};

const servers: TacacsTestServer[] = [];

describe('security of the running listener', () => {
  const pki = testPki();
  let listener: ListenerProcess;
  let rightKey: TacacsTestServer;

  beforeAll(async () => {
    const wrongKey = await TacacsTestServer.start({ key: 'the-server-has-another-key' });
    rightKey = await TacacsTestServer.start({ key: SECRET.tacacsFile });
    servers.push(wrongKey, rightKey);
    const dir = await listenerDir();
    await writeFile(join(dir, 'tacacs.secret'), `${SECRET.tacacsFile}\n`);
    await writeFile(join(dir, 'tokens'), `${SECRET.tokenFile}\n`);
    listener = await ListenerProcess.start({
      dir,
      env: { UID_TEST_TACACS: SECRET.tacacsEnv, UID_TEST_TOKEN: SECRET.tokenEnv },
      config: {
        syslog: { tls: { requireClientCert: true } },
        http: { tokens: [SECRET.tokenInline, '${UID_TEST_TOKEN}'], tokensFile: join(dir, 'tokens') },
        accounting: {
          mode: 'start-stop',
          retryIntervalSeconds: 1,
          groups: [{
            name: 'primary',
            servers: [ // a wrong key, then a server that is down, then the right one
              { host: '127.0.0.1', port: wrongKey.port, secret: SECRET.tacacsInline, timeoutMs: 1000, connectTimeoutMs: 500 },
              { host: '127.0.0.1', port: await closedPort(), secret: '${UID_TEST_TACACS}', timeoutMs: 1000, connectTimeoutMs: 500 },
              { host: '127.0.0.1', port: rightKey.port, secretFile: join(dir, 'tacacs.secret'), timeoutMs: 1000 },
            ],
          }],
        },
        log: { level: 'debug' },
      },
    });
    listener.token = SECRET.tokenInline;
  }, 60_000);

  afterAll(async () => {
    await cleanupListeners();
    for (const s of servers.splice(0)) await s.kill();
  });

  it('takes no mapping from an address that is not a sender, over UDP, TCP or TLS', async () => {
    const { udp, tcp, tls } = listener.ports;
    await sendUdp(udp, esmLeef('mallory', '10.6.6.1'), '127.0.0.2');
    const overTcp = await StreamClient.connect(tcp, { from: '127.0.0.2' });
    await overTcp.send(esmLeef('mallory', '10.6.6.2'), 'lf').catch(() => undefined);
    const overTls = await StreamClient.connect(tls, { from: '127.0.0.2', tls: { pki: pki.trusted, cert: pki.trusted } });
    await overTls.send(esmLeef('mallory', '10.6.6.3'), 'octet').catch(() => undefined);
    await Promise.all([overTcp.closed, overTls.closed]); // closed at accept
    await sendUdp(udp, esmLeef('alice', '10.6.6.9')); // the same from the sender: mapped
    await listener.waitForMapping('10.6.6.9', 'alice');

    for (const ip of ['10.6.6.1', '10.6.6.2', '10.6.6.3']) expect(await listener.mapping(ip)).toBeNull();
    const m = await listener.metrics();
    for (const transport of ['udp', 'tcp', 'tls']) {
      expect(metric(m, 'uid_syslog_messages_total', { transport, outcome: 'unknown_sender' })).toBe(1);
    }
    expect(metric(m, 'uid_syslog_connections_refused_total', { transport: 'tls', reason: 'unknown_sender' })).toBe(1);
    expect(listener.lines.filter((l) => l.event === 'unknown-sender').map((l) => l.transport).sort()).toEqual(['tcp', 'tls', 'udp']);
  });

  it('with requireClientCert refuses a TLS sender without a certificate or with an untrusted one, and takes a trusted one', async () => {
    const mark = listener.mark();
    const none = await StreamClient.connect(listener.ports.tls, { tls: { pki: pki.trusted } });
    await none.send(esmLeef('nocert', '10.7.0.1'), 'octet').catch(() => undefined);
    const untrusted = await StreamClient.connect(listener.ports.tls, { tls: { pki: pki.trusted, cert: pki.other } });
    await untrusted.send(esmLeef('untrusted', '10.7.0.2'), 'octet').catch(() => undefined);
    await Promise.all([none.closed, untrusted.closed]);
    const trusted = await StreamClient.connect(listener.ports.tls, { tls: { pki: pki.trusted, cert: pki.trusted } });
    await trusted.send(esmLeef('trusted', '10.7.0.3'), 'octet');
    await listener.waitForMapping('10.7.0.3', 'trusted');
    trusted.destroy();

    expect(await listener.mapping('10.7.0.1')).toBeNull();
    expect(await listener.mapping('10.7.0.2')).toBeNull();
    const refusals = listener.lines.slice(mark).filter((l) => l.event === 'connection-closed');
    expect(refusals.map((l) => l.reason)).toEqual(['certificate_rejected', 'certificate_rejected']);
    expect(refusals.map((l) => String(l.detail))).toEqual(expect.arrayContaining([
      'no client certificate (requireClientCert)', expect.stringMatching(/is not trusted/),
    ]));
  });

  it('answers API requests only with a configured bearer token (health excepted)', async () => {
    expect((await listener.http('GET', '/v1/mappings/10.6.6.9')).status).toBe(401);
    expect((await listener.http('GET', '/v1/mappings/10.6.6.9', { token: 'not-a-token' })).status).toBe(401);
    expect((await listener.http('GET', '/metrics', { token: `${SECRET.tokenInline}x` })).status).toBe(401);
    for (const token of [SECRET.tokenInline, SECRET.tokenEnv, SECRET.tokenFile]) {
      expect((await listener.http('GET', '/v1/mappings/10.6.6.9', { token })).body).toMatchObject({ user: 'alice' });
    }
    expect((await listener.http('GET', '/healthz')).status).toBe(200);
  });

  it('refuses to start with the API off loopback and no token: exit 1, one file:line:col line', async () => {
    const open = await ListenerProcess.start({ config: { http: { host: '0.0.0.0' } } }, await freePorts());
    expect((await open.exited).code).toBe(1);
    const lines = open.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/config\.yaml:\d+:\d+ http\.host 0\.0\.0\.0 is reachable from other machines but no bearer token is set/);
  });

  it('writes no configured secret to its log, at debug level, with a wrong-key server, a dead server and failed auths', async () => {
    await sendUdp(listener.ports.udp, esmLeef('bob', '10.6.7.1'));
    await rightKey.waitFor(() => rightKey.requests.some((r) => r.remAddr === '10.6.7.1'), 15_000, 'the START through the third server');
    await listener.http('GET', '/v1/accounting', { token: SECRET.tokenEnv });
    await listener.http('GET', '/v1/events', { token: `${SECRET.tokenFile}-wrong` });
    expect(await listener.stop()).toEqual({ code: 0, signal: null });

    // The failures the scan is about did happen and were logged.
    const codes = new Set(listener.lines.map((l) => l.code));
    expect(codes).toContain('UID_ERR_TACACS_DECODE');
    expect(codes).toContain('UID_ERR_TACACS_CONNECT');
    expect(listener.lines.some((l) => l.level === 20)).toBe(true); // debug lines were written
    const output = listener.output;
    for (const [name, secret] of Object.entries(SECRET)) {
      expect(output.includes(secret), `${name} appears in the log`).toBe(false);
    }
    const keyBody = readFileSync(pki.trusted.path('server.key'), 'utf8').split('\n').filter((l) => l.length >= 40);
    for (const line of keyBody) expect(output.includes(line), 'the TLS private key appears in the log').toBe(false);
  });
});

describe('profile matching time', () => {
  it('stays linear in the message length for patterns that backtrack exponentially elsewhere (RE2)', () => {
    const set = ProfileSet.compile([{
      name: 'pathological', type: 'regex', event: 'login',
      eventRegex: '(a+)+$', usernameRegex: '(a|aa)+(a|aa)+b', addressRegex: '((\\d+\\.?)+)+x',
    }]);
    const sender: Sender = { name: 's', address: '127.0.0.1', transports: ['udp'] };
    const matcher = set.forSender(sender);
    const message = (n: number) => Buffer.from(`${'a'.repeat(n)}! ${'1.'.repeat(n / 2)}!${'a'.repeat(n)}`);
    /** Fastest of several runs: the machine's load only ever adds time. */
    const time = (data: Buffer) => {
      let best = Infinity;
      for (let i = 0; i < 7; i++) {
        const started = performance.now();
        matcher.match(data, sender, () => undefined);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const small = message(2048);
    const large = message(16_384); // 8× longer, about 64 KiB: maxMessageBytes by default
    time(small); // warm up
    const [t1, t8] = [time(small), time(large)];
    expect(t8 / Math.max(t1, 0.05)).toBeLessThan(30); // linear: about 8; exponential would never finish
    expect(t8).toBeLessThan(250);
  });
});
