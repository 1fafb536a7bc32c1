import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenError } from '../../src/syslog/listen-error.js';
import { TcpSource } from '../../src/syslog/tcp.js';
import { SenderTable } from '../../src/syslog/senders.js';

const errno = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

describe('listenError', () => {
  it('tells a non-root user how to bind a port below 1024, in one line', () => {
    const error = listenError(errno('EACCES'), 'syslog udp', '0.0.0.0', 514, 'syslog.udp.port');
    expect(error.code).toBe('UID_ERR_LISTEN');
    expect(error.message).toMatch(/^cannot listen on syslog udp 0\.0\.0\.0:514: permission denied/);
    expect(error.message).toContain("setcap 'cap_net_bind_service=+ep' $(command -v node)");
    expect(error.message).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE');
    expect(error.message).toContain('syslog.udp.port');
    expect(error.message).not.toContain('\n');
  });

  it('names the port in use and brackets an IPv6 host', () => {
    const error = listenError(errno('EADDRINUSE'), 'syslog tls', '::', 6514, 'syslog.tls.port');
    expect(error.message).toMatch(/^cannot listen on syslog tls \[::\]:6514: the address is already in use/);
  });

  it('says when the host is not an address of this machine', () => {
    expect(listenError(errno('EADDRNOTAVAIL'), 'syslog tcp', '192.0.2.1', 514, 'syslog.tcp.port').message)
      .toMatch(/192\.0\.2\.1 is not an address of this machine/);
  });

  it('is what a TCP start on a taken port gets', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const source = new TcpSource({
      host: '127.0.0.1', port, maxMessageBytes: 65536, maxConnections: 1, maxConnectionsPerSender: 1,
      idleTimeoutMs: 1000, senders: new SenderTable([]), handler: () => {},
    });
    await expect(source.start()).rejects.toThrow(/already in use.*syslog\.tcp\.port/);
    holder.close();
  });
});
