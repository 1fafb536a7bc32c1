import { connect as tcpConnect, type Socket } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { UidError } from '../../src/errors.js';
import type { MessageHandler } from '../../src/syslog/message.js';
import { SenderTable } from '../../src/syslog/senders.js';
import { TlsSource } from '../../src/syslog/tls.js';
import { testPki } from '../support/certs.js';
import { ELSEWHERE, LOOPBACK, closed, eventLog, loopbackSenders, recorder, waitFor } from './syslog-support.js';

const { trusted, other } = testPki();
const sources: TlsSource[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const source of sources.splice(0)) await source.stop();
});

interface Setup {
  senders?: SenderTable;
  requireClientCert?: boolean;
  handshakeMs?: number;
  onEvent?: ReturnType<typeof eventLog>['onEvent'];
}

async function tlsSource(handler: MessageHandler, setup: Setup = {}) {
  const source = new TlsSource({
    host: '127.0.0.1', port: 0,
    cert: trusted.path('server.crt'), key: trusted.path('server.key'), ca: trusted.path('ca.crt'),
    requireClientCert: setup.requireClientCert ?? false,
    handshakeTimeoutMs: setup.handshakeMs ?? 10_000,
    maxMessageBytes: 65536, maxConnections: 100, maxConnectionsPerSender: 100, idleTimeoutMs: 60_000,
    senders: setup.senders ?? loopbackSenders(), handler, onEvent: setup.onEvent,
  });
  await source.start();
  sources.push(source);
  return source;
}

/** A TLS client; resolves once the handshake is done (or the socket closed first). */
async function dial(source: TlsSource, options: ConnectionOptions = {}): Promise<TLSSocket> {
  const socket = connect({ host: '127.0.0.1', port: source.address().port, ca: trusted.ca, servername: 'localhost', ...options });
  socket.on('error', () => {}); // refusals are the point of several tests
  sockets.push(socket);
  await new Promise<void>((resolve) => {
    socket.once('secureConnect', () => resolve());
    socket.once('close', () => resolve());
  });
  return socket;
}

function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

const withClientCert = (pki: typeof trusted) => ({ cert: pki.clientCert, key: pki.clientKey });

