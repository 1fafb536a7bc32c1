/**
 * The shared table on Redis (issue 12) beside the in-memory table, in one child process
 * per run with a redis-server of its own (no persistence, loopback): ingest (logins and
 * full refreshes through the Lua script, up to 1,000 in flight, as a busy listener keeps
 * them), lookups from the local replica against the memory table's get() (the reference,
 * same process and keys), and how long a change takes to reach a second listener's
 * replica (p50 / p99, the 1 s target of DESIGN §5).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from '../lib/figures.mjs';
import { load } from '../lib/machine.mjs';
import { freePort, run, until } from '../lib/proc.mjs';

const SELF = fileURLToPath(import.meta.url);
const IN_FLIGHT = 1000;

export default {
  name: 'redis',
  title: 'Shared table on Redis: ingest, lookups and replica lag beside the memory table',
  async run(ctx) {
    const sizes = ctx.smoke ? [5_000] : [100_000, 500_000];
    const rows = [];
    const samples = [];
    for (const size of sizes) {
      const machineLoad = load();
      const r = JSON.parse(await run(process.execPath, [SELF, String(size)]));
      samples.push({ ...r, load: machineLoad });
      ctx.log(`redis ${size}: add ${Math.round(r.redisAddPerSec)}/s (memory ${Math.round(r.memoryAddPerSec)}/s), get ${r.redisGetNs.toFixed(0)} ns, lag p99 ${r.lagP99Ms.toFixed(1)} ms`);
      rows.push([
        size.toLocaleString('en'),
        `${Math.round(r.memoryAddPerSec / 1000)}k/s`, `${Math.round(r.redisAddPerSec / 1000)}k/s`, `${Math.round(r.redisRefreshPerSec / 1000)}k/s`,
        `${r.memoryGetNs.toFixed(0)} ns`, `${r.redisGetNs.toFixed(0)} ns`,
        `${r.lagP50Ms.toFixed(1)} ms`, `${r.lagP99Ms.toFixed(1)} ms`, `${Math.round(r.redisBytesPerMapping)} B`, machineLoad.toFixed(1),
      ]);
    }
    return {
      tables: [{
        caption: 'MemoryMappingTable and RedisMappingTable',
        markdown: table(['mappings', 'memory add', 'redis add', 'redis refresh', 'memory get()', 'redis get()', 'lag p50', 'lag p99', 'Redis B/mapping', 'load'], rows),
      }],
      notes: [
        `Logins \`ACME\\\\UserN\` at 10.x.y.z through APPLY_SCRIPT (EVALSHA) with ${IN_FLIGHT} in flight on one connection, each awaited until this listener's replica has it; ` +
          'refreshes one second later (full refreshes: new times, a stream entry each). Lookups: 200,000 random addresses, best of three passes, from the replica. ' +
          'Lag: from apply() to a second table on the same Redis (another listener, same process) receiving the change, for logins paced at about 1,000/s after the ingest. Redis B/mapping: INFO used_memory growth per mapping, stream included.',
      ],
      figures: Object.fromEntries(samples.map((s) => [s.size, { redisAddPerSec: s.redisAddPerSec, redisGetNs: s.redisGetNs, lagP99Ms: s.lagP99Ms }])),
      samples,
    };
  },
};

/** Paced logins for the lag figure. */
const probeCount = (size) => Math.min(2000, size);
const ipFor = (i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

function nsPerCall(keys, fn) {
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const began = process.hrtime.bigint();
    for (let i = 0; i < keys.length; i++) fn(keys[i]);
    best = Math.min(best, Number(process.hrtime.bigint() - began) / keys.length);
  }
  return best;
}

/** Applies events with at most IN_FLIGHT unresolved; returns events per second. */
async function ingest(table, count, event) {
  const began = performance.now();
  const inFlight = new Set();
  for (let i = 0; i < count; i++) {
    const p = Promise.resolve(table.apply(event(i))).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return count / ((performance.now() - began) / 1000);
}

async function child(size) {
  const { MemoryMappingTable } = await import('../../dist/mappings/memory-table.js');
  const { RedisMappingTable } = await import('../../dist/mappings/redis/redis-table.js');
  const { redisConnector } = await import('../../dist/mappings/redis/connect.js');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'uid-bench-redis-'));
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    const store = { type: 'redis', url: `redis://127.0.0.1:${port}`, keyPrefix: 'bench:', queueMaxEvents: 1000, claimIdleSeconds: 30, streamMaxEntries: 10 * size };
    const make = (name) => new RedisMappingTable({
      connect: redisConnector(store, name), keyPrefix: 'bench:', timeoutMinutes: 45, maxEntries: size * 2, queueMaxEvents: 1000,
      streamMaxEntries: 10 * size, sweepIntervalMs: 0,
    });
    await until(() => new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    }), 'redis-server', 10_000);
    const a = make('bench-a');
    const b = make('bench-b');
    await Promise.all([a.start(), b.start()]);
    const probe = a.connect('commands');
    await new Promise((resolve) => probe.once('ready', resolve));
    const info = async () => Number(/used_memory:(\d+)/.exec(await probe.info('memory'))[1]);
    const memoryBefore = await info();

    const login = (i) => ({ event: 'login', ip: ipFor(i), user: `ACME\\User${i}`, sender: 'esm', profile: 'traps-esm-leef' });
    const applied = new Map();
    const lags = [];
    b.subscribe((change) => {
      const at = applied.get(change.mapping.ip);
      if (at !== undefined) lags.push(performance.now() - at);
    });
    const memory = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: size });
    let began = performance.now();
    for (let i = 0; i < size; i++) memory.apply(login(i));
    const memoryAddPerSec = size / ((performance.now() - began) / 1000);

    const redisAddPerSec = await ingest(a, size, login);
    const redisBytesPerMapping = (await info() - memoryBefore) / size;
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the 1 s refresh resolution: full refreshes
    const refreshes = Math.min(size, 100_000);
    const redisRefreshPerSec = await ingest(a, refreshes, login);
    await b.caughtUp();
    // Lag at a steady 1,000 changes/s (not at saturation, where it is queueing in the sender).
    const probes = probeCount(size);
    const probed = [];
    for (let i = 0; i < probes; i++) {
      const ip = `192.168.${(i >> 8) & 255}.${i & 255}`;
      applied.set(ip, performance.now());
      probed.push(a.apply({ event: 'login', ip, user: `probe${i}`, sender: 'esm', profile: 'traps-esm-leef' }));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    // Every probe in Redis before asking both replicas to catch up with the stream's end.
    await Promise.all(probed);
    await Promise.all([a.caughtUp(), b.caughtUp()]);

    const keys = Array.from({ length: 200_000 }, () => ipFor(Math.floor(Math.random() * size)));
    const memoryGetNs = nsPerCall(keys, (k) => memory.get(k));
    const redisGetNs = nsPerCall(keys, (k) => a.get(k));
    const expected = size + probeCount(size);
    if (a.size !== expected || b.size !== expected) throw new Error(`replicas hold ${a.size} and ${b.size} of ${expected}`);
    lags.sort((x, y) => x - y);
    const pct = (p) => lags[Math.min(lags.length - 1, Math.floor(lags.length * p))] ?? NaN;
    memory.close();
    probe.disconnect();
    await Promise.all([a.close(), b.close()]);
    process.stdout.write(JSON.stringify({
      size, memoryAddPerSec, redisAddPerSec, redisRefreshPerSec, memoryGetNs, redisGetNs,
      lagP50Ms: pct(0.5), lagP99Ms: pct(0.99), redisBytesPerMapping,
    }));
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SELF) await child(Number(process.argv[2]));
