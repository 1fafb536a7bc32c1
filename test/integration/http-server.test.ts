/** The HTTP API on real sockets: HTTPS with the test PKI and a token, and a port already in use. */
import { get as httpsGet } from 'node:https';
import { get as httpGet } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttpServer } from '../../src/http/server.js';
import { login } from '../mappings/support.js';
import { testPki } from '../support/certs.js';
import { fetchText } from '../support/fetch-text.js';
import { testServer, type TestServer } from '../http/harness.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.app.close();
});

describe('HTTPS (http.tls)', () => {
  it('serves the API over TLS with the configured certificate', async () => {
    const { trusted } = testPki();
    const server = await testServer({ config: { tls: { cert: trusted.path('server.crt'), key: trusted.path('server.key') }, tokens: ['tls-token'] } });
    servers.push(server);
    await server.table.apply(login('10.1.2.3', 'jdoe'));
    const { port } = await listenHttpServer(server.app, { host: '127.0.0.1', port: 0 });

    const res = await fetchText(httpsGet, {
      host: '127.0.0.1', port, path: '/v1/mappings/10.1.2.3', ca: trusted.ca, servername: 'localhost',
      headers: { authorization: 'Bearer tls-token' }, agent: false,
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).user).toBe('jdoe');

    // A client that does not trust the CA is refused by its own TLS check.
    await expect(fetchText(httpsGet, { host: '127.0.0.1', port, path: '/healthz', ca: testPki().other.ca, agent: false }))
      .rejects.toThrow(/certificate/);
    // Plain HTTP to the HTTPS port gets no answer at all.
    await expect(fetchText(httpGet, { host: '127.0.0.1', port, path: '/healthz', agent: false })).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});

describe('listenHttpServer', () => {
  it('reports a port in use as UID_ERR_LISTEN saying what to do', async () => {
    const first = await testServer();
    const second = await testServer();
    servers.push(first, second);
    const { port } = await listenHttpServer(first.app, { host: '127.0.0.1', port: 0 });
    await expect(listenHttpServer(second.app, { host: '127.0.0.1', port }))
      .rejects.toMatchObject({ code: 'UID_ERR_LISTEN', message: `the HTTP API cannot listen on 127.0.0.1:${port}: another process uses it: stop it or choose another http.port` });
  });
});
