/**
 * Hostile input over real sockets into the whole listener (in process), with the
 * contract's counters as the oracle (issue 7 item 1): for UDP and for framed TCP streams,
 * accepted + unknown_sender + oversize + malformed = what was sent, outcome by outcome;
 * bad octet counts close the connection and are counted; TLS connections that stall in
 * the handshake or mid-frame are closed by the timeouts, and their partial frame counted.
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trimmedEnd } from '../../src/syslog/framing.js';
import { testPki } from '../support/certs.js';
import { StreamClient, UdpClient, esmLeef } from '../support/listener-clients.js';
import { InProcessListener, cleanupListeners, metric, waitUntil } from '../support/listener.js';
import { fuzzParams, fuzzTimeout } from './scale.js';

const MAX = 480; // the smallest maxMessageBytes: oversize input is cheap to make
const OUTCOMES = ['accepted', 'unknown_sender', 'oversize', 'malformed'] as const;
type Outcome = (typeof OUTCOMES)[number];
type Counts = Record<Outcome, number>;

let listener: InProcessListener;
beforeAll(async () => {
  listener = await InProcessListener.start({ config: { syslog: { maxMessageBytes: MAX, idleTimeoutSeconds: 1, handshakeTimeoutSeconds: 1 } } });
});
afterAll(cleanupListeners);

async function counts(transport: string): Promise<Counts> {
  const m = await listener.metrics();
  return Object.fromEntries(OUTCOMES.map((outcome) => [outcome, metric(m, 'uid_syslog_messages_total', { transport, outcome })])) as Counts;
}

function zero(): Counts {
  return { accepted: 0, unknown_sender: 0, oversize: 0, malformed: 0 };
}

/** Waits until `transport`'s counters moved by `expected` in total, then returns by how much each moved. */
async function delta(transport: string, before: Counts, expected: number): Promise<Counts> {
  let now = before;
  const moved = () => OUTCOMES.reduce((sum, o) => sum + now[o] - before[o], 0);
  await waitUntil(async () => {
    now = await counts(transport);
    return moved() >= expected;
  }, `${expected} ${transport} messages counted`);
  return Object.fromEntries(OUTCOMES.map((o) => [o, now[o] - before[o]])) as Counts;
}

/** One line of input: bytes without LF (a UDP datagram, or an LF-framed stream line). */
const line = fc.oneof(
  { arbitrary: fc.tuple(fc.string({ maxLength: 12 }), fc.ipV4()).map(([user, ip]) => Buffer.from(esmLeef(user.replace(/\W/g, 'u') || 'u', ip))), weight: 3 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))), weight: 3 },
  { arbitrary: fc.integer({ min: MAX + 1, max: 4 * MAX }).map((n) => Buffer.alloc(n, 0x78)), weight: 1 },
  { arbitrary: fc.constantFrom('\0', '\r', '\0\0\r', '').map((s) => Buffer.from(s)), weight: 1 },
);

function outcome(data: Buffer): Outcome {
  if (data.length > MAX) return 'oversize';
  return trimmedEnd(data, 0, data.length) === 0 ? 'malformed' : 'accepted';
}

describe('the counters account for every message', () => {
  it('UDP: every datagram is accepted, unknown_sender, oversize or malformed, as the model says', async () => {
    const sender = new UdpClient(listener.ports.udp);
    const stranger = new UdpClient(listener.ports.udp, '127.0.0.2');
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(line, fc.boolean()), { minLength: 1, maxLength: 150 }), async (datagrams) => {
      const before = await counts('udp');
      const expected = zero();
      for (const [i, [data, fromStranger]] of datagrams.entries()) {
        expected[fromStranger ? 'unknown_sender' : outcome(data)]++;
        await (fromStranger ? stranger : sender).send(data);
        if (i % 40 === 39) await delta('udp', before, i + 1); // bursts any receive buffer holds: UDP has no back-pressure
      }
      expect(await delta('udp', before, datagrams.length)).toEqual(expected);
    }), fuzzParams(6));
    sender.close();
    stranger.close();
  }, fuzzTimeout(20_000));

  it('TCP, LF framing: every frame is accepted, oversize or malformed, as the model says', async () => {
    await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 150 }), async (lines) => {
      const before = await counts('tcp');
      const client = await StreamClient.connect(listener.ports.tcp);
      const expected = zero();
      const frames = [Buffer.from('LEEF:first line, so that LF framing is chosen'), ...lines];
      for (const data of frames) if (!(data.length === 0 || (data.length === 1 && data[0] === 0x0d))) expected[outcome(data)]++;
      await client.write(Buffer.concat(frames.flatMap((f) => [f, Buffer.from('\n')])));
      client.socket.end();
      await client.closed;
      const total = OUTCOMES.reduce((sum, o) => sum + expected[o], 0);
      expect(await delta('tcp', before, total)).toEqual(expected);
    }), fuzzParams(6));
  }, fuzzTimeout(20_000));
});

describe('bad octet counts over real TCP', () => {
  for (const [bad, failure] of [['0 x', 'count-zero'], ['-5 x', 'count-not-digit'], ['1234567890 xyz', 'count-too-large'], ['12ab x', 'count-not-digit']]) {
    it(`"${bad}" after a good frame closes the connection (${failure}), counted malformed; the listener carries on`, async () => {
      const before = await counts('tcp');
      const mark = listener.mark();
      const client = await StreamClient.connect(listener.ports.tcp);
      await client.write(`5 hello${bad}`);
      await client.closed;
      expect(await delta('tcp', before, 2)).toEqual({ ...zero(), accepted: 1, malformed: 1 });
      expect(await listener.waitForLog((l) => l.event === 'connection-closed', { after: mark })).toMatchObject({ reason: 'framing_error', detail: failure });
    });
  }

  it('a first byte that is not a digit 1-9 ("0 x", "-5 x") selects LF framing: those are messages', async () => {
    const before = await counts('tcp');
    const client = await StreamClient.connect(listener.ports.tcp);
    await client.write('0 x\n-5 y\n');
    client.socket.end();
    await client.closed;
    expect(await delta('tcp', before, 2)).toEqual({ ...zero(), accepted: 2 });
  });
});

describe('stalled TLS connections', () => {
  it('are closed by the handshake timeout (nothing, or half a ClientHello, sent) and by the idle timeout mid-frame, which counts the partial frame', async () => {
    const before = await counts('tls');
    const silent = connect({ host: '127.0.0.1', port: listener.ports.tls });
    const halfHello = connect({ host: '127.0.0.1', port: listener.ports.tls }, () => halfHello.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])));
    for (const s of [silent, halfHello]) s.on('error', () => {});
    const octet = await StreamClient.connect(listener.ports.tls, { tls: { pki: testPki().trusted } });
    await octet.write('100 only the start of a frame');
    const lf = await StreamClient.connect(listener.ports.tls, { tls: { pki: testPki().trusted } });
    await lf.write('LEEF: a line without its LF');
    await Promise.all([...[silent, halfHello].map((s) => new Promise((resolve) => s.once('close', resolve))), octet.closed, lf.closed]);

    const m = await listener.metrics();
    expect(metric(m, 'uid_syslog_connections_closed_total', { transport: 'tls', reason: 'handshake_timeout' })).toBeGreaterThanOrEqual(2);
    expect(metric(m, 'uid_syslog_connections_closed_total', { transport: 'tls', reason: 'idle_timeout' })).toBeGreaterThanOrEqual(2);
    expect(await delta('tls', before, 2)).toEqual({ ...zero(), malformed: 2 });
    expect((await listener.http('GET', '/healthz')).body.status).toBe('ok');
  });
});
