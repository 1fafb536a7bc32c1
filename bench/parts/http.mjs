/**
 * HTTP lookups (issue 6 item 3): GET /v1/mappings/{ip} on the listener holding 1M
 * mappings (restored from a snapshot at start) against a bare node:http server answering a
 * constant body of the same size. Max rate with wrk (falling back to the Node client), and
 * a fixed 10,000 requests/s with an open-loop client for honest p50/p99; both again while
 * the C sender feeds the listener 50,000 UDP msg/s. The servers take turns. When quiet,
 * two more show where the time goes: fastify alone serving the same body through a
 * schema-serialised route, and the listener with a bearer token configured. GET /v1/auth
 * (forward auth, issue 14) is measured on the first listener beside it, the address in
 * X-Real-IP as nginx auth_request sends it (the listener trusts 127.0.0.1 for that).
 * The listener answers lookups on its lookup thread (issue 13); one more listener with
 * `http.lookupThread: false` answers them on the main thread as before, quiet and during
 * ingest, so the run shows both. The targets (issue 13 item 4): the thread's lookups at
 * ≥ 0.8× the bare server's rate, and their p99 at 10k req/s during ingest ≤ 2 ms and ≤ 3×
 * the quiet p99.
 */
import { once } from 'node:events';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressPath } from '../lib/addresses.mjs';
import { buildHttpLoad, httpLoad } from '../lib/http-load.mjs';
import { kilo, median, ms, percent, ratio, spread, table } from '../lib/figures.mjs';
import { startListener } from '../lib/listener.mjs';
import { load, which } from '../lib/machine.mjs';
import { run, settled, start } from '../lib/proc.mjs';
import { writeSnapshot } from '../lib/snapshot.mjs';
import { writeMix } from '../lib/traffic.mjs';
import { buildSender } from '../lib/udp-sender.mjs';

const BARE = fileURLToPath(new URL('../lib/bare-http.mjs', import.meta.url));
const FASTIFY = fileURLToPath(new URL('../lib/fastify-http.mjs', import.meta.url));
const TOKEN = 'bench-token-0123456789abcdef';
const WRK_SCRIPT = fileURLToPath(new URL('../lib/wrk-mappings.lua', import.meta.url));
const FIXED_RATE = 10_000;
const INGEST_RATE = 50_000;
const CONNECTIONS = 32;
const MAIN_THREAD = 'uid-listener, http.lookupThread: false';
const TARGET_RATIO = 0.8;
/** Milliseconds, as the samples' latencies are. */
const TARGET_P99 = 2;
const TARGET_P99_GROWTH = 3;

