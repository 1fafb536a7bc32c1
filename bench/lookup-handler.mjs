/**
 * The lookup thread's own CPU per request, cheap and repeatable on a busy machine.
 * In-process (default): its request handler (src/http/lookup-thread/front.ts) driven with
 * stand-in request and response objects over a memory table of N mappings, no sockets:
 * what the thread adds to node:http. `--wrk`: the same handler behind a real node:http
 * server, beside the bare constant-JSON handler of bench/lib/bare-http.mjs and a handler
 * that does only the lookup's table read before the bare answer (so the table's share of
 * the gap and the answer's share are apart), each loaded by wrk (bench/lib/wrk-mappings.lua)
 * in turns, as this process's CPU time per request, user and system.
 *   npm run build --silent && node bench/lookup-handler.mjs [--wrk] [N]
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { frontHandler } from '../dist/http/lookup-thread/front.js';
import { LookupMetricsWriter, lookupMetricsBuffer } from '../dist/http/lookup-thread/shared-metrics.js';
import { MemoryMappingTable } from '../dist/mappings/memory-table.js';
import { openTableReader } from '../dist/mappings/shared-memory/reader.js';
import { snapshotAddress } from './lib/addresses.mjs';
import { median } from './lib/figures.mjs';

const served = process.argv.includes('--wrk');
const entries = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 65_536);
const ROUNDS = served ? 5 : 7;
const PER_ROUND = 200_000;
const WRK_SECONDS = 3;
const MAPPINGS_PATH = '/v1/mappings/';

const table = new MemoryMappingTable({ timeoutMinutes: 600, maxEntries: entries, sweepIntervalMs: 3_600_000 });
const ips = Array.from({ length: entries }, (_, i) => snapshotAddress(i));
for (const [i, ip] of ips.entries()) table.apply({ event: 'login', ip, user: `ACME\\user${i % 5000}`, sender: 'esm', profile: 'traps-esm-leef' });
const upstream = { forward: () => { throw new Error('handed on: not a lookup'); } };

function handlerWith(tokens) {
  return frontHandler({
    reader: openTableReader(table.share()), tokens, trustedProxies: ['127.0.0.1'],
    metrics: new LookupMetricsWriter(lookupMetricsBuffer()), upstream, onError: (err) => { throw err; },
  });
}

const report = (name, samples) => {
  samples.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${samples[samples.length >> 1].toFixed(0).padStart(6)} ns/request (min ${samples[0].toFixed(0)}, max ${samples.at(-1).toFixed(0)})`);
};
const cpuNs = (used) => (used.user + used.system) * 1000;

/** In-process: random addresses in the http part's order, so the reads miss the caches as they would. */
function inProcess() {
  const order = Array.from({ length: 1 << 16 }, () => ips[Math.floor(Math.random() * entries)]);
  let bytes = 0;
  const res = { headersSent: false, writeHead(status, list) { bytes += list.length; return this; }, end(body) { bytes += body.length; } };
  const socket = { remoteAddress: '127.0.0.1' };
  const requests = (kind, token) => {
    const headers = token ? { host: 'x', authorization: `Bearer ${token}` } : { host: 'x' };
    return order.map((ip) => kind === 'auth'
      ? { url: '/v1/auth', method: 'GET', headers: { ...headers, 'x-real-ip': ip }, socket }
      : { url: `/v1/mappings/${ip}`, method: 'GET', headers, socket });
  };
  const measure = (name, handler, reqs) => {
    const samples = [];
    for (let round = 0; round < ROUNDS; round++) {
      const start = process.cpuUsage();
      for (let i = 0; i < PER_ROUND; i++) handler(reqs[i & 0xffff], res);
      samples.push(cpuNs(process.cpuUsage(start)) / PER_ROUND);
    }
    report(name, samples);
  };
  measure('GET /v1/mappings/{ip}', handlerWith([]), requests('mapping'));
  measure('GET /v1/mappings/{ip} with a token', handlerWith(['tok-1234']), requests('mapping', 'tok-1234'));
  measure('GET /v1/auth', handlerWith([]), requests('auth'));
  if (bytes === 0) throw new Error('nothing was answered');
}

/** Served: this process's CPU time per request answered to wrk -t1 -c32, in turns. */
async function underWrk() {
  const body = Buffer.from(JSON.stringify({ ip: ips[0], user: 'ACME\\user0', sender: 'esm', profile: 'traps-esm-leef', firstSeen: new Date().toISOString(), lastSeen: new Date().toISOString(), expiresAt: new Date().toISOString(), timeoutSeconds: 36000 }));
  const bareHeaders = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
  const reader = openTableReader(table.share());
  const servers = [
    ['bare node:http', (req, res) => { res.writeHead(200, bareHeaders); res.end(body); }, 'mappings'],
    // The table read alone: the lookup's reader.get() for the path's address, then the bare answer.
    ['table read + bare answer', (req, res) => {
      if (reader.get(req.url.slice(MAPPINGS_PATH.length), Date.now()) === undefined) throw new Error(`no mapping for ${req.url}`);
      res.writeHead(200, bareHeaders);
      res.end(body);
    }, 'mappings'],
    ['GET /v1/mappings/{ip}', handlerWith([]), 'mappings'],
    ['GET /v1/auth', handlerWith([]), 'auth'],
  ];
  const samples = servers.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [n, [, handler, route]] of servers.entries()) {
      const server = createServer(handler);
      server.keepAliveTimeout = 60_000;
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const start = process.cpuUsage();
      const out = await new Promise((resolve, reject) => {
        import('node:child_process').then(({ execFile }) => execFile('wrk', ['-t1', '-c32', `-d${WRK_SECONDS}s`, '-s', fileURLToPath(new URL('./lib/wrk-mappings.lua', import.meta.url)), `http://127.0.0.1:${server.address().port}`],
          { env: { ...process.env, BENCH_ADDRESSES: String(entries), BENCH_ROUTE: route } }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
      });
      const used = process.cpuUsage(start);
      const result = JSON.parse(out.trim().split('\n').pop());
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${servers[n][0]}: ${out}`);
      samples[n].push({ user: used.user * 1000 / result.requests, system: used.system * 1000 / result.requests });
      server.closeAllConnections();
      server.close();
    }
  }
  for (const [n, [name]] of servers.entries()) {
    report(name, samples[n].map((s) => s.user + s.system));
    console.log(`${''.padEnd(34)} of which user ${median(samples[n].map((s) => s.user)).toFixed(0)}, system ${median(samples[n].map((s) => s.system)).toFixed(0)} ns (medians)`);
  }
  console.log(`load average ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`);
}

console.log(`${entries.toLocaleString('en')} mappings, ${ROUNDS} rounds${served ? ` of wrk -t1 -c32 ${WRK_SECONDS} s each, in turns` : ` of ${PER_ROUND.toLocaleString('en')} requests`}: median CPU per request`);
if (served) await underWrk(); else inProcess();
table.close();
