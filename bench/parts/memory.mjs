/**
 * Memory and scale (issue 6 item 5, issue 13 item 4): the in-memory table at 10k / 100k /
 * 1M / 2M mappings, each size in its own process (`--expose-gc`, so RSS is that size's
 * alone) with a reader thread open on the table (as the lookup thread will be, so RSS is
 * the whole process's, all threads): RSS, add and refresh rates, get() / byUser() time
 * beside a bare Map holding the same keys (the reference, same process), get() from the
 * reader thread, plus snapshot write and restore at 2M with the longest event-loop stall
 * while writing; then the whole listener started on that 2M snapshot, and on an empty
 * table of the same capacity, for the RSS an operator sees. Flat lookup time across sizes
 * is the goal.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { mib, ratio, table } from '../lib/figures.mjs';
import { load } from '../lib/machine.mjs';
import { startListener } from '../lib/listener.mjs';
import { run } from '../lib/proc.mjs';

const SNAPSHOT_SIZE = 2_000_000;
const SELF = fileURLToPath(import.meta.url);

export default {
  name: 'memory',
  title: 'Memory and scale: the mapping table at 10k / 100k / 1M / 2M',
  async run(ctx) {
    const sizes = ctx.smoke ? [10_000, 20_000] : [10_000, 100_000, 1_000_000, 2_000_000];
    const rows = [];
    const samples = [];
    const dir = mkdtempSync(join(tmpdir(), 'uid-bench-memory-'));
    const kept = join(dir, 'mappings.jsonl');
    for (const size of sizes) {
      const machineLoad = load();
      const r = JSON.parse(await run(process.execPath, ['--expose-gc', SELF, String(size), kept]));
      samples.push({ ...r, load: machineLoad });
      ctx.log(`memory ${size}: RSS ${r.rssBytes >> 20} MiB, get ${r.getNs.toFixed(0)} ns (Map ${r.mapNs.toFixed(0)} ns, reader thread ${r.readerNs.toFixed(0)} ns)`);
      rows.push([
        size.toLocaleString('en'), mib(r.rssBytes), mib(r.tableBytes), `${Math.round(r.tableBytes / size)} B`,
        `${Math.round(r.addPerSec / 1000)}k/s`, `${Math.round(r.refreshPerSec / 1000)}k/s`,
        `${r.getNs.toFixed(0)} ns`, `${r.mapNs.toFixed(0)} ns`, ratio(r.getNs / r.mapNs), `${r.readerNs.toFixed(0)} ns`, `${r.byUserNs.toFixed(0)} ns`, machineLoad.toFixed(1),
      ]);
    }
    const snap = samples.find((s) => s.writeMs !== undefined);
    let listener;
    try {
      if (snap) listener = await listenerResidency(dir, kept, snap.size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const notes = [
      'RSS (the whole process: both threads) after a full GC with the table filled by logins (`ACME\\UserN` at 10.x.y.z, one sender, one profile) and up to half a million refreshes ' +
        '(the table\'s clock moved on a second first, so each is a full refresh: new times, recency moved); ' +
        '"table" is RSS minus the process before the table. Lookups: 200,000 random addresses as fresh strings (as an HTTP request brings them), best of three passes; ' +
        'the bare Map holds the same keys (built after RSS was taken); "reader get()" is openTableReader(table.share()).get() on a worker thread (the lookup thread\'s path), same keys.',
    ];
    if (snap) {
      notes.push(`Snapshot at ${snap.size.toLocaleString('en')}: write ${Math.round(snap.writeMs)} ms (${mib(snap.fileBytes)}, longest event-loop stall ${snap.writeMaxStallMs.toFixed(1)} ms), ` +
        `restore ${Math.round(snap.restoreMs)} ms.`);
    }
    if (listener) {
      ctx.log(`memory: the listener holding ${snap.size}: RSS ${listener.restoredBytes >> 20} MiB, empty ${listener.emptyBytes >> 20} MiB`);
      notes.push(`The whole listener (\`node dist/main.js start\`, every shipped profile, the lookup thread) started on that snapshot with \`maxEntries: ${snap.size}\`: ` +
        `RSS ${mib(listener.restoredBytes)} once started (restore included); the same listener with an empty table of that capacity: ${mib(listener.emptyBytes)}.`);
    }
    return {
      tables: [{ caption: 'MemoryMappingTable', markdown: table(['mappings', 'RSS', 'table', 'per mapping', 'add', 'refresh', 'get()', 'Map.get', 'get/Map', 'reader get()', 'byUser()', 'load'], rows) }],
      notes,
      figures: {
        ...Object.fromEntries(samples.map((s) => [s.size, { rssBytes: s.rssBytes, getNs: s.getNs, mapNs: s.mapNs, readerNs: s.readerNs }])),
        ...(listener ? { listener } : {}),
      },
      samples,
    };
  },
};

/** RSS of a running process, all its threads (VmRSS). */
function residentBytes(pid) {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
}

/** The listener's RSS once started on `snapshot` (restored), and with an empty table of the same capacity. */
async function listenerResidency(dir, snapshot, size) {
  const measure = async (options) => {
    const listener = await startListener(dir, { maxEntries: size, ...options });
    try {
      return residentBytes(listener.pid);
    } finally {
      await listener.stop();
    }
  };
  const restoredBytes = await measure({ snapshot });
  const emptyBytes = await measure({});
  return { restoredBytes, emptyBytes };
}