export default {
  name: 'http',
  title: 'HTTP lookups: GET /v1/mappings/{ip} and GET /v1/auth vs bare node:http',
  async run(ctx) {
    const entries = ctx.mappings ?? (ctx.smoke ? 10_000 : 1_000_000);
    const seconds = ctx.smoke ? 0.5 : ctx.seconds;
    const fixedRate = ctx.smoke ? 1000 : FIXED_RATE;
    const snapshot = join(ctx.tmp, 'mappings.json');
    await writeSnapshot(snapshot, entries);
    const senderBinary = await buildSender(ctx.outDir);
    const traffic = await writeMix(ctx.tmp, 'esm', ctx.smoke ? 1024 : 65_536);
    const children = [];
    const listen = async (name, options) => {
      const dir = join(ctx.tmp, name.replace(/\W+/g, '-'));
      mkdirSync(dir);
      // Its own copy: one listener per snapshot folder (src/state-lock.ts).
      const own = join(dir, 'mappings.json');
      copyFileSync(snapshot, own);
      const listener = await startListener(dir, { snapshot: own, maxEntries: entries + 100_000, trustedProxies: ['127.0.0.1'], ...options });
      children.push(listener);
      const restored = await listener.counter('uid_mappings');
      if (restored !== entries) throw new Error(`${name} restored ${restored} mappings, not ${entries}`);
      return listener;
    };
    const serve = async (script, body) => {
      const proc = start(process.execPath, [script, body], { ipc: true });
      children.push(proc);
      const [{ port }] = await once(proc.child, 'message');
      return port;
    };
    try {
      // One listener per workers setting: each takes UDP ingest in its turn.
      const subjects = [];
      for (const workers of ctx.workers) {
        const name = `uid-listener${workers > 0 ? ` (${workers} UDP workers)` : ''}`;
        const listener = await listen(name, { udp: { bufferBytes: ctx.bufferBytes, workers } });
        subjects.push({ name, role: 'subject', port: listener.httpPort, listener });
      }
      const mainThread = await listen(MAIN_THREAD, { udp: { bufferBytes: ctx.bufferBytes, workers: ctx.workers[0] }, lookupThread: false });
      subjects.push({ name: MAIN_THREAD, role: 'subject', port: mainThread.httpPort, listener: mainThread });
      // Forward auth on the same listener: an empty 200 with X-User for every snapshot address.
      const forwardAuth = { name: 'uid-listener GET /v1/auth', role: 'subject', port: subjects[0].port, route: 'auth' };
      const body = await (await fetch(`${subjects[0].listener.base}${addressPath(entries - 1)}`)).text();
      const bare = { name: 'bare node:http', role: 'reference', port: await serve(BARE, body) };
      // Where the time goes (not in a smoke run): fastify's own share, and the token check's.
      const details = ctx.smoke ? [] : [
        { name: 'fastify alone', role: 'detail', port: await serve(FASTIFY, body) },
        { name: 'uid-listener with a token', role: 'detail', port: (await listen('uid-listener with a token', { token: TOKEN })).httpPort, token: TOKEN },
      ];
      const wrk = which('wrk');
      const auth = (server) => (server.token ? ['-H', `authorization: Bearer ${server.token}`] : []);
      const loader = await buildHttpLoad(ctx.outDir);
      const load16 = (server, rate) => httpLoad(loader, { port: server.port, rate, seconds, connections: 16, addresses: entries, token: server.token, route: server.route });
      const max = async (server) => (wrk
        ? JSON.parse((await run(wrk, ['-t1', `-c${CONNECTIONS}`, `-d${Math.max(1, Math.round(seconds))}s`, '--latency', ...auth(server), '-s', WRK_SCRIPT, `http://127.0.0.1:${server.port}`],
          { spawn: { env: { ...process.env, BENCH_ADDRESSES: String(entries), BENCH_ROUTE: server.route ?? 'mappings' } } })).trim().split('\n').pop())
        : load16(server, 0));
      const samples = [];
      const measure = async (server, repeat, ingest) => {
        const machineLoad = load();
        const m = await max(server);
        const f = await load16(server, fixedRate);
        if (m.errors + m.non2xx + f.errors + f.non2xx > 0) throw new Error(`${server.name}: errors or non-2xx answers: ${JSON.stringify({ m, f })}`);
        const sample = { repeat, ingest, server: server.name, role: server.role, rps: m.requests / m.seconds, p50: m.p50 / 1000, p99: m.p99 / 1000,
          fixedRps: f.requests / f.seconds, fixedP50: f.p50 / 1000, fixedP99: f.p99 / 1000, load: machineLoad };
        samples.push(sample);
        ctx.log(`http ${ingest ? `during ingest into ${ingest}` : 'quiet'} ${server.name}: ${kilo(sample.rps)} req/s, at ${kilo(fixedRate)}/s p99 ${ms(sample.fixedP99)}`);
        return sample;
      };

      const quiet = [bare, ...details, ...subjects, forwardAuth];
      if (!ctx.smoke) for (const server of quiet) await max(server); // warm up
      for (let repeat = 0; repeat < ctx.repeat; repeat++) {
        for (const server of quiet) await measure(server, repeat, null);
        // Ingest into each listener in turn, measuring it and the bare server under that load.
        for (const subject of subjects) {
          const before = await subject.listener.processed('udp');
          const sender = start(senderBinary, ['127.0.0.1', String(subject.listener.udpPort), String(INGEST_RATE), '3600', traffic]);
          await new Promise((resolve) => setTimeout(resolve, ctx.smoke ? 200 : 1000));
          const measured = [await measure(bare, repeat, subject.name), await measure(subject, repeat, subject.name)];
          sender.child.kill('SIGTERM');
          await sender.exited;
          const { sent } = JSON.parse(sender.output.trim().split('\n').pop());
          const received = (await settled(() => subject.listener.processed('udp'), ctx.quietMs)) - before;
          for (const sample of measured) sample.ingested = received / sent;
        }
      }
      return summarise(ctx, samples, { entries, bytes: Buffer.byteLength(body), wrk: Boolean(wrk), fixedRate, seconds });
    } finally {
      for (const child of children.reverse()) await child.stop();
    }
  },
};

