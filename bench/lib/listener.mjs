/**
 * The subject: the real listener (`node dist/main.js start`) in its own process, with a
 * config written for the run. Its own counters (GET /metrics) say what it processed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, start, until } from './proc.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'main.js');
export const PROFILES = join(ROOT, 'profiles');

/**
 * Options: udp {bufferBytes, workers}, tls {certs}, snapshot (a file to restore),
 * accounting {port, secret} (one group, one single-connect server), maxEntries, token (a
 * bearer token the HTTP API then requires; /metrics and /healthz are read with it),
 * trustedProxies (http.trustedProxies, for GET /v1/auth with X-Real-IP), lookupThread
 * (false: http.lookupThread off, every route on the main thread), cli
 * (another build's dist/main.js), nodeArgs (e.g. --cpu-prof) and name.
 * Every shipped profile is loaded and the loopback sender may use them all.
 */
export async function startListener(dir, options = {}) {
  const httpPort = await freePort();
  const udpPort = options.udp ? await freePort() : undefined;
  const tlsPort = options.tls ? await freePort() : undefined;
  const lines = [
    'syslog:',
    options.udp
      ? `  udp: { host: 127.0.0.1, port: ${udpPort}, receiveBufferBytes: ${options.udp.bufferBytes}${options.udp.workers ? `, workers: ${options.udp.workers}` : ''} }`
      : '  udp: { enabled: false }',
    options.tls
      ? `  tls: { host: 127.0.0.1, port: ${tlsPort}, cert: ${options.tls.certs}/server.crt, key: ${options.tls.certs}/server.key }`
      : '  tls: { enabled: false }',
    'senders:',
    '  - { name: loopback, address: 127.0.0.0/8, transports: [udp, tcp, tls] }',
    `profilesDir: ${PROFILES}`,
    'mappings:',
    `  maxEntries: ${options.maxEntries ?? 1_000_000}`,
    options.snapshot ? `  snapshot: { path: ${options.snapshot}, intervalSeconds: 86400 }` : '  snapshot: { enabled: false }',
    `http: { host: 127.0.0.1, port: ${httpPort}${options.token ? `, tokens: ["${options.token}"]` : ''}` +
      `${options.trustedProxies ? `, trustedProxies: [${options.trustedProxies.join(', ')}]` : ''}${options.lookupThread === false ? ', lookupThread: false' : ''} }`,
    'log: { level: warn }',
  ];
  if (options.accounting) {
    lines.push(
      'accounting:',
      '  mode: start-stop',
      `  spool: ${join(dir, 'spool')}`,
      '  groups:',
      `    - { name: bench, servers: [{ host: 127.0.0.1, port: ${options.accounting.port}, secret: "${options.accounting.secret}", singleConnection: true }] }`,
    );
  }
  const config = join(dir, 'uid-listener.yaml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const proc = start(process.execPath, [...(options.nodeArgs ?? []), options.cli ?? CLI, 'start', '--config', config]);
  const base = `http://127.0.0.1:${httpPort}`;
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
  // HTTP answers before the syslog listeners are up; /healthz lists them once they are.
  const wanted = (options.udp ? 1 : 0) + (options.tls ? 1 : 0);
  await until(async () => {
    if (!proc.alive()) throw new Error(`the listener exited:\n${proc.output}`);
    try {
      const health = await (await fetch(`${base}/healthz`, { headers })).json();
      return health.listeners.filter((l) => l.name !== 'http').length >= wanted;
    } catch {
      return false;
    }
  }, 'the listener to start', 120_000, 100);

  const metrics = async () => parseMetrics(await (await fetch(`${base}/metrics`, { headers })).text());
  const counter = async (name, labels = {}) => sum(await metrics(), name, labels);
  return {
    name: options.name ?? `uid-listener${options.udp?.workers ? ` (${options.udp.workers} UDP workers)` : ''}`,
    role: 'subject',
    pid: proc.pid,
    httpPort,
    udpPort,
    tlsPort,
    base,
    metrics,
    counter,
    processed: (transport = options.udp ? 'udp' : 'tls') => counter('uid_syslog_messages_total', { transport, outcome: 'accepted' }),
    output: () => proc.output,
    stop: () => proc.stop(20_000),
  };
}

/** Prometheus text → [{name, labels, value}]. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include `labels`. */
export function sum(samples, name, labels = {}) {
  let total = 0;
  for (const s of samples) {
    if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}