describe('TlsSource', () => {
  const wires = { lf: 'first\nsecond\r\nthird\n', octet: '5 first6 second5 third' };
  for (const [framing, wire] of Object.entries(wires)) {
    it(`reads ${framing} framing coalesced in one record and written byte by byte`, async () => {
      const { received, texts, handler } = recorder();
      const source = await tlsSource(handler);
      await write(await dial(source), wire);
      const slow = await dial(source);
      for (const byte of Buffer.from(wire)) await write(slow, Buffer.from([byte])); // one TLS record per byte
      await waitFor(() => texts().length === 6, 'six messages');
      expect(texts()).toEqual(['first', 'second', 'third', 'first', 'second', 'third']);
      expect(received[0]).toMatchObject({ sender: 'loopback', transport: 'tls' });
    });
  }

  it('speaks TLS 1.2 and TLS 1.3', async () => {
    const { texts, handler } = recorder();
    const source = await tlsSource(handler);
    const v12 = await dial(source, { maxVersion: 'TLSv1.2' });
    const v13 = await dial(source, { minVersion: 'TLSv1.3' });
    expect([v12.getProtocol(), v13.getProtocol()]).toEqual(['TLSv1.2', 'TLSv1.3']);
    await write(v12, '6 over12');
    await write(v13, '6 over13');
    await waitFor(() => texts().length === 2, 'both messages');
    expect(texts().sort()).toEqual(['over12', 'over13']);
  });

  describe('requireClientCert', () => {
    it('accepts a client certificate that chains to the CA', async () => {
      const { texts, handler } = recorder();
      const source = await tlsSource(handler, { requireClientCert: true });
      await write(await dial(source, withClientCert(trusted)), 'with cert\n');
      await waitFor(() => texts().length === 1, 'the message');
      expect(source.stats.connections.closed.certificate_rejected).toBe(0);
    });

    for (const [what, options, detail] of [
      ['no certificate', {}, /no client certificate/],
      ['an untrusted certificate', withClientCert(other), /not trusted/],
    ] as const) {
      it(`refuses ${what}`, async () => {
        const { received, handler } = recorder();
        const log = eventLog();
        const source = await tlsSource(handler, { requireClientCert: true, onEvent: log.onEvent });
        const socket = await dial(source, options);
        socket.write('rejected\n');
        await closed(socket);
        await waitFor(() => source.stats.connections.closed.certificate_rejected === 1, 'the refusal to be counted');
        expect(received).toEqual([]);
        expect(log.of('connection-closed')[0]?.detail).toMatch(detail);
      });
    }
  });

  describe('fingerprint pinning (RFC 5425 §4.2.1)', () => {
    const pinned = (fingerprint: string) => new SenderTable([{ ...LOOPBACK, tlsFingerprints: [fingerprint] }]);
    const otherFingerprint = new X509Certificate(other.clientCert).fingerprint256; // AB:CD:… as openssl prints it

    it('accepts the pinned certificate even though no trusted CA issued it', async () => {
      const { texts, handler } = recorder();
      const source = await tlsSource(handler, { senders: pinned(`sha-256:${otherFingerprint}`) });
      await write(await dial(source, withClientCert(other)), 'pinned\n');
      await waitFor(() => texts().length === 1, 'the message');
      expect(texts()).toEqual(['pinned']);
    });

    it('refuses a trusted certificate that is not the pinned one, and a missing one', async () => {
      const log = eventLog();
      const source = await tlsSource(recorder().handler, { senders: pinned(otherFingerprint), requireClientCert: true, onEvent: log.onEvent });
      await closed(await dial(source, withClientCert(trusted)));
      await closed(await dial(source));
      await waitFor(() => source.stats.connections.closed.certificate_rejected === 2, 'two refusals');
      const details = log.of('connection-closed').map((e) => e.detail);
      expect(details).toEqual(expect.arrayContaining([expect.stringMatching(/is not pinned for sender "loopback"/), expect.stringMatching(/pins one/)]));
    });

    it('closes an open connection when a new table pins another certificate', async () => {
      const { texts, handler } = recorder();
      const source = await tlsSource(handler, { senders: pinned(otherFingerprint) });
      const socket = await dial(source, withClientCert(other));
      await write(socket, 'admitted\n');
      await waitFor(() => texts().length === 1, 'the first message');
      source.setSenders(pinned(new X509Certificate(trusted.clientCert).fingerprint256));
      await closed(socket);
      await waitFor(() => source.stats.connections.closed.certificate_rejected === 1, 'the close to be counted');
    });
  });

  it('closes an unknown sender at accept, before any handshake', async () => {
    const log = eventLog();
    const source = await tlsSource(recorder().handler, { senders: ELSEWHERE, onEvent: log.onEvent });
    const socket = await dial(source);
    expect(socket.authorized).toBe(false); // never got to a secure connection
    expect(source.stats.connections.refused.unknown_sender).toBe(1);
    expect(source.stats.connections.accepted).toBe(0);
    expect(log.of('unknown-sender')[0]!.yaml).toContain('transports: [tls]');
  });

  it('closes a connection whose handshake does not finish in time', async () => {
    const source = await tlsSource(recorder().handler, { handshakeMs: 150 });
    const socket = tcpConnect({ host: '127.0.0.1', port: source.address().port });
    socket.on('error', () => {});
    sockets.push(socket);
    await closed(socket);
    await waitFor(() => source.stats.connections.closed.handshake_timeout === 1, 'the timeout to be counted');
  });

  it('closes an idle connection after the idle timeout', async () => {
    const source = new TlsSource({
      host: '127.0.0.1', port: 0, cert: trusted.path('server.crt'), key: trusted.path('server.key'), requireClientCert: false,
      handshakeTimeoutMs: 10_000, maxMessageBytes: 65536, maxConnections: 10, maxConnectionsPerSender: 10, idleTimeoutMs: 150,
      senders: loopbackSenders(), handler: () => {},
    });
    await source.start();
    sources.push(source);
    const socket = await dial(source);
    expect(socket.authorized).toBe(true);
    await closed(socket);
    await waitFor(() => source.stats.connections.closed.idle_timeout === 1, 'the idle close to be counted');
  });

  it('stop() closes established connections and resolves', async () => {
    const { texts, handler } = recorder();
    const source = await tlsSource(handler);
    const socket = await dial(source);
    await write(socket, '4 last');
    await waitFor(() => texts().length === 1, 'the message');
    await source.stop();
    await closed(socket);
    expect(source.stats.connections).toMatchObject({ open: 0, closed: { stopped: 1 } });
  });

  it('survives plain text sent to the TLS port', async () => {
    const log = eventLog();
    const source = await tlsSource(recorder().handler, { onEvent: log.onEvent });
    const socket = tcpConnect({ host: '127.0.0.1', port: source.address().port });
    socket.on('error', () => {});
    sockets.push(socket);
    socket.write('<13>Jan 18 11:07:53 host app: not TLS at all\n');
    await closed(socket);
    await waitFor(() => source.stats.connections.closed.handshake_failed === 1, 'the failure to be counted');
    expect(log.of('connection-closed')[0]?.detail).toMatch(/ERR_SSL|SSL/);
    const { texts, handler } = recorder();
    const next = await tlsSource(handler);
    await write(await dial(next), 'still fine\n');
    await waitFor(() => texts().length === 1, 'a message after the garbage');
  });

  it('refuses to start without its certificate, naming the file', async () => {
    const source = new TlsSource({
      host: '127.0.0.1', port: 0, cert: '/nonexistent/server.crt', key: trusted.path('server.key'), requireClientCert: false,
      handshakeTimeoutMs: 1000, maxMessageBytes: 65536, maxConnections: 1, maxConnectionsPerSender: 1, idleTimeoutMs: 1000,
      senders: loopbackSenders(), handler: () => {},
    });
    const error = (await source.start().catch((e: unknown) => e)) as UidError;
    expect(error).toBeInstanceOf(UidError);
    expect(error.code).toBe('UID_ERR_TLS_MATERIAL');
    expect(error.message).toBe('cannot read syslog.tls.cert /nonexistent/server.crt (ENOENT): check the path and its permissions');
  });

  it('refuses a key that is not the certificate\'s', async () => {
    const source = new TlsSource({
      host: '127.0.0.1', port: 0, cert: trusted.path('server.crt'), key: other.path('server.key'), requireClientCert: false,
      handshakeTimeoutMs: 1000, maxMessageBytes: 65536, maxConnections: 1, maxConnectionsPerSender: 1, idleTimeoutMs: 1000,
      senders: loopbackSenders(), handler: () => {},
    });
    const error = (await source.start().catch((e: unknown) => e)) as UidError;
    expect(error.code).toBe('UID_ERR_TLS_MATERIAL');
    expect(error.message).toContain(trusted.path('server.crt'));
  });
});
