/**
 * The point of the lookup thread (issue 13 item 2): a lookup is answered while the main
 * thread cannot run at all. The test thread applies a login, then spins for up to 5 s
 * without yielding while a client on another thread asks for the mapping ten times and
 * signals through shared memory; the loop ends when it sees the signal. The answers must
 * have come (with the right user) while the main thread was still blocked. And a mapping
 * made by a message is what the next lookup sees (read-your-writes).
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { login, logout } from '../../mappings/support.js';
import { closeApis, memoryTable, startApi } from './support.js';

afterEach(closeApis);

const LOOKUPS = 10;
const BLOCK_LIMIT_MS = 5000;
/** The issue asks < 50 ms for a 500 ms busy loop; the bound leaves room for a loaded two-core machine. */
const FIRST_ANSWER_BOUND_MS = 500;

/**
 * Opens a keep-alive connection with one lookup (the answer may be a 404: the login comes
 * later), waits for the go, then asks LOOKUPS times in a row on it;
 * flags: [go, done, right user each time, slowest µs].
 */
const CLIENT = `
const { Agent, get } = require('node:http');
const { parentPort, workerData: { port, ip, user, control, lookups } } = require('node:worker_threads');
const flags = new Int32Array(control);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let right = 1, slowest = 0, left = lookups;
const ask = (then) => {
  const sent = process.hrtime.bigint();
  get({ host: '127.0.0.1', port, path: '/v1/mappings/' + ip, agent }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { body += c; });
    res.on('end', () => {
      if (then) return then();
      slowest = Math.max(slowest, Number((process.hrtime.bigint() - sent) / 1000n));
      if (res.statusCode !== 200 || JSON.parse(body).user !== user) right = 0;
      if (--left > 0) return ask();
      Atomics.store(flags, 2, right);
      Atomics.store(flags, 3, slowest);
      Atomics.store(flags, 1, 1);
    });
  }).on('error', () => { Atomics.store(flags, 2, 0); Atomics.store(flags, 1, 1); });
};
ask(() => {
  parentPort.postMessage('ready');
  Atomics.wait(flags, 0, 0);
  ask();
});
`;

describe('lookups while the main thread is blocked', () => {
  it('answers with the right user while the main thread spins', async () => {
    const table = memoryTable();
    const { port } = await startApi(table);
    const flags = new Int32Array(new SharedArrayBuffer(16));
    const client = new Worker(CLIENT, { eval: true, workerData: { port, ip: '10.1.2.3', user: 'ACME\\alice', control: flags.buffer, lookups: LOOKUPS } });
    try {
      await once(client, 'message');
      table.apply(login('10.1.2.3', 'ACME\\alice'));
      const started = performance.now();
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      let answeredAfter: number | undefined;
      // The main thread does nothing else until the client is done or the limit passes.
      while (performance.now() - started < BLOCK_LIMIT_MS) {
        if (Atomics.load(flags, 1) === 1) {
          answeredAfter = performance.now() - started;
          break;
        }
      }
      expect(answeredAfter, 'the lookups were answered while the main thread was blocked').toBeDefined();
      expect(Atomics.load(flags, 2), 'every answer named the mapped user').toBe(1);
      console.info(`lookup thread: ${LOOKUPS} lookups answered ${answeredAfter!.toFixed(1)} ms into a blocked main thread; slowest ${(Atomics.load(flags, 3) / 1000).toFixed(2)} ms`);
      expect(answeredAfter!).toBeLessThan(FIRST_ANSWER_BOUND_MS * LOOKUPS);
      expect(Atomics.load(flags, 3) / 1000).toBeLessThan(FIRST_ANSWER_BOUND_MS);
    } finally {
      await client.terminate();
    }
  });
});

describe('read-your-writes', () => {
  it('a change the table applied is what the next lookup on the thread sees', async () => {
    const table = memoryTable();
    const { api, port } = await startApi(table);
    expect(api.lookupThread).toBe(true);
    const user = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/auth`, { headers: {} });
      return res.status === 200 ? res.headers.get('x-user') : res.status;
    };
    const mapping = async (ip: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/mappings/${ip}`);
      return res.status === 200 ? ((await res.json()) as { user: string }).user : res.status;
    };
    expect(await mapping('10.1.2.3')).toBe(404);
    table.apply(login('10.1.2.3', 'ACME\\alice'));
    expect(await mapping('10.1.2.3')).toBe('ACME\\alice');
    table.apply(login('10.1.2.3', 'ACME\\bob'));
    expect(await mapping('10.1.2.3')).toBe('ACME\\bob');
    table.apply(logout('10.1.2.3', 'ACME\\bob'));
    expect(await mapping('10.1.2.3')).toBe(404);
    // Forward auth reads the same table for the client itself.
    expect(await user()).toBe(401);
    table.apply(login('127.0.0.1', 'ACME\\local'));
    expect(await user()).toBe('ACME\\local');
  });
});
