import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeHeader } from '../../src/syslog/header.js';
import type { MessageHandler } from '../../src/syslog/message.js';
import type { SenderTable } from '../../src/syslog/senders.js';
import { TcpSource } from '../../src/syslog/tcp.js';
import { ELSEWHERE, closed, eventLog, hasLogger, logger, loopbackSenders, recorder, waitFor } from './syslog-support.js';

const sources: TcpSource[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const source of sources.splice(0)) await source.stop();
});

interface Limits { max?: number; maxConnections?: number; perSender?: number; idleMs?: number; drainMs?: number }

async function tcpSource(handler: MessageHandler, senders: SenderTable = loopbackSenders(), limits: Limits = {}, onEvent?: ReturnType<typeof eventLog>['onEvent']) {
  const source = new TcpSource({
    host: '127.0.0.1', port: 0,
    maxMessageBytes: limits.max ?? 65536,
    maxConnections: limits.maxConnections ?? 100,
    maxConnectionsPerSender: limits.perSender ?? 100,
    idleTimeoutMs: limits.idleMs ?? 60_000,
    drainTimeoutMs: limits.drainMs,
    senders, handler, onEvent,
  });
  await source.start();
  sources.push(source);
  return source;
}

async function dial(source: TcpSource): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: source.address().port, noDelay: true });
  socket.on('error', () => {}); // resets from a refusing server are expected
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

async function writeByteByByte(socket: Socket, data: string): Promise<void> {
  for (const byte of Buffer.from(data)) await write(socket, Buffer.from([byte]));
}

const FRAMES = { lf: 'first\nsecond\r\nthird\n', octet: '5 first6 second5 third' };

