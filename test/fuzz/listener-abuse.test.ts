/**
 * Abuse of the running process (issue 7 item 1): 10,000 idle TCP connections held open
 * (the cap, raised to 10,000 by maxConnections, holds for the next one), then a flood of
 * 64 KiB datagrams of random bytes and real messages. Invariants: the process survives
 * with nothing on stderr (an uncaught exception or unhandled rejection would print there
 * and end it), every datagram is counted, and its memory stays bounded.
 *
 * A separate process, because 10,000 connections cost a file descriptor at each end:
 * 20,000 in one process would pass the usual limit (ulimit -n) by themselves.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UdpClient, esmLeef } from '../support/listener-clients.js';
import { ListenerProcess, cleanupListeners, metric, waitUntil } from '../support/listener.js';
import { FUZZ_SCALE, fuzzTimeout } from './scale.js';

const CONNECTIONS = 10_000;
const MiB = 1024 * 1024;
/** Each end needs a descriptor per connection, and this process and the listener share the limit. */
const openFilesLimit = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
const enoughFiles = openFilesLimit === Infinity || Number.isNaN(openFilesLimit) || openFilesLimit >= CONNECTIONS + 1000;

let listener: ListenerProcess;
beforeAll(async () => {
  listener = await ListenerProcess.start({ config: { syslog: { maxConnections: CONNECTIONS, maxConnectionsPerSender: CONNECTIONS } } });
}, 60_000);
afterAll(cleanupListeners);

const rss = async () => metric(await listener.metrics(), 'process_resident_memory_bytes');

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('abuse of the running listener', () => {
  it.skipIf(!enoughFiles)(`holds ${CONNECTIONS} idle connections, refuses one more, and its memory stays bounded (skipped where ulimit -n is below ${CONNECTIONS + 1000})`, async () => {
    const before = await rss();
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < CONNECTIONS; i += 500) {
        sockets.push(...(await Promise.all(Array.from({ length: Math.min(500, CONNECTIONS - i) }, () => open(listener.ports.tcp)))));
      }
      for (const s of sockets) s.on('error', () => {});
      await waitUntil(async () => metric(await listener.metrics(), 'uid_syslog_connections', { transport: 'tcp' }) === CONNECTIONS,
        `${CONNECTIONS} open connections`, 30_000);
      const held = await rss();

      const extra = await open(listener.ports.tcp);
      extra.on('error', () => {});
      await new Promise((resolve) => extra.once('close', resolve));
      const m = await listener.metrics();
      expect(metric(m, 'uid_syslog_connections_refused_total', { transport: 'tcp', reason: 'max_connections' })).toBe(1);
      expect(metric(m, 'uid_syslog_connections', { transport: 'tcp' })).toBe(CONNECTIONS);
      expect(listener.lines.some((l) => l.event === 'connection-limit' && l.limit === 'maxConnections')).toBe(true);
      expect(held - before).toBeLessThan(100 * MiB); // measured: about 3 KiB a connection
    } finally {
      for (const s of sockets) s.destroy();
    }
    await waitUntil(async () => metric(await listener.metrics(), 'uid_syslog_connections', { transport: 'tcp' }) === 0, 'every connection closed', 30_000);
    expect((await listener.http('GET', '/healthz')).body.status).toBe('ok');
  }, 90_000);

  it('counts every one of a flood of 64 KiB datagrams (random bytes and real messages) and keeps its memory bounded', async () => {
    // Without LF: a datagram with LFs inside is a batch of several messages (each counted).
    const noLf = (b: Buffer) => Buffer.from(b.map((byte) => (byte === 0x0a ? 0x0b : byte)));
    const pool = [...Array.from({ length: 15 }, () => noLf(randomBytes(65_000))), Buffer.from(esmLeef('flood', '10.99.0.1').padEnd(65_000, '\t'))];
    const udp = new UdpClient(listener.ports.udp);
    /** Datagrams the listener counted, and those the kernel dropped for want of buffer (host-wide: other tests may add some). */
    const tally = () => listener.metrics().then((m) => ({
      counted: ['accepted', 'unknown_sender', 'oversize', 'malformed'].reduce((sum, outcome) => sum + metric(m, 'uid_syslog_messages_total', { transport: 'udp', outcome }), 0),
      dropped: metric(m, 'uid_udp_kernel_drops_total'),
    }));
    const start = await tally();
    const before = await rss();
    const total = 2000 * FUZZ_SCALE;
    let sent = 0;
    let now = start;
    // Bursts the receive buffer the kernel granted can hold (208 KiB by default on many systems).
    const granted = Number(listener.lines.find((l) => l.event === 'receive-buffer-small')?.granted ?? 8 * MiB);
    const burst = Math.max(1, Math.min(50, Math.floor(granted / (2 * 65_536))));
    while (sent < total) {
      for (let i = 0; i < burst; i++, sent++) await udp.send(pool[sent % pool.length]!);
      await waitUntil(async () => {
        now = await tally();
        return now.counted - start.counted + (now.dropped - start.dropped) >= sent;
      }, `${sent} datagrams counted or dropped by the kernel`);
      expect(now.counted - start.counted).toBeLessThanOrEqual(sent); // nothing counted twice
    }
    udp.close();
    expect(now.counted - start.counted).toBeGreaterThan(total / 2); // the flood was read, not mostly dropped
    expect((await listener.mapping('10.99.0.1'))?.user).toBe('flood'); // one of 125 copies is enough
    expect(await rss() - before).toBeLessThan(100 * MiB);
    expect(listener.stderr).toBe('');
    expect(listener.exitStatus).toBeUndefined();
  }, fuzzTimeout(90_000));
});
