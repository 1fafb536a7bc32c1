/**
 * UDP ingest (issue 6 item 1): the listener's whole pipeline (sources → senders → every
 * shipped profile → table; accounting off) against rsyslog imudp writing to a file, on
 * the same traffic from the C sender, with a bare node:dgram receiver beside them as the
 * bound of one Node thread. Per mix and offered rate, the receivers take turns (so a busy
 * machine slows them alike); each figure counts what the receiver itself processed.
 */
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kilo, median, micros, percent, ratio, spread, table } from '../lib/figures.mjs';
import { startListener } from '../lib/listener.mjs';
import { load, udpCounters } from '../lib/machine.mjs';
import { cpuSeconds, freePort, settled } from '../lib/proc.mjs';
import { probe, startBareUdp } from '../lib/receivers.mjs';
import { rsyslogMissing, startRsyslog } from '../lib/rsyslog.mjs';
import { ADDRESSES, MIXES, USERS, averageBytes, writeMix } from '../lib/traffic.mjs';
import { buildSender, sendUdp } from '../lib/udp-sender.mjs';

const RATES = [50_000, 100_000, 150_000, 200_000, 0];

/** Sends one line of `file` as a datagram: enough to see a receiver is up. */
function prober(port, file) {
  const line = readFileSync(file, 'utf8').split('\n', 1)[0];
  const socket = createSocket('udp4');
  socket.unref();
  return () => socket.send(line, port, '127.0.0.1');
}

export default {
  name: 'udp',
  title: 'UDP ingest: uid-listener vs rsyslog imudp',
  async run(ctx) {
    const sender = await buildSender(ctx.outDir);
    const addresses = ctx.smoke ? 1024 : ADDRESSES;
    const rates = ctx.smoke ? [20_000, 0] : RATES;
    const mixes = ctx.smoke ? ['esm'] : (ctx.mixes ?? Object.keys(MIXES));
    const missing = rsyslogMissing(false);
    const samples = [];
    for (const mix of mixes) {
      const file = await writeMix(ctx.tmp, mix, addresses);
      const receivers = [];
      try {
        if (!missing) {
          const dir = join(ctx.tmp, `rsyslog-udp-${mix}`);
          mkdirSync(dir);
          receivers.push(await startRsyslog(dir, { udpPort: await freePort(), bufferBytes: ctx.bufferBytes }));
        }
        const listeners = ctx.workers.map((workers) => ({ key: String(workers), options: { udp: { bufferBytes: ctx.bufferBytes, workers } } }));
        if (ctx.baseline) {
          listeners.unshift({ key: 'baseline', options: { udp: { bufferBytes: ctx.bufferBytes }, cli: join(ctx.baseline, 'dist', 'main.js'), name: 'uid-listener (baseline)' } });
        }
        for (const { key, options } of listeners) {
          const dir = join(ctx.tmp, `listener-udp-${mix}-${key}`);
          mkdirSync(dir);
          const listener = await startListener(dir, options);
          listener.port = listener.udpPort;
          receivers.push(listener);
        }
        receivers.push(await startBareUdp(await freePort(), ctx.bufferBytes));
        for (const r of receivers) await probe(r, prober(r.port, file));
        // Warm-up: every address seen once, so the table holds them all and later logins are refreshes.
        for (const r of receivers) {
          await sendUdp(sender, r.port, 50_000, Math.max(0.2, (MIXES[mix].lines(addresses) / 50_000) * 1.05), file);
          await settled(r.processed, ctx.quietMs);
          await r.rotate?.();
        }
        for (let repeat = 0; repeat < ctx.repeat; repeat++) {
          for (const rate of rates) {
            for (const r of receivers) samples.push({ mix, rate, repeat, receiver: r.name, role: r.role, ...(await measure(ctx, r, sender, rate, file)) });
            ctx.log(`udp ${mix} ${rate || 'max'}/s: ${receivers.map((r) => `${r.name} ${kilo(samples.find((s) => s.mix === mix && s.rate === rate && s.repeat === repeat && s.receiver === r.name).processedPerSecond)}/s`).join(', ')}`);
          }
        }
      } finally {
        for (const r of receivers) await r.stop();
      }
    }
    return summarise(ctx, samples, { addresses, missing });
  },
};

