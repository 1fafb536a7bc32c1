#!/usr/bin/env node
/**
 * Soak run (issue 7 item 5; `npm run soak`, not in CI): the built listener as a child
 * process, fed login/logout syslog over UDP at a steady rate with churn, accounting on to
 * a TACACS+ sink (scripts/tacacs-sink.mjs). Every --sample seconds it reads /metrics and
 * prints RSS, event-loop lag, table size and accounting records against table changes;
 * at the end it prints a summary and a verdict.
 *
 *   node scripts/soak.mjs [--minutes 30] [--rate 30000] [--window 50000] [--advance 1000]
 *
 * Churn: addresses form a window that slides through a space of --space addresses. Each
 * second --advance addresses enter it (login: added) and as many leave it: half log out
 * (removed), half just go quiet and expire (timeoutMinutes 1). The rest of the rate is
 * heartbeats of addresses inside the window (refreshed, no record). Steady table size:
 * window + advance/2 × 60 s (the quiet ones until they expire).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseMetrics, sum } from '../bench/lib/listener.mjs';
import { freePort } from '../bench/lib/proc.mjs';
import { TacacsSink } from './tacacs-sink.mjs';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '30000' },
    window: { type: 'string', default: '50000' },
    advance: { type: 'string', default: '1000' },
    space: { type: 'string', default: '400000' },
    sample: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(args.minutes);
const RATE = Number(args.rate);
const WINDOW = Number(args.window);
const ADVANCE = Number(args.advance);
const SPACE = Number(args.space);
const SAMPLE_MS = Number(args.sample) * 1000;
const TIMEOUT_S = 60;
const KEY = 'soak-shared-secret';
const MAIN = new URL('../dist/main.js', import.meta.url).pathname;

const PROFILE = (event) => `name: soak-${event}
type: regex
event: ${event}
eventRegex: '^${event.toUpperCase()} '
usernameRegex: 'user=(\\S+)'
addressRegex: 'ip=([0-9.]+)'
`;

const ip = (n) => `10.${100 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
const message = (event, position) => {
  const n = position % SPACE;
  return Buffer.from(`${event} user=u${n} ip=${ip(n)}`);
};

async function metrics(port) {
  const samples = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const get = (name, labels) => sum(samples, name, labels);
  const change = (kind) => get('uid_mapping_changes_total', { kind });
  return {
    rss: get('process_resident_memory_bytes'),
    heap: get('nodejs_heap_size_used_bytes'),
    external: get('nodejs_external_memory_bytes'),
    lagP99: get('nodejs_eventloop_lag_p99_seconds'),
    lagMax: get('nodejs_eventloop_lag_max_seconds'),
    mappings: get('uid_mappings'),
    accepted: get('uid_syslog_messages_total', { transport: 'udp', outcome: 'accepted' }),
    drops: get('uid_udp_kernel_drops_total'),
    spool: get('uid_accounting_spool_records', { group: 'soak' }),
    failedSends: get('uid_accounting_records_total', { group: 'soak', outcome: 'failed' }),
    // What the records must match: a START per session begun, a STOP per session ended.
    starts: change('added') + change('user-changed'),
    stops: change('removed') + change('expired') + change('evicted') + change('user-changed'),
  };
}

const mb = (bytes) => (bytes / 1048576).toFixed(0);
const ms = (seconds) => (seconds * 1000).toFixed(1);
const k = (n) => `${(n / 1000).toFixed(1)}k`;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'uid-soak-'));
  await mkdir(join(dir, 'profiles'));
  await writeFile(join(dir, 'profiles', 'soak-login.yaml'), PROFILE('login'));
  await writeFile(join(dir, 'profiles', 'soak-logout.yaml'), PROFILE('logout'));
  const sink = new TacacsSink(KEY);
  const sinkPort = await sink.listen();
  const [udpPort, httpPort] = [await freePort(), await freePort()];
  const config = {
    syslog: { udp: { host: '127.0.0.1', port: udpPort }, tls: { enabled: false }, tcp: { enabled: false } },
    senders: [{ name: 'soak', address: '127.0.0.1', transports: ['udp'] }],
    profilesDir: join(dir, 'profiles'),
    mappings: { timeoutMinutes: TIMEOUT_S / 60, snapshot: { path: join(dir, 'data', 'mappings.json'), intervalSeconds: 30 } },
    http: { host: '127.0.0.1', port: httpPort },
    accounting: { mode: 'start-stop', spool: join(dir, 'data', 'accounting'), groups: [{ name: 'soak', servers: [{ host: '127.0.0.1', port: sinkPort, secret: KEY }] }] },
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  const child = spawn(process.execPath, [MAIN, 'start', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let logTail = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { logTail = (logTail + chunk).slice(-4000); });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', () => logTail.includes('uid-listener started') && resolve());
    child.once('exit', (code) => reject(new Error(`listener exited (${code}): ${logTail}`)));
  });

  console.log(`soak: ${MINUTES} min at ${RATE} msg/s; window ${WINDOW}, advance ${ADVANCE}/s (half logout, half expire), timeout ${TIMEOUT_S}s, accounting start-stop`);
  const expectedTable = WINDOW + (ADVANCE / 2) * TIMEOUT_S;
  const steadyAfterS = WINDOW / ADVANCE + TIMEOUT_S + 30; // window filled, first quiet ones expired
  const udp = createSocket('udp4');
  let sendErrors = 0;
  const onSent = (error) => { if (error) sendErrors++; };
  const started = performance.now();
  const endAt = started + MINUTES * 60_000;
  let sent = 0;
  let head = 0; // next position to enter the window
  let tail = 0; // next position to leave it
  let heartbeat = 1;

  const tick = () => {
    const elapsed = (performance.now() - started) / 1000;
    let budget = Math.min(Math.floor(RATE * elapsed) - sent, RATE / 20); // catch up, but not in one burst
    for (const target = Math.floor(ADVANCE * elapsed); head < target && budget > 0; head++, budget--, sent++) {
      udp.send(message('LOGIN', head), udpPort, '127.0.0.1', onSent);
    }
    while (head - tail > WINDOW) {
      if (tail % 2 === 0 && budget > 0) {
        udp.send(message('LOGOUT', tail), udpPort, '127.0.0.1', onSent);
        budget--;
        sent++;
      }
      tail++;
    }
    for (const size = head - tail; budget > 0 && size > 0; budget--, sent++) {
      heartbeat = (heartbeat * 1103515245 + 12345) % 2147483648; // cheap LCG: a random member of the window
      udp.send(message('LOGIN', tail + (heartbeat % size)), udpPort, '127.0.0.1', onSent);
    }
  };

  const samples = [];
  const first = await metrics(httpPort);
  // The heap right after a collection shows a leak; a reading every second catches those lows.
  let heapLow = Infinity;
  const heapPoller = setInterval(() => {
    metrics(httpPort).then((m) => { heapLow = Math.min(heapLow, m.heap); }, () => {});
  }, 1000);
  const sample = async () => {
    const m = await metrics(httpPort);
    const t = (performance.now() - started) / 1000;
    const s = { t, sent, ...m, heapLow: Math.min(heapLow, m.heap), records: { ...sink.counts } };
    heapLow = Infinity;
    samples.push(s);
    const previous = samples.at(-2) ?? { t: 0, sent: 0, accepted: first.accepted };
    console.log(`t=${t.toFixed(0).padStart(5)}s  sent ${k((sent - previous.sent) / (t - previous.t))}/s  accepted ${k((m.accepted - previous.accepted) / (t - previous.t))}/s`
      + `  rss ${mb(m.rss)} MB (heap ${mb(m.heap)}, low ${mb(s.heapLow)}, ext ${mb(m.external)})  lag p99 ${ms(m.lagP99)} ms (max ${ms(m.lagMax)})  table ${k(m.mappings)}`
      + `  records START ${s.records.start}/${m.starts}  STOP ${s.records.stop}/${m.stops}  spool ${m.spool}`);
  };

  const ticker = setInterval(tick, 5);
  await new Promise((resolve) => {
    const sampler = setInterval(() => {
      void sample();
      if (performance.now() >= endAt) {
        clearInterval(sampler);
        resolve();
      }
    }, SAMPLE_MS);
  });
  clearInterval(ticker);
  clearInterval(heapPoller);

  // Every session must end with a STOP: wait until all mappings have expired (the
  // timeout, then the sweep) and accounting has caught up; compare counts read together.
  let final;
  let records;
  const drainDeadline = performance.now() + (TIMEOUT_S + 90) * 1000;
  do {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    final = await metrics(httpPort);
    records = { ...sink.counts };
  } while ((final.mappings > 0 || final.spool > 0 || records.start !== final.starts || records.stop !== final.stops) && performance.now() < drainDeadline);

  child.kill('SIGTERM');
  const exitCode = await new Promise((resolve) => child.once('exit', resolve));
  await sink.close();
  udp.close();
  report(samples, first, final, { expectedTable, steadyAfterS, exitCode, sendErrors, counts: records, sent });
  if (!args.keep) await rm(dir, { recursive: true, force: true });
}

function report(samples, first, final, { expectedTable, steadyAfterS, exitCode, sendErrors, counts, sent }) {
  const steady = samples.filter((s) => s.t >= steadyAfterS);
  const last = samples.at(-1);
  const lost = sent - (final.accepted - first.accepted);
  const halves = [steady.slice(0, Math.floor(steady.length / 2)), steady.slice(Math.floor(steady.length / 2))];
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  // The heap after a collection (the lowest reading of a stretch) shows a leak; RSS follows
  // the heap's high-water mark, which grows until the collector settles, then stays.
  const [heapFloorEarly, heapFloorLate] = halves.map((h) => Math.min(...h.map((s) => s.heapLow)));
  const [rssEarly, rssLate] = halves.map((h) => Math.max(...h.map((s) => s.rss)));
  const [lagEarly, lagLate] = halves.map((h) => mean(h.map((s) => s.lagP99)));
  const lagUnder100 = samples.filter((s) => s.lagP99 < 0.1).length / samples.length;
  const tables = steady.map((s) => s.mappings);
  const checks = [
    ['kept up: accepted >= 99.9% of sent', lost <= sent * 0.001,
      `${sent} sent, ${lost} not accepted (${(100 * lost / sent).toFixed(3)}%), kernel drops ${final.drops - first.drops} (host-wide), send errors ${sendErrors}`],
    ['no leak: heap after collection flat in steady state (late floor within 10% or 16 MB of early)', steady.length >= 4 && heapFloorLate <= Math.max(heapFloorEarly * 1.1, heapFloorEarly + 16 * 1048576),
      `heap floor ${mb(heapFloorEarly)} -> ${mb(heapFloorLate)} MB`],
    ['RSS flat in steady state (late peak within 10% or 32 MB of early peak)', steady.length >= 4 && rssLate <= Math.max(rssEarly * 1.1, rssEarly + 32 * 1048576),
      `peak ${mb(rssEarly)} -> ${mb(rssLate)} MB, max ${mb(Math.max(...samples.map((s) => s.rss)))} MB`],
    ['event-loop lag flat (late mean p99 within 1.5x + 10 ms of early) and p99 < 100 ms in 95% of samples', lagLate <= lagEarly * 1.5 + 0.01 && lagUnder100 >= 0.95,
      `mean p99 ${ms(lagEarly)} -> ${ms(lagLate)} ms, max p99 ${ms(Math.max(...samples.map((s) => s.lagP99)))} ms, ${(100 * lagUnder100).toFixed(0)}% of samples under 100 ms`],
    [`table size within 10% of ${expectedTable} in steady state`, tables.length > 0 && tables.every((n) => Math.abs(n - expectedTable) <= 0.1 * expectedTable),
      `min ${Math.min(...tables)}, max ${Math.max(...tables)}`],
    ['accounting records = table changes, every session stopped (after all expired; repeats are at-least-once resends)',
      counts.start === final.starts && counts.stop === final.stops && counts.start === counts.stop && counts.invalid === 0,
      `START ${counts.start}/${final.starts}, STOP ${counts.stop}/${final.stops}, repeats ${counts.duplicates} (failed sends ${final.failedSends}), system ${counts.system}, invalid ${counts.invalid}, spool ${final.spool}, table ${final.mappings}`],
    ['SIGTERM exits 0', exitCode === 0, `exit ${exitCode}`],
  ];
  console.log(`\nsummary: ${(last.t / 60).toFixed(1)} min, ${samples.length} samples, steady state from ${steadyAfterS}s (${steady.length} samples)`);
  for (const [what, ok, detail] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}: ${detail}`);
  const pass = checks.every(([, ok]) => ok);
  console.log(`verdict: ${pass ? 'PASS' : 'FAIL'}`);
  process.exitCode = pass ? 0 : 1;
}

await main();
