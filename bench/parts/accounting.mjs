/**
 * Accounting (issue 6 item 4): records/s from the listener to the RFC 8907 test server over
 * one single-connect connection (table → accountant → durable spool → dispatcher → server
 * group), against a raw pipelined sender's ceiling on the same server: every request
 * encoded up front and written at once, replies counted. Traffic: ESM heartbeats for
 * distinct addresses over UDP, each one a new mapping and so one START.
 *
 * Two offered rates: 20k/s (the target: does the listener keep up, and how far behind the
 * server's count runs) and 40k/s, above what one connection takes, so the spool fills and
 * the figure is the rate at which the listener drains it. At 20k/s offered the
 * rate measured can be no higher than 20k/s. With --baseline DIR, the listener built in
 * DIR (DIR/dist/main.js) runs the same turns: before against after.
 */
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kilo, median, micros, ratio, spread, table } from '../lib/figures.mjs';
import { startListener } from '../lib/listener.mjs';
import { load } from '../lib/machine.mjs';
import { cpuSeconds, run, start } from '../lib/proc.mjs';
import { writeMix } from '../lib/traffic.mjs';
import { buildSender, sendUdp } from '../lib/udp-sender.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../lib/tacacs-child.mjs', import.meta.url));
const KEY = 'bench-shared-secret';
const OFFERED = [20_000, 40_000];

export default {
  name: 'accounting',
  title: 'Accounting: records/s to a TACACS+ server over one connection',
  async run(ctx) {
    await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'bench', 'tsconfig.support.json')]);
    const sender = await buildSender(ctx.outDir);
    const records = ctx.smoke ? 2000 : 65_536;
    const traffic = await writeMix(ctx.tmp, 'esm', records);
    const subjects = [{ key: 'listener', name: 'uid-listener', cli: undefined }];
    if (ctx.baseline) subjects.unshift({ key: 'baseline', name: 'uid-listener (baseline)', cli: join(ctx.baseline, 'dist', 'main.js') });
    const offered = ctx.smoke ? [OFFERED[0]] : OFFERED;
    const samples = [];
    for (let repeat = 0; repeat < ctx.repeat; repeat++) {
      for (const rate of offered) {
        for (const subject of subjects) {
          const server = await startServer();
          const dir = join(ctx.tmp, `listener-${subject.key}-${rate}-${repeat}`);
          mkdirSync(dir);
          const listener = await startListener(dir, {
            udp: { bufferBytes: ctx.bufferBytes, workers: ctx.workers[0] }, accounting: { port: server.port, secret: KEY }, cli: subject.cli, name: subject.name,
          });
          try {
            const machineLoad = load();
            const base = (await server.count()).requests; // the system START
            const cpuBefore = [cpuSeconds(listener.pid), cpuSeconds(server.pid)];
            const began = performance.now();
            const sending = sendUdp(sender, listener.udpPort, rate, records / rate + 0.2, traffic);
            const measured = await rateOf(() => server.count().then((c) => c.requests - base));
            const busySeconds = (measured.lastAt - began) / 1000;
            const cpu = [cpuSeconds(listener.pid) - cpuBefore[0], cpuSeconds(server.pid) - cpuBefore[1]];
            const sent = await sending;
            const raw = await rawPipelined(server.port, records);
            const { violations } = await server.count();
            if (violations > 0) throw new Error(`the test server saw ${violations} protocol violations`);
            samples.push({
              subject: subject.key, offered: rate, repeat, perSecond: measured.perSecond, total: measured.total, raw, load: machineLoad, datagrams: sent.sent,
              listenerCpuPerRecord: cpu[0] / measured.total, listenerBusy: cpu[0] / busySeconds, serverBusy: cpu[1] / busySeconds,
            });
            ctx.log(`accounting: ${subject.name} at ${kilo(rate)}/s offered: ${kilo(measured.perSecond)} records/s (${measured.total} records), ` +
              `listener busy ${Math.round((100 * cpu[0]) / busySeconds)}%, server ${Math.round((100 * cpu[1]) / busySeconds)}%; raw pipelined ${kilo(raw)}/s`);
          } finally {
            await listener.stop();
            await server.stop();
          }
        }
      }
    }
    const rows = [];
    for (const rate of offered) {
      for (const subject of subjects) {
        const of = samples.filter((s) => s.offered === rate && s.subject === subject.key);
        rows.push([
          subject.name,
          `${kilo(rate)}/s`,
          `${spread(of.map((s) => s.perSecond), kilo)}/s`,
          `${spread(of.map((s) => s.raw), kilo)}/s`,
          spread(of.map((s) => s.perSecond / s.raw), ratio),
          spread(of.map((s) => s.listenerCpuPerRecord * 1e6), micros),
          spread(of.map((s) => s.listenerBusy * 100), (v) => `${Math.round(v)}%`),
          spread(of.map((s) => s.serverBusy * 100), (v) => `${Math.round(v)}%`),
          spread(of.map((s) => s.load), (v) => v.toFixed(1)),
        ]);
      }
    }
    const top = (key) => median(samples.filter((s) => s.offered === offered[offered.length - 1] && s.subject === key).map((s) => s.perSecond));
    return {
      tables: [{ caption: `records/s of ${records.toLocaleString('en')} STARTs, one single-connect TCP connection, shared secret (obfuscated bodies)`, markdown: table(
        ['listener', 'UDP offered', 'listener → test server', 'raw pipelined sender → same server', 'ratio', 'listener CPU/record', 'listener busy', 'server busy', 'load'], rows) }],
      notes: [
        'The listener\'s rate is the steady middle of the run (from 10% to 90% of the records arriving at the server), as the server counts them: ' +
          `mappings come from ESM heartbeats for ${records.toLocaleString('en')} distinct addresses sent over UDP at the offered rate, each a new mapping and one START, ` +
          'through the durable spool (fsync batches) and the dispatcher. ' +
          `At ${kilo(OFFERED[0])}/s offered the records come no faster than that on average, so a figure at or above it means the listener kept up (above: it caught up a backlog inside the window measured); ` +
          `at ${kilo(OFFERED[1])}/s the spool fills and the figure is how fast the listener drains it. ` +
          'The raw sender encodes every request first (the listener\'s own codec) and writes them in one go. ' +
          'CPU/record: the listener process\'s CPU time (UDP ingest included) per record; busy: CPU time of the listener and of the server over the wall time from the first datagram to the last record counted. ' +
          `${ctx.repeat} repetition(s), a fresh server and listener each: median (min–max). Server: test/support/tacacs-server.ts (RFC 8907, checks every packet) in its own process.`,
      ],
      figures: { perSecond: top('listener'), raw: median(samples.map((s) => s.raw)), ...(ctx.baseline ? { baseline: top('baseline') } : {}) },
      samples,
    };
  },
};

