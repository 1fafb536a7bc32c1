/**
 * The lookup thread takes the public socket as the main server did: HTTPS with `http.tls`
 * for its own answers and for those it hands on, a port in use refused with the same
 * UID_ERR_LISTEN, and at stop event streams ended and the port free.
 */
import { lookup } from 'node:dns/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { login } from '../../mappings/support.js';
import { testPki } from '../../support/certs.js';
import { fetchText } from '../../support/fetch-text.js';
import { closeApis, memoryTable, startApi } from './support.js';

afterEach(closeApis);

describe('the lookup thread on the public socket', () => {
  it('speaks HTTPS with http.tls, for its answers and for those of the main thread', async () => {
    const { trusted, other } = testPki();
    const table = memoryTable();
    table.apply(login('10.1.2.3', 'jdoe'));
    const { api, port } = await startApi(table, { tls: { cert: trusted.path('server.crt'), key: trusted.path('server.key') }, tokens: ['tls-token'] });
    expect(api.lookupThread).toBe(true);
    const options = { host: '127.0.0.1', port, ca: trusted.ca, servername: 'localhost', headers: { authorization: 'Bearer tls-token' }, agent: false };
    const lookup = await fetchText(httpsGet, { ...options, path: '/v1/mappings/10.1.2.3' });
    expect([lookup.status, JSON.parse(lookup.body).user]).toEqual([200, 'jdoe']);
    const health = await fetchText(httpsGet, { ...options, path: '/healthz' });
    expect([health.status, JSON.parse(health.body).status]).toEqual([200, 'ok']);
    await expect(fetchText(httpsGet, { ...options, ca: other.ca, path: '/healthz' })).rejects.toThrow(/certificate/);
    await expect(fetchText(httpGet, { host: '127.0.0.1', port, path: '/healthz', agent: false })).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('listens on every address of localhost, as fastify does', async () => {
    const table = memoryTable();
    table.apply(login('10.1.2.3', 'jdoe'));
    const { port } = await startApi(table, { host: 'localhost' });
    const addresses = (await lookup('localhost', { all: true })).map((a) => a.address);
    for (const address of addresses) {
      const host = address.includes(':') ? `[${address}]` : address;
      const res = await fetch(`http://${host}:${port}/v1/mappings/10.1.2.3`);
      expect([address, res.status]).toEqual([address, 200]);
    }
  });

  it('refuses a port in use with UID_ERR_LISTEN saying what to do', async () => {
    const first = await startApi(memoryTable());
    await expect(startApi(memoryTable(), { port: first.port })).rejects.toMatchObject({
      code: 'UID_ERR_LISTEN',
      message: `the HTTP API cannot listen on 127.0.0.1:${first.port}: another process uses it: stop it or choose another http.port`,
    });
  });

  it('ends event streams at close and frees the port', async () => {
    const { api, port, logs } = await startApi(memoryTable());
    const stream = await new Promise<IncomingMessage>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path: '/v1/events' }, resolve).on('error', reject);
    });
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const ended = new Promise<void>((resolve) => { stream.on('close', () => resolve()); stream.resume(); });
    await api.close();
    await ended;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(logs.filter((line) => JSON.parse(line).level >= 50)).toEqual([]);
  });
});
