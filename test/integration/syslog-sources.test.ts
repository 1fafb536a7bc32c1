import { createSocket } from 'node:dgram';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyslogConfig } from '../../src/config/schema.js';
import { decodeLeef } from '../../src/syslog/leef.js';
import { SyslogSources } from '../../src/syslog/sources.js';
import { UdpSource } from '../../src/syslog/udp.js';
import { testPki } from '../support/certs.js';
import { eventLog, loopbackSenders, recorder, waitFor } from './syslog-support.js';

const { trusted } = testPki();
const ESM = 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\tdst=10.1.2.3';

function config(overrides: Partial<SyslogConfig['tls']> = {}): SyslogConfig {
  return {
    udp: { enabled: true, host: '127.0.0.1', port: 0, receiveBufferBytes: 65536 },
    tls: { enabled: true, host: '127.0.0.1', port: 0, cert: trusted.path('server.crt'), key: trusted.path('server.key'), requireClientCert: false, ...overrides },
    tcp: { enabled: true, host: '127.0.0.1', port: 0 },
    maxMessageBytes: 65536, maxConnections: 10, maxConnectionsPerSender: 10, idleTimeoutSeconds: 60, handshakeTimeoutSeconds: 10,
  };
}

const started: SyslogSources[] = [];
afterEach(async () => {
  for (const sources of started.splice(0)) await sources.stop();
});

describe('SyslogSources', () => {
  it('starts the enabled sources and delivers the Traps ESM LEEF message over UDP and TLS', async () => {
    const { received, handler } = recorder();
    const log = eventLog();
    const sources = new SyslogSources(config(), { senders: loopbackSenders(), handler, onEvent: log.onEvent });
    started.push(sources);
    await sources.start();
    expect(sources.sources.map((s) => s.transport)).toEqual(['udp', 'tls', 'tcp']);
    expect(log.of('listening')).toHaveLength(3);
    const udp = sources.sources[0] as UdpSource;
    const tls = sources.sources[1]!;

    const datagram = createSocket('udp4');
    await new Promise<void>((resolve) => datagram.send(`<14>${ESM}`, udp.address().port, '127.0.0.1', () => resolve()));
    datagram.close();
    const stream = connect({ host: '127.0.0.1', port: tls.address().port, ca: trusted.ca, servername: 'localhost' });
    await new Promise<void>((resolve) => stream.once('secureConnect', () => resolve()));
    const body = Buffer.from(`<14>${ESM}`);
    stream.end(Buffer.concat([Buffer.from(`${body.length} `), body]));

    await waitFor(() => received.length === 2, 'both messages');
    expect(received.map((r) => r.transport).sort()).toEqual(['tls', 'udp']);
    for (const r of received) {
      expect(r.text).toBe(`<14>${ESM}`);
      expect(decodeLeef(r.text)?.attributes).toEqual(new Map([['duser', 'jdoe'], ['dst', '10.1.2.3']]));
    }
  });

  it('stops the sources that started when one cannot start, and rejects with its error', async () => {
    const sources = new SyslogSources(config({ key: '/nonexistent/server.key' }), { senders: loopbackSenders(), handler: () => {} });
    await expect(sources.start()).rejects.toMatchObject({ code: 'UID_ERR_TLS_MATERIAL', message: expect.stringContaining('/nonexistent/server.key') });
    const udp = sources.sources[0] as UdpSource;
    expect(() => udp.address()).toThrow(/not started/);
  });

  it('builds only what is enabled', () => {
    const c = config();
    const sources = new SyslogSources({ ...c, tcp: { ...c.tcp, enabled: false }, tls: { ...c.tls, enabled: false } }, { senders: loopbackSenders(), handler: () => {} });
    expect(sources.sources.map((s) => s.transport)).toEqual(['udp']);
  });
});