describe('TcpSource', () => {
  for (const [framing, wire] of Object.entries(FRAMES)) {
    it(`reads ${framing} framing written all at once and byte by byte`, async () => {
      const { received, texts, handler } = recorder();
      const source = await tcpSource(handler);
      await write(await dial(source), wire);
      await writeByteByByte(await dial(source), wire);
      await waitFor(() => texts().length === 6, 'six messages');
      expect(texts()).toEqual(['first', 'second', 'third', 'first', 'second', 'third']);
      expect(received[0]).toMatchObject({ sender: 'loopback', transport: 'tcp' });
    });
  }

  it('delivers a last LF-framed message that lacks its LF when the peer closes', async () => {
    const { texts, handler } = recorder();
    const source = await tcpSource(handler);
    const socket = await dial(source);
    socket.end('only message, no LF');
    await waitFor(() => texts().length === 1, 'the message');
    expect(texts()).toEqual(['only message, no LF']);
  });

  it('closes a connection from an unknown sender at accept', async () => {
    const { received, handler } = recorder();
    const log = eventLog();
    const source = await tcpSource(handler, ELSEWHERE, {}, log.onEvent);
    const socket = await dial(source);
    socket.write('hello\n');
    await closed(socket);
    expect(received).toEqual([]);
    expect(source.stats.connections.refused.unknown_sender).toBe(1);
    expect(source.stats.connections.accepted).toBe(0);
    expect(source.stats.messages.unknown_sender).toBe(1);
    expect(log.of('unknown-sender')[0]).toMatchObject({ transport: 'tcp', address: '127.0.0.1' });
  });

  it('discards an oversize LF frame and keeps the connection', async () => {
    const { texts, handler } = recorder();
    const source = await tcpSource(handler, undefined, { max: 480 });
    const socket = await dial(source);
    await write(socket, `${'z'.repeat(2000)}\nafter\n`);
    await waitFor(() => texts().length === 1, 'the message after the oversize one');
    expect(texts()).toEqual(['after']);
    expect(source.stats.messages.oversize).toBe(1);
    expect(socket.destroyed).toBe(false);
  });

  it('closes the connection on a 10-digit octet count', async () => {
    const log = eventLog();
    const source = await tcpSource(recorder().handler, undefined, {}, log.onEvent);
    const socket = await dial(source);
    socket.write('1234567890 <13>1 - - - - - - x');
    await closed(socket);
    await waitFor(() => source.stats.connections.closed.framing_error === 1, 'the close to be counted');
    expect(source.stats.messages.malformed).toBe(1);
    expect(log.of('connection-closed')[0]).toMatchObject({ reason: 'framing_error', detail: 'count-too-large', sender: 'loopback' });
  });

  it('pauses a connection while the handler promise is pending', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { received, handler } = recorder((index) => (index === 0 ? gate : undefined));
    const source = await tcpSource(handler);
    const busy = await dial(source);
    const lines = Array.from({ length: 5000 }, (_, i) => `message ${i} ${'p'.repeat(100)}\n`).join('');
    busy.write(lines);
    // A second connection as a barrier: once its message is in, the first one's bytes were readable too.
    await write(await dial(source), 'barrier\n');
    await waitFor(() => received.some((r) => r.text === 'barrier'), 'the barrier message');
    expect(received.filter((r) => r.text.startsWith('message'))).toHaveLength(1);
    release();
    await waitFor(() => received.length === 5001, 'all messages after release', 20_000);
    const busyTexts = received.filter((r) => r.text.startsWith('message')).map((r) => r.text.split(' ')[1]);
    expect(busyTexts).toEqual(Array.from({ length: 5000 }, (_, i) => String(i)));
  });

  it('delivers everything received before the peer closed, even while paused', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { texts, handler } = recorder((index) => (index === 0 ? gate : undefined));
    const source = await tcpSource(handler);
    const socket = await dial(source);
    socket.end('one\ntwo\nthree\nno LF at the end');
    await closed(socket);
    await waitFor(() => texts().length === 1, 'the first message');
    release();
    await waitFor(() => texts().length === 4, 'the rest after release');
    expect(texts()).toEqual(['one', 'two', 'three', 'no LF at the end']);
    await waitFor(() => source.stats.connections.closed.peer === 1, 'the close to be counted');
  });

  it('stop() gives up on a handler that never settles after drainTimeoutMs', async () => {
    const { texts, handler } = recorder(() => new Promise<void>(() => {}));
    const source = await tcpSource(handler, undefined, { drainMs: 100 });
    const socket = await dial(source);
    await write(socket, 'stuck\nnever delivered\n');
    await waitFor(() => texts().length === 1, 'the first message');
    await source.stop();
    await closed(socket);
    expect(texts()).toEqual(['stuck']);
    expect(source.stats.connections).toMatchObject({ open: 0, closed: { stopped: 1 } });
  });

  it('refuses connections beyond maxConnections and maxConnectionsPerSender', async () => {
    const log = eventLog();
    const global = await tcpSource(recorder().handler, undefined, { maxConnections: 2 }, log.onEvent);
    await dial(global);
    await dial(global);
    await waitFor(() => global.stats.connections.open === 2, 'two open connections');
    await closed(await dial(global));
    expect(global.stats.connections.refused.max_connections).toBe(1);
    expect(log.of('connection-limit')[0]).toMatchObject({ limit: 'maxConnections', value: 2 });

    const perSender = await tcpSource(recorder().handler, undefined, { perSender: 1 });
    await dial(perSender);
    await waitFor(() => perSender.stats.connections.open === 1, 'one open connection');
    await closed(await dial(perSender));
    expect(perSender.stats.connections.refused.max_connections_per_sender).toBe(1);
  });

  it('closes an idle connection after the idle timeout', async () => {
    const source = await tcpSource(recorder().handler, undefined, { idleMs: 150 });
    const socket = await dial(source);
    await closed(socket);
    await waitFor(() => source.stats.connections.closed.idle_timeout === 1, 'the idle close to be counted');
    expect(source.stats.connections.open).toBe(0);
  });

  it('closes an open connection whose sender a new table removes', async () => {
    const { texts, handler } = recorder();
    const log = eventLog();
    const source = await tcpSource(handler, undefined, {}, log.onEvent);
    const socket = await dial(source);
    await write(socket, 'before swap\n');
    await waitFor(() => texts().length === 1, 'the first message');
    source.setSenders(loopbackSenders({ name: 'renamed' }));
    await write(socket, 'still admitted\n');
    await waitFor(() => texts().length === 2, 'a message after a harmless swap');
    source.setSenders(ELSEWHERE);
    await closed(socket);
    await waitFor(() => source.stats.connections.closed.sender_removed === 1, 'the close to be counted');
    expect(log.of('connection-closed')[0]).toMatchObject({ reason: 'sender_removed', sender: 'renamed' });
  });

  it('stop() stops accepting, delivers what was received, then closes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const { texts, handler } = recorder((index) => (index === 0 ? gate : undefined));
    const source = await tcpSource(handler);
    const socket = await dial(source);
    await write(socket, 'one\ntwo\nthree\n');
    await waitFor(() => texts().length === 1, 'the first message');
    const port = source.address().port;
    let stopped = false;
    const stopping = source.stop().then(() => { stopped = true; });
    await expect(new Promise((resolve, reject) => {
      const late = connect({ host: '127.0.0.1', port });
      late.on('error', resolve); // no longer accepting
      late.on('connect', () => { late.destroy(); reject(new Error('accepted while stopping')); });
    })).resolves.toBeDefined();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(texts()).toEqual(['one', 'two', 'three']);
    await closed(socket);
    expect(source.stats.connections.closed.stopped).toBe(1);
  });

  it.skipIf(!hasLogger)('receives util-linux logger --tcp --octet-count --rfc5424 and --tcp --rfc3164', async () => {
    const { texts, handler } = recorder();
    const source = await tcpSource(handler);
    logger(source.address().port, ['--tcp', '--octet-count', '--rfc5424'], 'hello octet');
    logger(source.address().port, ['--tcp', '--rfc3164'], 'hello 3164');
    await waitFor(() => texts().length === 2, "logger's messages");
    const [rfc5424, rfc3164] = texts() as [string, string];
    expect(rfc5424).toMatch(/^<13>1 \S+ \S+ uidtest - - \[timeQuality [^\]]*\] hello octet$/);
    expect(rfc3164).toMatch(/^<13>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ uidtest: hello 3164$/);
    expect(decodeHeader(rfc3164)).toMatchObject({ format: 'rfc3164', appName: 'uidtest', msg: 'hello 3164', problems: [] });
  });
});
