/**
 * A real nginx (Debian `nginx-light`, auth_request) in front of an origin server, asking
 * GET /v1/auth with the listener's token: a mapped client (from 127.0.0.2) reaches the
 * origin with X-User / X-User-Domain set by nginx from the listener's answer, an unmapped
 * one (127.0.0.3) gets 401, and forged X-Real-IP / X-Forwarded-For / X-User headers change
 * nothing, through nginx or sent to the listener directly from an untrusted address.
 * The nginx.conf below is the one docs/integrations.md shows.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esmLeef, sendUdp } from '../support/listener-clients.js';
import { InProcessListener, cleanupListeners } from '../support/listener.js';
import { freePort, get, openTempDir, startOrigin, startProxy, type ProxyProcess } from '../support/proxy-servers.js';

const NGINX = '/usr/sbin/nginx';
const TOKEN = 'nginx-auth-test-token';
const MAPPED = '127.0.0.2';
const UNMAPPED = '127.0.0.3';

function nginxConf(dir: string, port: number, listenerPort: number, originPort: number): string {
  return `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;

  upstream uid_listener {
    server 127.0.0.1:${listenerPort};
    keepalive 8;
  }

  server {
    listen 127.0.0.1:${port};

    location / {
      auth_request /_uid_auth;
      auth_request_set $uid_user $upstream_http_x_user;
      auth_request_set $uid_domain $upstream_http_x_user_domain;
      proxy_set_header X-User $uid_user;
      proxy_set_header X-User-Domain $uid_domain;
      proxy_pass http://127.0.0.1:${originPort};
    }

    location = /_uid_auth {
      internal;
      proxy_pass http://uid_listener/v1/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Authorization "Bearer ${TOKEN}";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

describe.skipIf(!existsSync(NGINX))('nginx auth_request with GET /v1/auth', () => {
  let listener: InProcessListener;
  let origin: { port: number; server: Server };
  let nginx: ProxyProcess;

  beforeAll(async () => {
    origin = await startOrigin();
    listener = await InProcessListener.start({
      config: {
        senders: [{ name: 'lo', address: '127.0.0.1', transports: ['udp'], defaultDomain: 'ACME' }],
        // nginx connects from 127.0.0.1: only it may say who the client is.
        http: { tokens: [TOKEN], trustedProxies: ['127.0.0.1'] },
      },
    });
    listener.token = TOKEN;
    await sendUdp(listener.ports.udp, esmLeef('alice', MAPPED));
    await listener.waitForMapping(MAPPED, 'ACME\\alice');

    const dir = await openTempDir('uid-nginx-');
    await mkdir(join(dir, 'tmp'), { mode: 0o777 });
    const port = await freePort();
    await writeFile(join(dir, 'nginx.conf'), nginxConf(dir, port, listener.ports.http, origin.port));
    nginx = await startProxy(dir, port, 'error.log', NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;']);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await cleanupListeners();
    await new Promise((resolve) => origin.server.close(resolve));
  });

  it('lets the mapped client through with its user and domain set by nginx', async () => {
    const res = await get(nginx.port, '/app/page', MAPPED, { 'x-user': 'ACME\\admin' });
    expect(res.status, await nginx.log()).toBe(200);
    const seen = JSON.parse(res.body) as { path: string; headers: Record<string, string> };
    expect(seen.path).toBe('/app/page');
    expect(seen.headers['x-user']).toBe('ACME\\alice');
    expect(seen.headers['x-user-domain']).toBe('ACME');
  });

  it('answers 401 to the unmapped client', async () => {
    expect((await get(nginx.port, '/app/page', UNMAPPED)).status).toBe(401);
  });

  it('ignores a forged X-Real-IP or X-Forwarded-For from the client', async () => {
    for (const forged of [{ 'x-real-ip': MAPPED } as Record<string, string>, { 'x-forwarded-for': MAPPED }, { 'x-real-ip': MAPPED, 'x-forwarded-for': `${MAPPED}, ${MAPPED}` }]) {
      expect((await get(nginx.port, '/app/page', UNMAPPED, forged)).status, JSON.stringify(forged)).toBe(401);
    }
  });

  it('ignores the same headers sent to the listener directly from an untrusted address', async () => {
    const direct = { authorization: `Bearer ${TOKEN}`, 'x-real-ip': MAPPED, 'x-forwarded-for': MAPPED };
    expect((await get(listener.ports.http, '/v1/auth', UNMAPPED, direct)).status).toBe(401);
    const own = await get(listener.ports.http, '/v1/auth', MAPPED, { authorization: `Bearer ${TOKEN}` });
    expect([own.status, own.headers['x-user']]).toEqual([200, 'ACME\\alice']);
  });
});
