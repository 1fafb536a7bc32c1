/**
 * GET /v1/auth (and /v1/auth/*, any method) without sockets: the user of the client
 * address in X-User / X-User-Domain or 401, the client taken from the socket unless the
 * peer is a trusted proxy, forged headers from anyone else ignored, tokens required when
 * configured, and the shared-table (promise) path answering alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { headerValue, userDomain } from '../../src/http/forward-auth-answers.js';
import { login } from '../mappings/support.js';
import { testServer, type TestServer } from './harness.js';
import { TableDouble } from './table-double.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.app.close();
});

async function server(config: Parameters<typeof testServer>[0] = {}): Promise<TestServer> {
  const s = await testServer(config);
  servers.push(s);
  await s.table.apply(login('10.1.2.3', 'ACME\\alice'));
  await s.table.apply(login('10.9.9.9', 'bob@acme.com'));
  await s.table.apply(login('2001:db8::7', 'carol'));
  return s;
}

const ask = (s: TestServer, remoteAddress: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' | 'HEAD' | 'DELETE' = 'GET', url = '/v1/auth') =>
  s.app.inject({ method, url, remoteAddress, headers });

describe('GET /v1/auth, no trusted proxies', () => {
  it('answers 200 with the user as the table has it and its domain for a mapped client', async () => {
    const s = await server();
    const res = await ask(s, '10.1.2.3');
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-user']).toBe('ACME\\alice');
    expect(res.headers['x-user-domain']).toBe('ACME');
    expect(res.body).toBe('');
    const upn = await ask(s, '10.9.9.9');
    expect([upn.headers['x-user'], upn.headers['x-user-domain']]).toEqual(['bob@acme.com', 'acme.com']);
    const bare = await ask(s, '2001:db8::7');
    expect(bare.headers['x-user']).toBe('carol');
    expect(bare.headers['x-user-domain']).toBe(''); // present, so a proxy copying it overwrites a forged one
  });

  it('answers 401 UID_ERR_HTTP_UNMAPPED for an unmapped client', async () => {
    const s = await server();
    const res = await ask(s, '10.5.5.5');
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-user']).toBeUndefined();
    expect(res.json().error.code).toBe('UID_ERR_HTTP_UNMAPPED');
  });

  it('normalises an IPv4-mapped peer as the table keys it', async () => {
    const s = await server();
    expect((await ask(s, '::ffff:10.1.2.3')).headers['x-user']).toBe('ACME\\alice');
  });

  it('ignores X-Real-IP and X-Forwarded-For from a peer that is not trusted (loopback included)', async () => {
    const s = await server();
    const forged = { 'x-real-ip': '10.1.2.3', 'x-forwarded-for': '10.1.2.3' };
    expect((await ask(s, '127.0.0.1', forged)).statusCode).toBe(401);
    const mapped = await ask(s, '10.9.9.9', forged);
    expect(mapped.headers['x-user']).toBe('bob@acme.com');
  });

  it('answers every method and any path below /v1/auth/ alike (Envoy ext_authz)', async () => {
    const s = await server();
    const post = await s.app.inject({ method: 'POST', url: '/v1/auth/app/orders?id=1', remoteAddress: '10.1.2.3',
      headers: { 'content-type': 'application/x-whatever' }, payload: 'a body nobody reads' });
    expect([post.statusCode, post.headers['x-user']]).toEqual([200, 'ACME\\alice']);
    const json = await s.app.inject({ method: 'PUT', url: '/v1/auth/x', remoteAddress: '10.1.2.3',
      headers: { 'content-type': 'application/json' }, payload: '{not json' });
    expect(json.statusCode).toBe(200);
    expect((await ask(s, '10.1.2.3', {}, 'HEAD', '/v1/auth')).headers['x-user']).toBe('ACME\\alice');
    expect((await ask(s, '10.5.5.5', {}, 'DELETE', '/v1/auth/')).statusCode).toBe(401);
  });
});

describe('GET /v1/auth behind trusted proxies', () => {
  const trusted = { config: { trustedProxies: ['127.0.0.1', '10.0.0.0/24'] } };

  it('takes X-Real-IP from a trusted proxy', async () => {
    const s = await server(trusted);
    const res = await ask(s, '127.0.0.1', { 'x-real-ip': '10.1.2.3', 'x-forwarded-for': '10.5.5.5' });
    expect(res.headers['x-user']).toBe('ACME\\alice');
  });

  it('takes the rightmost X-Forwarded-For hop that is not a trusted proxy', async () => {
    const s = await server(trusted);
    // The client forged 10.9.9.9; the first trusted hop appended the real peer 10.1.2.3, then 10.0.0.7 (trusted) passed it on.
    const res = await ask(s, '127.0.0.1', { 'x-forwarded-for': '10.9.9.9, 10.1.2.3, 10.0.0.7' });
    expect(res.headers['x-user']).toBe('ACME\\alice');
    const everyHopTrusted = await ask(s, '10.0.0.1', { 'x-forwarded-for': '10.0.0.3, 10.0.0.2' });
    expect(everyHopTrusted.statusCode).toBe(401);
  });

  it('uses the peer itself when a trusted proxy sends neither header', async () => {
    const s = await server({ config: { trustedProxies: ['10.1.2.0/24'] } });
    expect((await ask(s, '10.1.2.3')).headers['x-user']).toBe('ACME\\alice');
  });

  it('refuses an address header that is no address with 400 UID_ERR_HTTP_BAD_IP', async () => {
    const s = await server(trusted);
    for (const headers of [{ 'x-real-ip': 'nobody' } as Record<string, string>, { 'x-forwarded-for': '10.1.2.3, garbage' }, { 'x-real-ip': '224.0.0.1' }]) {
      const res = await ask(s, '127.0.0.1', headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(400);
      expect(res.json().error.code).toBe('UID_ERR_HTTP_BAD_IP');
    }
  });

  it('still ignores the headers from a peer outside the list', async () => {
    const s = await server(trusted);
    expect((await ask(s, '10.0.1.1', { 'x-real-ip': '10.1.2.3' })).statusCode).toBe(401);
  });
});

describe('GET /v1/auth with tokens and a shared table', () => {
  it('needs a token like every route', async () => {
    const s = await server({ config: { tokens: ['tok-1234'] } });
    expect((await ask(s, '10.1.2.3')).json().error.code).toBe('UID_ERR_HTTP_UNAUTHORIZED');
    const res = await ask(s, '10.1.2.3', { authorization: 'Bearer tok-1234' });
    expect([res.statusCode, res.headers['x-user']]).toEqual([200, 'ACME\\alice']);
  });

  it('answers alike when the table answers with promises', async () => {
    const s = await server({ table: new TableDouble(true) });
    expect((await ask(s, '10.1.2.3')).headers['x-user']).toBe('ACME\\alice');
    expect((await ask(s, '10.5.5.5')).statusCode).toBe(401);
  });
});

describe('header values', () => {
  it('splits the domain off DOMAIN\\user and user@realm only', () => {
    expect(userDomain('ACME\\alice')).toBe('ACME');
    expect(userDomain('alice@eu.acme.com')).toBe('eu.acme.com');
    expect(userDomain('alice')).toBeUndefined();
    expect(userDomain('\\alice')).toBeUndefined();
    expect(userDomain('alice@')).toBeUndefined();
  });

  it('sends non-ASCII names as UTF-8 bytes and escapes control characters', async () => {
    expect(Buffer.from(headerValue('ACME\\jürgen'), 'latin1').toString('utf8')).toBe('ACME\\jürgen');
    expect(headerValue('evil\r\nX-User: admin')).toBe('evil%0D%0AX-User: admin');
    const s = await server();
    await s.table.apply(login('10.7.7.7', 'ACME\\Ольга'));
    const res = await ask(s, '10.7.7.7');
    expect(Buffer.from(res.headers['x-user'] as string, 'latin1').toString('utf8')).toBe('ACME\\Ольга');
  });
});
