import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { UidError } from '../../src/errors.js';
import { decodeHeader } from '../../src/syslog/header.js';
import type { MessageHandler } from '../../src/syslog/message.js';
import type { SenderTable } from '../../src/syslog/senders.js';
import { UdpSource } from '../../src/syslog/udp.js';
import { ELSEWHERE, eventLog, hasLogger, logger, loopbackSenders, recorder, waitFor } from './syslog-support.js';

const open: Array<{ stop(): Promise<void> } | Socket> = [];
afterEach(async () => {
  for (const thing of open.splice(0)) {
    if ('stop' in thing) await thing.stop();
    else thing.close();
  }
});

async function udpSource(options: { handler: MessageHandler; senders?: SenderTable; host?: string; max?: number; rcvbuf?: number; onEvent?: ReturnType<typeof eventLog>['onEvent'] }) {
  const source = new UdpSource({
    host: options.host ?? '127.0.0.1',
    port: 0,
    receiveBufferBytes: options.rcvbuf ?? 65536,
    maxMessageBytes: options.max ?? 65536,
    senders: options.senders ?? loopbackSenders(),
    handler: options.handler,
    onEvent: options.onEvent,
  });
  await source.start();
  open.push(source);
  return source;
}

function client(type: 'udp4' | 'udp6' = 'udp4'): Socket {
  const socket = createSocket(type);
  open.push(socket);
  return socket;
}

function send(socket: Socket, port: number, data: string | Buffer, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => socket.send(data, port, host, (error) => (error ? reject(error) : resolve())));
}

