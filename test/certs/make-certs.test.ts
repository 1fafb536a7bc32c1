import { connect, createServer } from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { testPki } from '../support/certs.js';

describe('certs/make-certs.sh', () => {
  it('makes a server certificate a client verifies for 127.0.0.1, and a client certificate the CA vouches for', async () => {
    const { trusted } = testPki();
    const server = createServer({ cert: trusted.serverCert, key: trusted.serverKey, ca: trusted.ca, requestCert: true, rejectUnauthorized: true },
      (socket) => socket.end(String(socket.getPeerCertificate().subject.CN)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const socket = connect({ host: '127.0.0.1', port, ca: trusted.ca, cert: trusted.clientCert, key: trusted.clientKey });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'end');
    server.close();
    expect(Buffer.concat(chunks).toString()).toBe('uid-listener-client');
  });
});
