/**
 * The lookup thread's own CPU per request, without sockets: its request handler
 * (src/http/lookup-thread/front.ts) driven in-process with stand-in request and response
 * objects over a memory table of N mappings, so a change to the handler can be measured
 * in seconds, repeatably, on a busy machine (the kernel's and node:http's share is what
 * the `http` bench part adds). `npm run build --silent && node bench/lookup-handler.mjs [N]`
 */
import { frontHandler } from '../dist/http/lookup-thread/front.js';
import { LookupMetricsWriter, lookupMetricsBuffer } from '../dist/http/lookup-thread/shared-metrics.js';
import { MemoryMappingTable } from '../dist/mappings/memory-table.js';
import { openTableReader } from '../dist/mappings/shared-memory/reader.js';

const entries = Number(process.argv[2] ?? 65_536);
const ROUNDS = 7;
const PER_ROUND = 200_000;

const table = new MemoryMappingTable({ timeoutMinutes: 600, maxEntries: entries, sweepIntervalMs: 3_600_000 });
const ips = [];
for (let i = 0; i < entries; i++) {
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  ips.push(ip);
  table.apply({ event: 'login', ip, user: `ACME\\user${i % 5000}`, sender: 'esm', profile: 'traps-esm-leef' });
}
// Random order, as the http part's wrk script asks: the reads miss the CPU caches as they would.
const order = Array.from({ length: 1 << 16 }, () => ips[Math.floor(Math.random() * entries)]);
const upstream = { forward: () => { throw new Error('handed on: not a lookup'); } };

function handlerWith(tokens) {
  return frontHandler({
    reader: openTableReader(table.share()), tokens, trustedProxies: ['127.0.0.1'],
    metrics: new LookupMetricsWriter(lookupMetricsBuffer()), upstream, onError: (err) => { throw err; },
  });
}

let bytes = 0;
const res = { headersSent: false, writeHead(status, list) { bytes += list.length; return this; }, end(body) { bytes += body.length; } };
const socket = { remoteAddress: '127.0.0.1' };

function requests(kind, token) {
  const headers = token ? { host: 'x', authorization: `Bearer ${token}` } : { host: 'x' };
  return order.map((ip) => kind === 'auth'
    ? { url: '/v1/auth', method: 'GET', headers: { ...headers, 'x-real-ip': ip }, socket }
    : { url: `/v1/mappings/${ip}`, method: 'GET', headers, socket });
}

function measure(name, handler, reqs) {
  const mask = reqs.length - 1;
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) handler(reqs[i & mask], res);
    const used = process.cpuUsage(start);
    samples.push(((used.user + used.system) * 1000) / PER_ROUND);
  }
  samples.sort((a, b) => a - b);
  console.log(`${name.padEnd(34)} ${samples[ROUNDS >> 1].toFixed(0).padStart(6)} ns/request (min ${samples[0].toFixed(0)}, max ${samples[ROUNDS - 1].toFixed(0)})`);
}

console.log(`${entries.toLocaleString('en')} mappings, ${ROUNDS} rounds of ${PER_ROUND.toLocaleString('en')} requests: median CPU per request`);
measure('GET /v1/mappings/{ip}', handlerWith([]), requests('mapping'));
measure('GET /v1/mappings/{ip} with a token', handlerWith(['tok-1234']), requests('mapping', 'tok-1234'));
measure('GET /v1/auth', handlerWith([]), requests('auth'));
if (bytes === 0) throw new Error('nothing was answered');
table.close();
