/**
 * The helper loop against the real HTTP API on a socket: answers in order, each line
 * exactly once with its channel-ID, queued lines in one bulk request, and every failure
 * of the lookup (listener down, silent, refusing the token) answered BH — never ERR, never
 * an exit — with the next lookup working again once the listener is back.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttpServer } from '../../src/http/server.js';
import { runHelper } from '../../src/squid/helper.js';
import { createLookupClient, type Lookup } from '../../src/squid/lookup-client.js';
import { login } from '../mappings/support.js';
import { testServer, type TestServer } from '../http/harness.js';

const TOKEN = 'squid-helper-token';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function api(port = 0): Promise<{ server: TestServer; url: URL }> {
  const server = await testServer({ config: { tokens: [TOKEN] } });
  cleanups.push(() => server.app.close());
  await server.table.apply(login('10.1.2.3', 'ACME\\alice'));
  await server.table.apply(login('2001:db8::5', 'J. "Bob" Smith'));
  const address = await listenHttpServer(server.app, { host: '127.0.0.1', port });
  return { server, url: new URL(`http://127.0.0.1:${address.port}`) };
}

/** A helper on in-memory pipes: write lines, read the answers as they come. */
function helper(url: URL, { token = TOKEN, timeoutMs = 2000 } = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  const client = createLookupClient({ url, timeoutMs, token: () => ({ token }) });
  cleanups.push(() => client.close());
  let lookups = 0;
  const counted: Lookup = (addresses) => { lookups++; return client.lookup(addresses); };
  const failures: string[] = [];
  const done = runHelper(input, output, counted, { onLookupFailure: (m) => failures.push(m) });
  let text = '';
  output.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
  const answers = async (count: number): Promise<string[]> => {
    const deadline = Date.now() + 10_000;
    while (text.split('\n').length - 1 < count) {
      if (Date.now() > deadline) throw new Error(`wanted ${count} answers, have: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const lines = text.split('\n').slice(0, count);
    text = text.split('\n').slice(count).join('\n');
    return lines;
  };
  return { input, answers, done, failures, lookups: () => lookups };
}

describe('squid helper loop', () => {
  it('answers OK user=, ERR and BH in order without channel-IDs', async () => {
    const { url } = await api();
    const h = helper(url);
    h.input.write('10.1.2.3 -\n10.9.9.9 -\nnot-an-ip -\n2001:db8::5 -\n');
    expect(await h.answers(4)).toEqual([
      'OK user="ACME\\\\alice"',
      'ERR',
      expect.stringMatching(/^BH message=".*not-an-ip.*UID_ERR_HTTP_BAD_IP\)"$/),
      'OK user="J. \\"Bob\\" Smith"',
    ]);
    h.input.end();
    await h.done; // stdin closed: the loop ends
  });

  it('echoes every channel-ID exactly once, and looks queued lines up in one bulk request', async () => {
    const { url } = await api();
    const h = helper(url);
    const ids = Array.from({ length: 200 }, (_, i) => 1000 + i * 7);
    h.input.write(ids.map((id, i) => `${id} ${i % 2 === 0 ? '10.1.2.3' : '10.9.9.9'} -\n`).join(''));
    const answers = await h.answers(ids.length);
    expect(answers.map((a) => a.split(' ')[0]).sort()).toEqual(ids.map(String).sort());
    for (const [i, id] of ids.entries()) {
      expect(answers).toContain(i % 2 === 0 ? `${id} OK user="ACME\\\\alice"` : `${id} ERR`);
    }
    expect(h.lookups()).toBe(1);
    // A line with an id but no address still gets its id back (a missing id crashes Squid).
    h.input.write('5000\n');
    expect(await h.answers(1)).toEqual([expect.stringMatching(/^5000 BH message=".*UID_ERR_SQUID_REQUEST\)"$/)]);
  });

  it('answers a line over 64 KiB once, as BH with its channel-ID, and goes on', async () => {
    const { url } = await api();
    const h = helper(url);
    h.input.write(`9 ${'1'.repeat(40_000)}`);
    h.input.write(`${'2'.repeat(40_000)} -\n10 10.1.2.3 -\n`);
    expect(await h.answers(2)).toEqual([expect.stringMatching(/^9 BH message="a request line over 65536 bytes/), '10 OK user="ACME\\\\alice"']);
    // A word too long to be an address fails its own line, not the bulk request of its neighbours.
    h.input.write(`11 ${'f'.repeat(70)} -\n12 10.1.2.3 -\n`);
    expect(await h.answers(2)).toEqual([expect.stringMatching(/^11 BH message=".*not an IP address/), '12 OK user="ACME\\\\alice"']);
  });

  it('answers BH while the listener is down and OK again once it is back, without exiting', async () => {
    const first = await api();
    const port = Number(first.url.port);
    await first.server.app.close();
    const h = helper(first.url);
    h.input.write('1 10.1.2.3 -\n2 10.9.9.9 -\n');
    expect(await h.answers(2)).toEqual([
      expect.stringMatching(/^1 BH message="cannot reach the listener at .*ECONNREFUSED \(UID_ERR_SQUID_LOOKUP\)"$/),
      expect.stringMatching(/^2 BH message=/),
    ]);
    expect(h.failures).toHaveLength(1);
    await api(port);
    h.input.write('3 10.1.2.3 -\n');
    expect(await h.answers(1)).toEqual(['3 OK user="ACME\\\\alice"']);
  });

  it('answers BH when the listener accepts but does not answer within --timeout-ms', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => { for (const s of sockets) s.destroy(); return new Promise((resolve) => silent.close(resolve)); });
    const h = helper(new URL(`http://127.0.0.1:${(silent.address() as { port: number }).port}`), { timeoutMs: 200 });
    const started = Date.now();
    h.input.write('10.1.2.3 -\n');
    expect(await h.answers(1)).toEqual(['BH message="the listener did not answer within 200 ms (UID_ERR_SQUID_LOOKUP)"']);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('answers BH naming the listener\'s refusal of a wrong token', async () => {
    const { url } = await api();
    const h = helper(url, { token: 'wrong' });
    h.input.write('10.1.2.3 -\n');
    expect(await h.answers(1)).toEqual([expect.stringMatching(/^BH message="the listener refused the lookup with HTTP 401: .*\(UID_ERR_HTTP_UNAUTHORIZED\)"$/)]);
  });
});