describe('UdpSource', () => {
  it('delivers one datagram as one message with its sender and transport', async () => {
    const { received, handler } = recorder();
    const source = await udpSource({ handler });
    await send(client(), source.address().port, '<13>Jan 18 11:07:53 host app: hello\r\n');
    await waitFor(() => received.length === 1, 'the message');
    expect(received[0]).toEqual({ text: '<13>Jan 18 11:07:53 host app: hello', sender: 'loopback', transport: 'udp' });
    expect(source.stats.messages.accepted).toBe(1);
  });

  it('yields each message of an LF-separated batch, skipping empty lines', async () => {
    const { handler, texts } = recorder();
    const source = await udpSource({ handler });
    await send(client(), source.address().port, 'first\nsecond\r\n\n\r\nthird\n');
    await waitFor(() => texts().length === 3, 'three messages');
    expect(texts()).toEqual(['first', 'second', 'third']);
  });

  it('drops and counts an oversize datagram, and a NUL-only one as malformed', async () => {
    const { handler, texts } = recorder();
    const source = await udpSource({ handler, max: 480 });
    const socket = client();
    await send(socket, source.address().port, 'x'.repeat(481));
    await send(socket, source.address().port, Buffer.from([0, 0, 0]));
    await send(socket, source.address().port, 'y'.repeat(480));
    await waitFor(() => texts().length === 1, 'the last message');
    expect(source.stats.messages).toEqual({ accepted: 1, unknown_sender: 0, oversize: 1, malformed: 1 });
  });

  it('counts and reports a datagram from an unknown sender without handing it on', async () => {
    const { received, handler } = recorder();
    const log = eventLog();
    const source = await udpSource({ handler, senders: ELSEWHERE, onEvent: log.onEvent });
    const socket = client();
    for (let i = 0; i < 5; i++) await send(socket, source.address().port, `spoof ${i}`);
    await waitFor(() => source.stats.messages.unknown_sender === 5, 'five unknown datagrams');
    expect(received).toEqual([]);
    const reports = log.of('unknown-sender');
    expect(reports).toHaveLength(1); // rate-limited: one address, once a minute
    expect(reports[0]).toMatchObject({ transport: 'udp', address: '127.0.0.1' });
    expect(reports[0]!.yaml).toContain('address: "127.0.0.1", transports: [udp]');
  });

  it('takes a new sender table at run time', async () => {
    const { handler, texts } = recorder();
    const source = await udpSource({ handler, senders: ELSEWHERE });
    const socket = client();
    await send(socket, source.address().port, 'before');
    await waitFor(() => source.stats.messages.unknown_sender === 1, 'the refused datagram');
    source.setSenders(loopbackSenders());
    await send(socket, source.address().port, 'after');
    await waitFor(() => texts().length === 1, 'the admitted datagram');
    expect(texts()).toEqual(['after']);
  });

  it('survives a handler that throws or rejects, counting each', async () => {
    let calls = 0;
    const handler: MessageHandler = () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return Promise.reject(new Error('later boom'));
    };
    const log = eventLog();
    const source = await udpSource({ handler, onEvent: log.onEvent });
    const socket = client();
    await send(socket, source.address().port, 'one');
    await send(socket, source.address().port, 'two');
    await waitFor(() => source.stats.handlerErrors === 2, 'two handler errors');
    expect(log.of('handler-error')[0]).toMatchObject({ sender: 'loopback', suppressed: 0 });
  });

  it.skipIf(!ipv6Loopback())('listens on IPv6 (::1)', async () => {
    const { received, handler } = recorder();
    const source = await udpSource({ handler, host: '::1' });
    await send(client('udp6'), source.address().port, 'over v6', '::1');
    await waitFor(() => received.length === 1, 'the v6 message');
    expect(received[0]).toMatchObject({ text: 'over v6', sender: 'loopback6' });
  });

  it.skipIf(!ipv6Loopback())('listens on :: for IPv6 and IPv4 alike (dual stack)', async () => {
    const { received, handler } = recorder();
    const source = await udpSource({ handler, host: '::' });
    await send(client('udp4'), source.address().port, 'over v4');
    await send(client('udp6'), source.address().port, 'over v6', '::1');
    await waitFor(() => received.length === 2, 'both messages');
    expect(received.map((r) => `${r.text} ${r.sender}`).sort()).toEqual(['over v4 loopback', 'over v6 loopback6']);
  });

  it('reports a receive buffer smaller than requested, with the sysctl fix', async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const requested = rmemMax * 2;
    const log = eventLog();
    const source = await udpSource({ handler: () => {}, rcvbuf: requested, onEvent: log.onEvent });
    expect(source.receiveBufferBytes).toBeLessThan(requested);
    const [report] = log.of('receive-buffer-small');
    expect(report).toMatchObject({ requested, granted: source.receiveBufferBytes });
    expect(report!.fix).toContain(`sysctl -w net.core.rmem_max=${requested}`);

    const quiet = eventLog();
    const small = await udpSource({ handler: () => {}, rcvbuf: 65536, onEvent: quiet.onEvent });
    expect(small.receiveBufferBytes).toBeGreaterThanOrEqual(65536);
    expect(quiet.of('receive-buffer-small')).toEqual([]);
  });

  it('fails to start on a port in use with one line that says how to fix it', async () => {
    const holder = client();
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const source = new UdpSource({
      host: '127.0.0.1', port: holder.address().port, receiveBufferBytes: 65536, maxMessageBytes: 65536,
      senders: loopbackSenders(), handler: () => {},
    });
    const error = await source.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UidError);
    expect((error as UidError).code).toBe('UID_ERR_LISTEN');
    expect((error as UidError).message).toMatch(/^cannot listen on syslog udp 127\.0\.0\.1:\d+: the address is already in use.*syslog\.udp\.port/);
    expect((error as UidError).message).not.toContain('\n');
  });

  it.skipIf(!hasLogger)('receives util-linux logger --udp', async () => {
    const { received, handler } = recorder();
    const source = await udpSource({ handler });
    logger(source.address().port, ['--udp'], 'hello over udp');
    await waitFor(() => received.length === 1, "logger's message");
    const text = received[0]!.text;
    expect(text).toMatch(/^<13>1 \S+ \S+ uidtest - - \[timeQuality [^\]]*\] hello over udp$/);
    expect(decodeHeader(Buffer.from(text))).toMatchObject({ format: 'rfc5424', appName: 'uidtest', msg: 'hello over udp' });
  });
});

function ipv6Loopback(): boolean {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8').includes('00000000000000000000000000000001');
  } catch {
    return false;
  }
}
