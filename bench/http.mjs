#!/usr/bin/env node
/**
 * HTTP API benchmark (STYLE §9: race the reference in one harness): GET /v1/mappings/:ip
 * on the real in-memory table holding 1M mappings, against a bare node:http server that
 * answers a constant JSON body of the same size, and fastify alone serving that body
 * through a schema-serialised route (what is fastify's cost and what is ours). Each server
 * runs in its own child process; autocannon runs here against one server at a time, and
 * the servers take turns round after round, so a busy machine slows them alike; medians
 * are reported.
 *
 *   npx tsc -p tsconfig.build.json && node bench/http.mjs [--entries 1000000] [--seconds 5] [--rounds 3]
 *
 * Per server: as fast as it goes (requests/s, p50, p99, and server CPU time per request,
 * the steadiest number on a shared machine), and at a fixed 10,000 requests/s (p50, p99).
 * "uid+token" is the same server with a bearer token configured, so the constant-time
 * token check is on the path too.
 */
import { execPath } from 'node:process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'string' },
    body: { type: 'string' },
    entries: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
  },
});
const ENTRIES = Number(args.entries);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const TOKEN = 'bench-token-0123456789abcdef';
const FIXED_RATE = 10_000;

function ipFor(i) {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${(i & 255) | 1}`;
}

/** Child: one server on 127.0.0.1:0; prints {"port": N} when ready. */
async function serve(kind) {
  if (kind === 'bare') {
    const body = Buffer.from(args.body);
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server.address().port;
  }
  if (kind === 'fastify') {
    // fastify alone: the same body through a schema-serialised route, no table, hooks or auth.
    const { default: Fastify } = await import('fastify');
    const body = JSON.parse(args.body);
    const properties = Object.fromEntries(Object.keys(body).map((key) => [key, { type: 'string' }]));
    const app = Fastify({ logger: false });
    app.get('/v1/mappings/:ip', { schema: { response: { 200: { type: 'object', properties } } } }, () => body);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return app.server.address().port;
  }
  const { MemoryMappingTable } = await import('../dist/mappings/memory-table.js');
  const { buildHttpServer, listenHttpServer } = await import('../dist/http/server.js');
  const { createLogger } = await import('../dist/observability/logger.js');
  const { Registry } = await import('prom-client');
  const table = new MemoryMappingTable({ timeoutMinutes: 3600, maxEntries: ENTRIES });
  for (let i = 0; i < ENTRIES; i++) {
    table.apply({ event: 'login', ip: ipFor(i), user: `ACME\\user${i}`, sender: 'esm', profile: 'traps-esm-leef' });
  }
  const app = await buildHttpServer({
    config: { enabled: true, host: '127.0.0.1', port: 0, tokens: kind === 'uid+token' ? [TOKEN] : [], allowAnonymous: false },
    table,
    registry: new Registry(),
    health: () => ({ listeners: [], mappings: table.size }),
    logger: createLogger('silent'),
  });
  const { port } = await listenHttpServer(app, { host: '127.0.0.1', port: 0 });
  return port;
}

async function startChild(kind, body) {
  const child = spawn(execPath, [fileURLToPath(import.meta.url), '--serve', kind, '--entries', String(ENTRIES), ...(body ? ['--body', body] : [])], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const [line] = await once(child.stdout, 'data');
  return { kind, child, port: JSON.parse(String(line)).port };
}

/** Server CPU time (user + system) in microseconds so far. */
async function cpuOf(server) {
  server.child.send('cpu');
  const [usage] = await once(server.child, 'message');
  return usage.user + usage.system;
}

function cannon(port, kind, extra) {
  const headers = kind === 'uid+token' ? { authorization: `Bearer ${TOKEN}` } : {};
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers,
    requests: [{
      method: 'GET',
      setupRequest: (req) => ({ ...req, path: `/v1/mappings/${ipFor(Math.floor(Math.random() * ENTRIES))}` }),
    }],
    ...extra,
  });
}

async function run(server, extra) {
  const cpuBefore = await cpuOf(server);
  const result = await cannon(server.port, server.kind, extra);
  const cpu = (await cpuOf(server)) - cpuBefore;
  if (result.non2xx || result.errors) throw new Error(`${server.kind}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuUs: cpu / result.requests.total };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function sampleBody() {
  const { child, port } = await startChild('uid');
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/mappings/${ipFor(ENTRIES - 1)}`);
    if (res.status !== 200) throw new Error(`sample lookup answered ${res.status}`);
    return await res.text();
  } finally {
    child.kill();
  }
}

async function main() {
  const body = await sampleBody();
  console.log(`GET /v1/mappings/:ip, ${ENTRIES.toLocaleString('en')} mappings, body ${body.length} bytes, ` +
    `${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s, node ${process.version}\n`);
  const servers = [await startChild('bare', body), await startChild('fastify', body), await startChild('uid'), await startChild('uid+token')];
  try {
    for (const server of servers) await cannon(server.port, server.kind, { duration: 3 }); // warm up
    const max = new Map(servers.map((s) => [s.kind, []]));
    const fixed = new Map(servers.map((s) => [s.kind, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of servers) max.get(server.kind).push(await run(server, {}));
      for (const server of servers) fixed.get(server.kind).push(await run(server, { overallRate: FIXED_RATE }));
    }
    console.log('| server | req/s (max) | vs bare | p50 ms | p99 ms | CPU µs/req | vs bare | at 10k req/s: req/s | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const bare = max.get('bare');
    for (const server of servers) {
      const m = max.get(server.kind);
      const f = fixed.get(server.kind);
      // Ratios per round (both measured under the same load), then the median.
      const rpsRatio = median(m.map((r, i) => r.rps / bare[i].rps));
      const cpuRatio = median(m.map((r, i) => bare[i].cpuUs / r.cpuUs));
      console.log(`| ${server.kind} | ${Math.round(median(m.map((r) => r.rps)))} | ${rpsRatio.toFixed(2)}× | ` +
        `${median(m.map((r) => r.p50))} | ${median(m.map((r) => r.p99))} | ${median(m.map((r) => r.cpuUs)).toFixed(1)} | ${cpuRatio.toFixed(2)}× | ` +
        `${Math.round(median(f.map((r) => r.rps)))} | ${median(f.map((r) => r.p50))} | ${median(f.map((r) => r.p99))} |`);
    }
  } finally {
    for (const server of servers) server.child.kill();
  }
}

if (args.serve) {
  const port = await serve(args.serve);
  // The parent asks for CPU time around each run.
  process.on('message', () => process.send(process.cpuUsage()));
  process.stdout.write(`${JSON.stringify({ port })}\n`);
} else {
  await main();
}
