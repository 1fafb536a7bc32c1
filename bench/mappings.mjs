#!/usr/bin/env node
/**
 * Mapping table benchmark: apply() rate, get() latency (against a bare Map holding the same
 * entries, in the same process: the ratio is the number to watch), RSS at 100k / 1M / 2M
 * mappings, and snapshot write / restore time at 1M with the longest event-loop stall.
 *
 *   npx tsc -p tsconfig.build.json && node bench/mappings.mjs [sizes...]
 *
 * Each size runs in its own child process (`--expose-gc`) so RSS is that size's alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SNAPSHOT_SIZE = 1_000_000;

/** Flat strings, as the decoder makes them from a message Buffer. */
function flat(text) {
  return Buffer.from(text, 'latin1').toString('latin1');
}

function ipFor(i) {
  return flat(`10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
}

function mib(bytes) {
  return Math.round(bytes / 2 ** 20);
}

/** ns per call of fn over the sample keys, best of three passes. */
function nsPerLookup(keys, fn) {
  let best = Infinity;
  let sink = 0;
  for (let pass = 0; pass < 3; pass++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < keys.length; i++) if (fn(keys[i]) !== undefined) sink++;
    best = Math.min(best, Number(process.hrtime.bigint() - start) / keys.length);
  }
  if (sink === 0) throw new Error('lookups found nothing');
  return best;
}

async function child(size) {
  const { MemoryMappingTable } = await import('../dist/mappings/memory-table.js');
  const { MappingSnapshot } = await import('../dist/mappings/snapshot.js');
  globalThis.gc();
  const baseline = process.memoryUsage().rss;
  const table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: size });
  let changes = 0;
  table.subscribe(() => changes++);

  let start = performance.now();
  for (let i = 0; i < size; i++) {
    table.apply({ event: 'login', ip: ipFor(i), user: flat(`ACME\\User${i}`), sender: 'esm', profile: 'traps-esm-leef' });
  }
  const addPerSec = size / ((performance.now() - start) / 1000);

  const refreshes = Math.min(size, 500_000);
  start = performance.now();
  for (let i = 0; i < refreshes; i++) {
    table.apply({ event: 'login', ip: ipFor(i), user: flat(`acme\\user${i}`), sender: 'esm', profile: 'traps-esm-leef' });
  }
  const refreshPerSec = refreshes / ((performance.now() - start) / 1000);

  globalThis.gc();
  const rss = process.memoryUsage().rss;
  const heap = process.memoryUsage().heapUsed;

  const result = { size, changes, addPerSec, refreshPerSec, rssMiB: mib(rss), tableMiB: mib(rss - baseline), heapMiB: mib(heap) };
  if (size === SNAPSHOT_SIZE) {
    const dir = mkdtempSync(join(tmpdir(), 'uid-bench-'));
    const path = join(dir, 'mappings.json');
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
      const snapshot = new MappingSnapshot(table, { path, intervalSeconds: 3600 });
      start = performance.now();
      if (!(await snapshot.write())) throw new Error('snapshot write failed');
      result.writeMs = performance.now() - start;
      spinning = false;
      result.writeMaxStallMs = maxStall;
      result.fileMiB = mib(statSync(path).size);
      const fresh = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: size });
      start = performance.now();
      const restored = await new MappingSnapshot(fresh, { path, intervalSeconds: 3600 }).restore();
      result.restoreMs = performance.now() - start;
      if (restored.restored.length !== size) throw new Error(`restored ${restored.restored.length} of ${size}`);
      fresh.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Lookups with fresh key strings (as an HTTP request brings), random order.
  const keys = Array.from({ length: 200_000 }, () => ipFor(Math.floor(Math.random() * size)));
  // The reference: a bare Map of the same size (built after RSS was taken).
  const reference = new Map();
  for (let i = 0; i < size; i++) reference.set(ipFor(i), i);
  const getNs = nsPerLookup(keys, (k) => table.get(k));
  const mapNs = nsPerLookup(keys, (k) => reference.get(k));
  const userKeys = keys.slice(0, 50_000).map((ip) => `acme\\user${ip.split('.').reduce((n, o, j) => (j === 0 ? 0 : n * 256 + Number(o)), 0)}`);
  const byUserNs = nsPerLookup(userKeys, (u) => (table.byUser(u).length > 0 ? 1 : undefined));

  Object.assign(result, { getNs, mapNs, byUserNs });
  table.close();
  process.stdout.write(JSON.stringify(result));
}

function parent(sizes) {
  const self = fileURLToPath(import.meta.url);
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  console.log('size      | add/s     | refresh/s | RSS MiB (table) | get ns | Map.get ns | get/Map | byUser ns');
  for (const size of sizes) {
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', String(size)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out);
    const k = (n) => `${Math.round(n / 1000)}k`.padEnd(9);
    console.log(
      `${String(size).padEnd(9)} | ${k(r.addPerSec)} | ${k(r.refreshPerSec)} | ${`${r.rssMiB} (${r.tableMiB})`.padEnd(15)} | ${r.getNs.toFixed(0).padEnd(6)} | ${r.mapNs.toFixed(0).padEnd(10)} | ${(r.getNs / r.mapNs).toFixed(1).padEnd(7)} | ${r.byUserNs.toFixed(0)}`,
    );
    if (r.writeMs !== undefined) {
      console.log(
        `  snapshot at ${size}: write ${Math.round(r.writeMs)} ms (${r.fileMiB} MiB, longest event-loop stall ${r.writeMaxStallMs.toFixed(1)} ms), restore ${Math.round(r.restoreMs)} ms`,
      );
    }
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(Number(args[1]));
else parent(args.length > 0 ? args.map(Number) : [100_000, 1_000_000, 2_000_000]);
