/**
 * An open-loop HTTP load generator for a fixed request rate (wrk has none, and autocannon
 * records whole milliseconds): requests are due on a fixed schedule over keep-alive
 * connections, and each latency runs from when the request was due, so a stalled server
 * is not hidden by a waiting client (no coordinated omission). With RATE 0 it is closed
 * loop: each connection sends its next request when the last one is answered.
 *
 *   node http-load.mjs PORT RATE SECONDS CONNECTIONS ADDRESSES [BEARER_TOKEN]
 *
 * Prints {"requests","seconds","p50","p99","errors","non2xx"} (latencies in microseconds).
 */
import { connect } from 'node:net';
import { addressPath } from './addresses.mjs';

const [port, rate, seconds, connections, addresses] = process.argv.slice(2, 7).map(Number);
const auth = process.argv[7] ? `authorization: Bearer ${process.argv[7]}\r\n` : '';
const HEADER_END = Buffer.from('\r\n\r\n');
const latencies = [];
let errors = 0;
let non2xx = 0;
const idle = [];
const queue = []; // due times (ms) of requests waiting for a connection

function request(conn, due) {
  conn.due = due;
  conn.socket.write(`GET ${addressPath(Math.floor(Math.random() * addresses))} HTTP/1.1\r\nhost: 127.0.0.1\r\n${auth}\r\n`);
}

function answered(conn) {
  latencies.push((performance.now() - conn.due) * 1000);
  if (queue.length > 0) request(conn, queue.shift());
  else if (rate === 0 && performance.now() < end) request(conn, performance.now());
  else idle.push(conn);
}

function open() {
  return new Promise((resolve, reject) => {
    const conn = { socket: connect({ host: '127.0.0.1', port }), buffered: Buffer.alloc(0), due: 0 };
    conn.socket.setNoDelay(true);
    conn.socket.on('connect', () => resolve(conn));
    conn.socket.on('error', (error) => {
      errors++;
      reject(error);
    });
    conn.socket.on('data', (chunk) => {
      conn.buffered = conn.buffered.length === 0 ? chunk : Buffer.concat([conn.buffered, chunk]);
      for (;;) {
        const head = conn.buffered.indexOf(HEADER_END);
        if (head === -1) return;
        const text = conn.buffered.toString('latin1', 0, head);
        const length = Number(/content-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
        if (conn.buffered.length < head + 4 + length) return;
        if (!/^HTTP\/1\.1 2/.test(text)) non2xx++;
        conn.buffered = conn.buffered.subarray(head + 4 + length);
        answered(conn);
      }
    });
  });
}

const conns = await Promise.all(Array.from({ length: connections }, open));
const began = performance.now();
const end = began + seconds * 1000;
if (rate === 0) {
  for (const conn of conns) request(conn, performance.now());
} else {
  idle.push(...conns);
  const interval = 1000 / rate;
  let next = began;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next <= now && next < end) {
        const conn = idle.pop();
        if (conn) request(conn, next);
        else queue.push(next);
        next += interval;
      }
      if (next >= end) resolve();
      else setImmediate(tick);
    };
    tick();
  });
}
// Let what is in flight finish (up to 5 s), then report.
const deadline = performance.now() + 5000;
while ((idle.length < conns.length || queue.length > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
for (const conn of conns) conn.socket.destroy();
latencies.sort((a, b) => a - b);
const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
const elapsed = (Math.min(performance.now(), end) - began) / 1000;
process.stdout.write(`${JSON.stringify({ requests: latencies.length, seconds: elapsed, p50: at(0.5), p99: at(0.99), errors, non2xx })}\n`);
