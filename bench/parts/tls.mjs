/**
 * TLS ingest (issue 6 item 2): N connections of octet-counted frames (RFC 5425 over RFC
 * 6587 §3.4.1) into the listener's TLS source and whole pipeline, against rsyslog imtcp
 * with the openssl driver, same traffic, same run. TCP does not lose, so the figure is
 * throughput: the senders write as fast as each connection drains, and the receiver's
 * count is read twice inside the sending window (steady state, ramp-up excluded).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { kilo, median, micros, ratio, spread, table } from '../lib/figures.mjs';
import { startListener } from '../lib/listener.mjs';
import { load } from '../lib/machine.mjs';
import { cpuSeconds, freePort, run, settled, start } from '../lib/proc.mjs';
import { rsyslogMissing, startRsyslog } from '../lib/rsyslog.mjs';
import { ADDRESSES, averageBytes, writeMix } from '../lib/traffic.mjs';

const SENDER = fileURLToPath(new URL('../lib/tls-sender.mjs', import.meta.url));
const CERTS_SCRIPT = fileURLToPath(new URL('../../certs/make-certs.sh', import.meta.url));

export default {
  name: 'tls',
  title: 'TLS ingest: uid-listener vs rsyslog imtcp (openssl driver)',
  async run(ctx) {
    const certs = join(ctx.tmp, 'certs');
    await run('bash', [CERTS_SCRIPT, certs]);
    const addresses = ctx.smoke ? 1024 : ADDRESSES;
    const file = await writeMix(ctx.tmp, 'esm', addresses);
    const connectionCounts = ctx.smoke ? [2] : [1, 4, 16];
    const seconds = Math.max(ctx.seconds, ctx.smoke ? 1 : 3);
    const missing = rsyslogMissing(true);
    const receivers = [];
    const samples = [];
    try {
      if (!missing) {
        const dir = join(ctx.tmp, 'rsyslog');
        mkdirSync(dir);
        receivers.push(await startRsyslog(dir, { tlsPort: await freePort(), certs }));
      }
      const dir = join(ctx.tmp, 'listener');
      mkdirSync(dir);
      const listener = await startListener(dir, { tls: { certs } });
      listener.port = listener.tlsPort;
      receivers.push(listener);
      for (const r of receivers) {
        await send(r.port, 1, 0.3, file, certs); // warm up: handshake paths, the table filled
        await settled(r.processed, ctx.quietMs);
        await r.rotate?.();
      }
      for (let repeat = 0; repeat < ctx.repeat; repeat++) {
        for (const connections of connectionCounts) {
          for (const r of receivers) samples.push({ connections, repeat, receiver: r.name, role: r.role, ...(await measure(ctx, r, connections, seconds, file, certs)) });
          ctx.log(`tls ${connections} connection(s): ${samples.filter((s) => s.connections === connections && s.repeat === repeat).map((s) => `${s.receiver} ${kilo(s.perSecond)}/s`).join(', ')}`);
        }
      }
    } finally {
      for (const r of receivers) await r.stop();
    }
    return summarise(ctx, samples, { missing, addresses, seconds });
  },
};

function send(port, connections, seconds, file, certs) {
  return run(process.execPath, [SENDER, String(port), String(connections), String(seconds), file, join(certs, 'ca.crt')]);
}

async function measure(ctx, receiver, connections, seconds, file, certs) {
  const machineLoad = load();
  const before = await receiver.processed();
  const sender = start(process.execPath, [SENDER, String(receiver.port), String(connections), String(seconds), file, join(certs, 'ca.crt')]);
  // Steady state: from a quarter of the window to its end, minus a margin.
  await sleep(seconds * 250);
  const t0 = performance.now();
  const c0 = await receiver.processed();
  const cpu0 = cpuSeconds(receiver.pid);
  await sleep(seconds * 1000 * 0.65);
  const c1 = await receiver.processed();
  const t1 = performance.now();
  const cpu = cpuSeconds(receiver.pid) - cpu0;
  const code = await sender.exited;
  if (code !== 0) throw new Error(`the TLS sender failed:\n${sender.output}`);
  const { sent } = JSON.parse(sender.output.trim().split('\n').pop());
  const total = (await settled(receiver.processed, ctx.quietMs)) - before;
  await receiver.rotate?.();
  return {
    perSecond: ((c1 - c0) * 1000) / (t1 - t0),
    cpuMicrosPerMessage: (cpu * 1e6) / Math.max(1, c1 - c0),
    sent,
    delivered: total,
    load: machineLoad,
  };
}

function summarise(ctx, samples, { missing, addresses, seconds }) {
  const subject = samples.find((s) => s.role === 'subject')?.receiver;
  const reference = samples.find((s) => s.role === 'reference')?.receiver;
  const names = [...new Set(samples.map((s) => s.receiver))];
  const rows = [];
  const figures = {};
  for (const connections of [...new Set(samples.map((s) => s.connections))]) {
    const of = (name) => samples.filter((s) => s.connections === connections && s.receiver === name);
    const cells = [String(connections)];
    for (const name of names) {
      cells.push(`${spread(of(name).map((s) => s.perSecond), kilo)}/s`, spread(of(name).map((s) => s.cpuMicrosPerMessage), micros));
    }
    if (subject && reference) {
      const ratios = of(subject).map((s) => s.perSecond / (of(reference).find((r) => r.repeat === s.repeat)?.perSecond ?? NaN));
      cells.push(spread(ratios, ratio));
      figures[`connections@${connections}`] = { subject: median(of(subject).map((s) => s.perSecond)), reference: median(of(reference).map((s) => s.perSecond)), ratio: median(ratios) };
    } else {
      cells.push('–');
    }
    cells.push(spread(samples.filter((s) => s.connections === connections).map((s) => s.load), (v) => v.toFixed(1)));
    rows.push(cells);
  }
  const columns = ['connections'];
  for (const name of names) columns.push(`${name} msg/s`, 'CPU/msg');
  columns.push(`${subject ?? 'listener'} / ${reference ?? 'rsyslog'}`, 'load');
  const lost = samples.filter((s) => s.delivered !== s.sent);
  const notes = [
    `Each sender writes as fast as its connections drain for ${seconds} s; the rate is the receiver's own count over the middle of that window ` +
      `(listener: \`uid_syslog_messages_total{transport="tls",outcome="accepted"}\`, rsyslog: lines written), ${ctx.repeat} repetition(s): median (min–max). ` +
      `~${averageBytes('esm', addresses)} B messages (all ESM heartbeats), TLS 1.3 with the test certificates (certs/make-certs.sh), no client certificates.`,
    lost.length === 0
      ? 'Every message sent was delivered, in every run.'
      : `Delivered ≠ sent in ${lost.length} run(s): ${lost.map((s) => `${s.receiver} ${s.delivered}/${s.sent}`).join(', ')}.`,
  ];
  if (missing) notes.push(`rsyslog not measured: ${missing}.`);
  return { tables: [{ caption: 'TLS, octet-counted framing', markdown: table(columns, rows) }], notes, figures, samples };
}