/** Flat strings, as the decoder makes them from a message Buffer. */
const flat = (text) => Buffer.from(text, 'latin1').toString('latin1');
const ipFor = (i) => flat(`10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);

/** A thread that opens the table's share and times reader.get() over `keys` when asked. */
const READER_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.reader).then(({ openTableReader }) => {
  const reader = openTableReader(workerData.share);
  parentPort.on('message', (keys) => {
    let best = Infinity;
    let found = 0;
    const now = Date.now();
    for (let pass = 0; pass < 3; pass++) {
      const began = process.hrtime.bigint();
      for (let i = 0; i < keys.length; i++) if (reader.get(keys[i], now) !== undefined) found++;
      best = Math.min(best, Number(process.hrtime.bigint() - began) / keys.length);
    }
    parentPort.postMessage(found === 0 ? -1 : best);
  });
  parentPort.postMessage('ready');
});`;

function startReaderThread(share) {
  const worker = new Worker(READER_THREAD, { eval: true, workerData: { share, reader: new URL('../../dist/mappings/shared-memory/reader.js', import.meta.url).href } });
  const next = () => new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  return { ready: next(), time: (keys) => { const answer = next(); worker.postMessage(keys); return answer; }, stop: () => worker.terminate() };
}

/** ns per call of fn over the keys, best of three passes. */
function nsPerCall(keys, fn) {
  let best = Infinity;
  let found = 0;
  for (let pass = 0; pass < 3; pass++) {
    const began = process.hrtime.bigint();
    for (let i = 0; i < keys.length; i++) if (fn(keys[i]) !== undefined) found++;
    best = Math.min(best, Number(process.hrtime.bigint() - began) / keys.length);
  }
  if (found === 0) throw new Error('lookups found nothing');
  return best;
}

async function child(size, keep) {
  const { MemoryMappingTable } = await import('../../dist/mappings/memory-table.js');
  const { MappingSnapshot } = await import('../../dist/mappings/snapshot.js');
  globalThis.gc();
  const baseline = process.memoryUsage().rss;
  let skew = 0; // moved on a second before the refreshes, so each is a full refresh
  const table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: size, now: () => Date.now() + skew });
  const readerThread = startReaderThread(table.share());
  await readerThread.ready;
  let began = performance.now();
  for (let i = 0; i < size; i++) table.apply({ event: 'login', ip: ipFor(i), user: flat(`ACME\\User${i}`), sender: 'esm', profile: 'traps-esm-leef' });
  const addPerSec = size / ((performance.now() - began) / 1000);
  const refreshes = Math.min(size, 500_000);
  skew = 1000;
  began = performance.now();
  for (let i = 0; i < refreshes; i++) table.apply({ event: 'login', ip: ipFor(i), user: flat(`acme\\user${i}`), sender: 'esm', profile: 'traps-esm-leef' });
  const refreshPerSec = refreshes / ((performance.now() - began) / 1000);
  globalThis.gc();
  const rssBytes = process.memoryUsage().rss;
  const result = { size, addPerSec, refreshPerSec, rssBytes, tableBytes: rssBytes - baseline };

  if (size === SNAPSHOT_SIZE) {
    const dir = mkdtempSync(join(tmpdir(), 'uid-bench-snapshot-'));
    try {
      let maxStall = 0;
      let last = performance.now();
      let spinning = true;
      const spin = () => {
        const now = performance.now();
        maxStall = Math.max(maxStall, now - last);
        last = now;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const path = join(dir, 'mappings.json');
      began = performance.now();
      if (!(await new MappingSnapshot(table, { path, intervalSeconds: 3600 }).write())) throw new Error('snapshot write failed');
      result.writeMs = performance.now() - began;
      spinning = false;
      result.writeMaxStallMs = maxStall;
      result.fileBytes = statSync(path).size;
      const fresh = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: size });
      began = performance.now();
      const restored = await new MappingSnapshot(fresh, { path, intervalSeconds: 3600 }).restore();
      result.restoreMs = performance.now() - began;
      if (restored.restored.size !== size) throw new Error(`restored ${restored.restored.size} of ${size}`);
      fresh.close();
      if (keep) copyFileSync(path, keep); // the parent starts a listener on it
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const keys = Array.from({ length: 200_000 }, () => ipFor(Math.floor(Math.random() * size)));
  const reference = new Map();
  for (let i = 0; i < size; i++) reference.set(ipFor(i), i);
  result.getNs = nsPerCall(keys, (k) => table.get(k));
  result.readerNs = await readerThread.time(keys);
  if (result.readerNs < 0) throw new Error('the reader thread found nothing');
  await readerThread.stop();
  result.mapNs = nsPerCall(keys, (k) => reference.get(k));
  const users = keys.slice(0, 50_000).map((ip) => `acme\\user${ip.split('.').reduce((n, o, j) => (j === 0 ? 0 : n * 256 + Number(o)), 0)}`);
  result.byUserNs = nsPerCall(users, (u) => (table.byUser(u).length > 0 ? 1 : undefined));
  table.close();
  process.stdout.write(JSON.stringify(result));
}

if (process.argv[1] === SELF) await child(Number(process.argv[2]), process.argv[3]);