function summarise(ctx, samples, { entries, bytes, wrk, fixedRate, seconds }) {
  const rows = [];
  const figures = {};
  const bareQuiet = (repeat) => samples.find((s) => !s.ingest && s.role === 'reference' && s.repeat === repeat);
  const phases = [null, ...new Set(samples.filter((s) => s.ingest).map((s) => s.ingest))];
  for (const ingest of phases) {
    for (const server of [...new Set(samples.map((s) => s.server))]) {
      const runs = samples.filter((s) => s.ingest === ingest && s.server === server);
      if (runs.length === 0) continue;
      const vsBare = runs.map((s) => s.rps / bareQuiet(s.repeat).rps);
      rows.push([
        ingest ? `${server}, while ${kilo(INGEST_RATE)} UDP msg/s go into ${ingest === server ? 'it' : ingest}` : server,
        spread(runs.map((s) => s.rps), kilo),
        spread(vsBare, ratio),
        spread(runs.map((s) => s.p50), ms),
        spread(runs.map((s) => s.p99), ms),
        spread(runs.map((s) => s.fixedP50), ms),
        spread(runs.map((s) => s.fixedP99), ms),
        spread(runs.map((s) => s.load), (v) => v.toFixed(1)),
      ]);
      if (runs[0].role === 'subject') {
        (figures[server] ??= {})[ingest ? 'ingest' : 'quiet'] = { rps: median(runs.map((s) => s.rps)), ratio: median(vsBare), fixedP99: median(runs.map((s) => s.fixedP99)) };
      }
    }
  }
  const ingested = samples.filter((s) => s.ingest && s.role === 'subject').map((s) => `${s.server}: ${percent(s.ingested)}`);
  const targets = Object.entries(figures).filter(([server, f]) => server !== MAIN_THREAD && f.quiet && f.ingest).map(([server, { quiet, ingest }]) => {
    const growth = ingest.fixedP99 / quiet.fixedP99;
    const met = (ok) => (ok ? 'met' : 'missed');
    return `${server}: ${ratio(quiet.ratio)} of bare (target ≥ ${ratio(TARGET_RATIO)}: ${met(quiet.ratio >= TARGET_RATIO)}); ` +
      `p99 at ${kilo(fixedRate)} req/s during ingest ${ms(ingest.fixedP99)} (target ≤ ${ms(TARGET_P99)}: ${met(ingest.fixedP99 <= TARGET_P99)}), ` +
      `${growth.toFixed(1)}× the quiet ${ms(quiet.fixedP99)} (target ≤ ${TARGET_P99_GROWTH}×: ${met(growth <= TARGET_P99_GROWTH)})`;
  });
  const columns = ['server', 'req/s (max)', 'vs bare (quiet)', 'p50', 'p99', `at ${kilo(fixedRate)} req/s: p50`, 'p99', 'load'];
  const notes = [
    `${entries.toLocaleString('en')} mappings restored from a snapshot; random addresses; answer ${bytes} bytes, the bare server's the same bytes; ` +
      'GET /v1/auth answers an empty 200 with X-User and X-User-Domain, the address in X-Real-IP from a trusted 127.0.0.1. ' +
      `Max rate: ${wrk ? `wrk -t1 with ${CONNECTIONS} connections, ${Math.max(1, Math.round(seconds))} s` : `bench/http-load.c (wrk not installed) closed-loop over 16 connections, ${seconds} s`}; ` +
      `fixed rate: bench/http-load.c, ${seconds} s open loop over 16 connections, latency from when each request was due. ${ctx.repeat} repetition(s): median (min–max).`,
    `During ingest the C sender offers ${kilo(INGEST_RATE)} ESM heartbeats/s to one listener's UDP port while that listener and the bare server are measured in turn; ` +
      `share of what was offered that the listener accepted: ${ingested.join(', ')}.`,
    `Targets (issue 13, medians): ${targets.join('; ')}.`,
  ];
  return { tables: [{ caption: 'GET /v1/mappings/{ip} and GET /v1/auth', markdown: table(columns, rows) }], notes, figures, samples };
}
