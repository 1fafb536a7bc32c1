#!/usr/bin/env node
/**
 * The benchmark suite (issue 6; STYLE §9: race the reference in one harness). Each part
 * runs the listener beside its reference in the same run and prints raw figures and ratios:
 *
 *   udp         UDP ingest vs rsyslog imudp (and a bare node:dgram receiver: the bound)
 *   tls         TLS ingest vs rsyslog imtcp with the openssl driver
 *   http        GET /v1/mappings/{ip} with 1M mappings vs a bare node:http server, quiet and during UDP ingest
 *   accounting  records/s to a TACACS+ test server vs a raw pipelined sender
 *   memory      RSS and lookup time at 100k / 1M / 2M mappings vs a bare Map
 *   identify    the profile matcher alone vs indexOf and plain JS RegExps (micro)
 *   stages      the per-message ingest path taken apart stage by stage (in-process)
 *
 *   npm run bench [-- --parts udp,http] [--seconds 5] [--repeat 3] [--workers 0,2] [--mixes steady] [--smoke] [--no-write]
 *
 * --mixes esm,realistic,steady picks the udp part's traffic (default: all three).
 * --workers lists the `syslog.udp.workers` settings to race (each one a listener of its
 * own in the udp and http parts; the others use the first). --baseline DIR adds, in the udp
 * and accounting parts, the listener built in another checkout (DIR/dist/main.js): before
 * against after. --mappings N sets the http part's table size (default 1,000,000).
 *
 * Results go to bench/out/results-<time>.json (and latest.json) and, unless --smoke or
 * --no-write, into BENCHMARKS.md between each part's markers. Run it on a quiet machine:
 * the load average is recorded beside every figure.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { load, machineInfo } from './lib/machine.mjs';
import { updateBenchmarks, renderPart } from './lib/report.mjs';
import accounting from './parts/accounting.mjs';
import http from './parts/http.mjs';
import identify from './parts/identify.mjs';
import memory from './parts/memory.mjs';
import redis from './parts/redis.mjs';
import stages from './parts/stages.mjs';
import tls from './parts/tls.mjs';
import udp from './parts/udp.mjs';

const PARTS = [udp, tls, http, accounting, memory, redis, identify, stages];
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WANTED_BUFFER = 8 * 2 ** 20;

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: PARTS.map((p) => p.name).join(',') },
    seconds: { type: 'string' },
    repeat: { type: 'string' },
    workers: { type: 'string', default: '0,2' },
    mixes: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    out: { type: 'string' },
    baseline: { type: 'string' },
    mappings: { type: 'string' },
  },
});

const chosen = args.parts.split(',').map((name) => {
  const part = PARTS.find((p) => p.name === name.trim());
  if (!part) throw new Error(`unknown part "${name}" (parts: ${PARTS.map((p) => p.name).join(', ')})`);
  return part;
});

const machine = machineInfo();
const outDir = join(ROOT, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'uid-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// Same socket buffer for every UDP receiver. rsyslog as root forces its size past
// net.core.rmem_max (SO_RCVBUFFORCE); the listener cannot (SO_RCVBUF), so when the limit is
// lower than 8 MiB both get the limit.
const bufferBytes = Math.min(WANTED_BUFFER, Number.isFinite(machine.rmemMax) ? machine.rmemMax : WANTED_BUFFER);
const bufferNote = bufferBytes === WANTED_BUFFER
  ? `net.core.rmem_max = ${machine.rmemMax}`
  : `net.core.rmem_max = ${machine.rmemMax} caps the listener's SO_RCVBUF, so rsyslog is given the same instead of 8 MiB; ` +
    'raise it with `sysctl -w net.core.rmem_max=8388608` for the 8 MiB comparison';

const ctx = {
  smoke: args.smoke,
  outDir,
  tmp,
  seconds: Number(args.seconds ?? (args.smoke ? 0.3 : 5)),
  repeat: Number(args.repeat ?? (args.smoke ? 1 : 3)),
  workers: args.workers.split(',').map(Number),
  mixes: args.mixes?.split(','),
  baseline: args.baseline,
  mappings: args.mappings === undefined ? undefined : Number(args.mappings),
  bufferBytes,
  bufferNote,
  quietMs: args.smoke ? 250 : 500,
  log: (line) => process.stderr.write(`[bench] ${line}\n`),
};

const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
const results = { date: new Date().toISOString(), command, machine, smoke: ctx.smoke, parts: {} };

async function runPart(part) {
  const began = Date.now();
  const loadBefore = load();
  ctx.log(`${part.name}: started (load ${loadBefore})`);
  try {
    const partTmp = join(tmp, part.name);
    mkdirSync(partTmp);
    results.parts[part.name] = { ...(await part.run({ ...ctx, tmp: partTmp })), loadBefore, seconds: (Date.now() - began) / 1000 };
  } catch (error) {
    results.parts[part.name] = { error: error.stack ?? String(error), loadBefore, seconds: (Date.now() - began) / 1000 };
    ctx.log(`${part.name}: FAILED: ${error.message}`);
  }
  process.stdout.write(`${renderPart(part, results.parts[part.name], results)}\n\n`);
}

// A smoke run only checks that every part still works, so its parts run side by side;
// a measuring run takes them one at a time.
if (ctx.smoke) await Promise.all(chosen.map(runPart));
else for (const part of chosen) await runPart(part);

const stamp = results.date.replace(/[:.]/g, '-');
const json = `${JSON.stringify(results, null, 1)}\n`;
writeFileSync(args.out ?? join(outDir, `results-${stamp}.json`), json);
if (!args.out) writeFileSync(join(outDir, 'latest.json'), json);
if (!ctx.smoke && !args['no-write']) {
  const file = join(ROOT, 'BENCHMARKS.md');
  writeFileSync(file, updateBenchmarks(readFileSync(file, 'utf8'), chosen, results));
  ctx.log('BENCHMARKS.md updated');
}
const failed = Object.entries(results.parts).filter(([, r]) => r.error).map(([name]) => name);
if (failed.length > 0) {
  ctx.log(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