async function measure(ctx, receiver, sender, rate, file) {
  const before = await receiver.processed();
  const events = receiver.role === 'subject' ? await receiver.counter('uid_identity_events_total') : 0;
  const kernel = udpCounters();
  const cpu = cpuSeconds(receiver.pid);
  const machineLoad = load();
  const sent = await sendUdp(sender, receiver.port, rate, ctx.seconds, file);
  const after = await settled(receiver.processed, ctx.quietMs);
  const cpuUsed = cpuSeconds(receiver.pid) - cpu;
  const processed = after - before;
  const result = {
    sent: sent.sent,
    seconds: sent.seconds,
    offered: sent.rate,
    processed,
    processedPerSecond: processed / sent.seconds,
    loss: Math.max(0, sent.sent - processed) / sent.sent,
    kernelDrops: udpCounters().rcvbufErrors - kernel.rcvbufErrors,
    cpuMicrosPerMessage: (cpuUsed * 1e6) / Math.max(1, processed),
    load: machineLoad,
  };
  if (receiver.role === 'subject') result.identityEvents = (await receiver.counter('uid_identity_events_total')) - events;
  await receiver.rotate?.();
  return result;
}

function summarise(ctx, samples, { addresses, missing }) {
  const tables = [];
  const figures = {};
  const subjects = [...new Set(samples.filter((s) => s.role === 'subject').map((s) => s.receiver))];
  const reference = samples.find((s) => s.role === 'reference')?.receiver;
  for (const mix of [...new Set(samples.map((s) => s.mix))]) {
    const names = [...new Set(samples.filter((s) => s.mix === mix).map((s) => s.receiver))];
    const rows = [];
    for (const rate of [...new Set(samples.map((s) => s.rate))]) {
      const of = (name) => samples.filter((s) => s.mix === mix && s.rate === rate && s.receiver === name);
      const offered = of(names[0]).map((s) => s.offered);
      const cells = [rate === 0 ? `max (${spread(offered, kilo)} offered)` : `${kilo(rate)}`];
      for (const name of names) {
        const runs = of(name);
        cells.push(rate === 0 ? `${spread(runs.map((s) => s.processedPerSecond), kilo)}/s` : spread(runs.map((s) => s.loss), percent));
        cells.push(spread(runs.map((s) => s.cpuMicrosPerMessage), micros));
      }
      for (const subject of subjects) {
        if (!reference) {
          cells.push('–');
          continue;
        }
        const pairs = of(subject).map((s) => [s, of(reference).find((r) => r.repeat === s.repeat)]).filter(([, r]) => r);
        const ratios = pairs.map(([s, r]) => (rate === 0 ? s.processedPerSecond / r.processedPerSecond : (1 - s.loss) / (1 - r.loss)));
        cells.push(spread(ratios, ratio));
        ((figures[mix] ??= {})[subject] ??= {})[rate === 0 ? 'saturation' : `loss@${rate}`] = {
          subject: median(of(subject).map((s) => (rate === 0 ? s.processedPerSecond : s.loss))),
          reference: median(of(reference).map((s) => (rate === 0 ? s.processedPerSecond : s.loss))),
          ratio: median(ratios),
        };
      }
      cells.push(spread(samples.filter((s) => s.mix === mix && s.rate === rate).map((s) => s.load), (v) => v.toFixed(1)));
      rows.push(cells);
    }
    const columns = ['offered msg/s'];
    for (const name of names) columns.push(`${name}: loss (max: msg/s)`, 'CPU/msg');
    for (const subject of subjects) columns.push(`${subject} / ${reference ?? 'rsyslog'}`);
    columns.push('load');
    tables.push({ caption: `${MIXES[mix].label}, ~${averageBytes(mix, addresses)} B/msg`, markdown: table(columns, rows) });
  }
  const notes = [
    `${ctx.seconds} s per measurement, ${ctx.repeat} repetition(s): median (min–max). ${USERS.toLocaleString('en')} users at ${addresses.toLocaleString('en')} addresses; ` +
      'loss = 1 − processed/sent, counted by each receiver (listener: `uid_syslog_messages_total{transport="udp",outcome="accepted"}`; ' +
      'rsyslog: lines in its file once quiet; bare: its own count). CPU/msg: CPU time of the receiver and its child processes per message processed. ' +
      'The ratio column: processed/s (max) or delivered fraction (fixed rates), listener over rsyslog, per repetition.',
    `Receive buffer ${ctx.bufferBytes} bytes for every receiver (${ctx.bufferNote}).`,
  ];
  if (missing) notes.push(`rsyslog not measured: ${missing}.`);
  return { tables, notes, figures, samples };
}
