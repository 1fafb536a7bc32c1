/**
 * The main thread sees the real client of a request the lookup thread handed on, and
 * nobody can make it see another: the PROXY header is written by the thread on the
 * internal socket only; one a client sends to the public port is no HTTP and refused, and
 * headers a client sends change nothing. The internal socket itself drops a connection
 * that does not start with a valid header.
 */
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InternalSocket } from '../../../src/http/lookup-thread/internal-socket.js';
import { parseProxyHeader, proxyHeader } from '../../../src/http/lookup-thread/proxy-header.js';
import { login } from '../../mappings/support.js';
import { closeApis, memoryTable, rawExchange, startApi } from './support.js';

afterEach(closeApis);

/** POST with a body to parse is handed on to the main thread's forward-auth route, which reads the socket's peer. */
const handedOn = (headers: Record<string, string>) =>
  ['POST /v1/auth/x HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', 'Content-Type: text/plain', 'Content-Length: 2',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', 'hi'].join('\r\n');

describe('the client address the main thread sees', () => {
  it('is the real peer of a handed-on request, whatever the client claims', async () => {
    const table = memoryTable();
    table.apply(login('10.1.2.3', 'ACME\\alice'));
    table.apply(login('127.0.0.1', 'ACME\\local'));
    const { port } = await startApi(table);
    const answer = await rawExchange(port, handedOn({ 'X-Real-IP': '10.1.2.3', 'X-Forwarded-For': '10.1.2.3', Forwarded: 'for=10.1.2.3' }));
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain('\r\nx-user: ACME\\local\r\n');
  });

  it('cannot be set with a PROXY header sent to the public port', async () => {
    const table = memoryTable();
    table.apply(login('10.1.2.3', 'ACME\\alice'));
    const { port } = await startApi(table);
    const answer = await rawExchange(port, `PROXY TCP4 10.1.2.3 127.0.0.1 40000 ${port}\r\n${handedOn({})}`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).not.toContain('alice');
  });
});

describe('the internal socket', () => {
  async function internalWithEcho() {
    const http = createServer((req, res) => res.end(`${req.socket.remoteAddress} ${req.socket.remotePort} ${req.socket.remoteFamily} ${req.url}`));
    const internal = await InternalSocket.open(http);
    return { internal, close: () => internal.close() };
  }

  const exchange = (path: string, bytes: string) => new Promise<string>((resolve) => {
    const socket = connect(path);
    let text = '';
    socket.on('data', (chunk) => { text += chunk.toString(); });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    socket.write(bytes);
  });

  it('gives the HTTP server the header\'s peer, for requests in the same packet as the header', async () => {
    const { internal, close } = await internalWithEcho();
    try {
      const two = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
      const text = await exchange(internal.path, `PROXY TCP6 2001:db8::7 ::1 40001 8080\r\n${two}`);
      expect(text).toContain('2001:db8::7 40001 IPv6 /a');
      expect(text).toContain('2001:db8::7 40001 IPv6 /b');
    } finally {
      await close();
    }
  });

  it('drops a connection without a valid header, and removes its socket file on close', async () => {
    const { internal, close } = await internalWithEcho();
    expect(await exchange(internal.path, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('');
    expect(await exchange(internal.path, 'PROXY TCP4 10.1.2.3 nothing 1 2\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('');
    expect(await exchange(internal.path, `PROXY ${'x'.repeat(200)}`)).toBe('');
    await close();
    await expect(new Promise((resolve, reject) => request({ socketPath: internal.path }).on('error', reject).end())).rejects.toThrow(/ENOENT/);
  });
});

describe('PROXY protocol v1 header', () => {
  it('names both ends and parses back to the client', () => {
    const header = proxyHeader({ remoteAddress: '10.1.2.3', remotePort: 40000, localAddress: '127.0.0.1', localPort: 8080 });
    expect(header).toBe('PROXY TCP4 10.1.2.3 127.0.0.1 40000 8080\r\n');
    expect(parseProxyHeader(header.slice(0, -2))).toEqual({ remoteAddress: '10.1.2.3', remotePort: 40000, remoteFamily: 'IPv4' });
    expect(proxyHeader({ remoteAddress: '::ffff:10.1.2.3', remotePort: 1, localAddress: '::', localPort: 2 })).toBe('PROXY TCP6 ::ffff:10.1.2.3 :: 1 2\r\n');
  });

  it('says UNKNOWN for a peer already gone, and refuses anything else', () => {
    expect(proxyHeader({})).toBe('PROXY UNKNOWN\r\n');
    expect(parseProxyHeader('PROXY UNKNOWN')).toBeNull();
    for (const bad of ['GET / HTTP/1.1', 'PROXY TCP4 10.1.2.3 127.0.0.1 1', 'PROXY TCP4 ::1 ::1 1 2', 'PROXY TCP4 10.1.2.3 127.0.0.1 70000 2', 'PROXY UDP4 10.1.2.3 127.0.0.1 1 2']) {
      expect(() => parseProxyHeader(bad), bad).toThrow();
    }
  });
});