async function startServer() {
  const proc = start(process.execPath, [CHILD, KEY], { ipc: true });
  const [{ port }] = await Promise.race([once(proc.child, 'message'), proc.exited.then(() => { throw new Error(`test server exited:\n${proc.output}`); })]);
  const count = async () => {
    proc.child.send('count');
    const [c] = await once(proc.child, 'message');
    return c;
  };
  return { port, pid: proc.pid, count, stop: () => proc.stop() };
}

/** Polls `count()` until it stops growing; the rate between 10% and 90% of the final count. */
async function rateOf(count) {
  const points = [];
  let quietSince = performance.now();
  let last = -1;
  for (;;) {
    const value = await count();
    const now = performance.now();
    points.push([now, value]);
    if (value !== last) {
      last = value;
      quietSince = now;
    } else if (value > 0 && now - quietSince > 1500) {
      break;
    }
    if (now - quietSince > 30_000) throw new Error(`accounting stalled at ${value} records`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const total = last;
  const at = (fraction) => points.find(([, v]) => v >= fraction * total)[0];
  return { total, perSecond: (0.8 * total * 1000) / Math.max(1, at(0.9) - at(0.1)), lastAt: at(1) };
}

/** The ceiling: `count` STARTs encoded up front, written at once on one connection, replies counted. */
async function rawPipelined(port, count) {
  const { encodeAccountingRequest } = await import('../../dist/accounting/codec.js');
  const key = Buffer.from(KEY);
  const record = (n) => ({
    kind: 'start', user: `ACME\\raw${n}`, port: 'loopback', remAddr: `10.200.${(n >> 8) & 255}.${n & 255}`, orderKey: `raw-${n}`,
    args: [`task_id=raw-${n}`, 'start_time=1700000000', 'timezone=UTC', 'service=user-id', 'event=login', `addr=10.200.${(n >> 8) & 255}.${n & 255}`],
  });
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  let replies = 0;
  let buffered = Buffer.alloc(0);
  let wake = () => {};
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let at = 0;
    while (buffered.length - at >= 12 && buffered.length - at >= 12 + buffered.readUInt32BE(at + 8)) {
      at += 12 + buffered.readUInt32BE(at + 8);
      replies++;
    }
    buffered = buffered.subarray(at);
    wake();
  });
  const replied = (n) => new Promise((resolve) => {
    wake = () => replies >= n && resolve();
    wake();
  });
  try {
    socket.write(encodeAccountingRequest(record(0), 1, true, key)); // negotiates single-connect (RFC 8907 §4.3)
    await replied(1);
    const packets = Buffer.concat(Array.from({ length: count }, (_, i) => encodeAccountingRequest(record(i + 1), i + 2, false, key)));
    const began = performance.now();
    socket.write(packets);
    await replied(count + 1);
    return (count * 1000) / (performance.now() - began);
  } finally {
    socket.destroy();
  }
}
