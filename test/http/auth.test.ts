/**
 * Bearer tokens: refused without or with a wrong token (401 + WWW-Authenticate, RFC 6750
 * §3), accepted with any configured token; /healthz open; the comparison runs in constant
 * time; no token ever reaches the log; and the server refuses to be built off loopback
 * without tokens unless allowAnonymous says so.
 */
import * as crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createTokenCheck, assertSafeExposure } from '../../src/http/auth.js';
import { buildHttpServer } from '../../src/http/server.js';
import { UidError } from '../../src/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { login } from '../mappings/support.js';
import { HEALTHY, httpConfig, testServer, type TestServer } from './harness.js';
import { TableDouble } from './table-double.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const TOKEN = 's3cret-token-AAAA';
const OTHER = 'second-token-BBBB';

describe('with tokens configured', () => {
  let server: TestServer;
  const request = (url: string, authorization?: string) =>
    server.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

  beforeAll(async () => {
    server = await testServer({ config: { tokens: [TOKEN, OTHER] } });
    await server.table.apply(login('10.1.2.3', 'jdoe'));
  });
  afterAll(() => server.app.close());

  it('refuses a request without a token: 401, WWW-Authenticate, error body', async () => {
    const res = await request('/v1/mappings/10.1.2.3');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="uid-listener"');
    expect(res.json()).toEqual({ error: { code: 'UID_ERR_HTTP_UNAUTHORIZED', message: expect.stringContaining('Authorization: Bearer') } });
  });

  it('refuses a wrong token, a token of another length and other schemes', async () => {
    for (const header of ['Bearer s3cret-token-AAAB', 'Bearer s3cret', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, 'Bearer ', `Bearer ${TOKEN} extra`]) {
      const res = await request('/v1/mappings/10.1.2.3', header);
      expect(res.statusCode, header).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="uid-listener", error="invalid_token"');
      expect(res.json().error.code).toBe('UID_ERR_HTTP_UNAUTHORIZED');
    }
  });

  it('accepts every configured token, with the scheme in any case', async () => {
    for (const header of [`Bearer ${TOKEN}`, `bearer ${OTHER}`, `BEARER  ${TOKEN}`]) {
      const res = await request('/v1/mappings/10.1.2.3', header);
      expect(res.statusCode, header).toBe(200);
      expect(res.json().user).toBe('jdoe');
    }
  });

  it('protects every route but /healthz, unknown routes included', async () => {
    expect((await request('/healthz')).statusCode).toBe(200);
    for (const url of ['/metrics', '/openapi.json', '/v1/mappings?user=jdoe', '/v1/accounting', '/v1/events', '/no/such/route']) {
      expect((await request(url)).statusCode, url).toBe(401);
    }
    expect((await request('/metrics', `Bearer ${TOKEN}`)).statusCode).toBe(200);
    expect((await request('/no/such/route', `Bearer ${TOKEN}`)).statusCode).toBe(404);
  });

  it('counts refusals in uid_http_auth_failures_total', async () => {
    const before = (await server.registry.getSingleMetric('uid_http_auth_failures_total')!.get()).values[0]?.value ?? 0;
    await request('/v1/mappings/10.1.2.3', 'Bearer nope');
    const after = (await server.registry.getSingleMetric('uid_http_auth_failures_total')!.get()).values[0]?.value;
    expect(after).toBe(before + 1);
  });
});

describe('token comparison', () => {
  it('compares fixed-length digests against every configured token, match or not', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    const check = createTokenCheck(['a', 'bb', 'a-much-longer-token-than-the-others']);
    for (const [header, expected] of [['Bearer bb', true], ['Bearer a', true], ['Bearer zz', false], ['Bearer ' + 'x'.repeat(500), false]] as const) {
      spy.mockClear();
      expect(check(header)).toBe(expected);
      expect(spy).toHaveBeenCalledTimes(3);
      for (const [a, b] of spy.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
    spy.mockClear();
    expect(check(undefined)).toBe(false);
    expect(check('Basic Zm9vOmJhcg==')).toBe(false);
  });
});

describe('never logs a token', () => {
  it('keeps the Authorization header out of every log line, also when a request fails', async () => {
    const logs: string[] = [];
    const table = new TableDouble();
    table.get = () => { throw new Error('table unavailable'); };
    const app = await buildHttpServer({
      config: httpConfig({ tokens: [TOKEN] }),
      table,
      registry: new Registry(),
      health: () => HEALTHY,
      logger: createLogger('trace', { write: (line: string) => { logs.push(line); } }),
    });
    try {
      const failed = await app.inject({ method: 'GET', url: '/v1/mappings/10.1.2.3', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(failed.statusCode).toBe(500);
      expect(failed.json()).toEqual({ error: { code: 'UID_ERR_HTTP_INTERNAL', message: expect.not.stringContaining('table unavailable') } });
      await app.inject({ method: 'GET', url: '/v1/mappings/10.1.2.3', headers: { authorization: 'Bearer wrong-token-CCCC' } });
      await app.inject({ method: 'GET', url: '/nowhere', headers: { authorization: `Bearer ${TOKEN}` } });
    } finally {
      await app.close();
    }
    expect(logs.join('')).toContain('table unavailable'); // the failure was logged…
    expect(logs.join('')).not.toContain(TOKEN); // …without the token
    expect(logs.join('')).not.toContain('wrong-token-CCCC');
    expect(logs.join('').toLowerCase()).not.toContain('authorization');
  });
});

describe('refusal to serve the table to the network anonymously', () => {
  const config = (host: string, more: object = {}) => ({ ...httpConfig({ host }), ...more });

  it('throws UID_ERR_HTTP_INSECURE for a non-loopback host without tokens', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'uid.example.com']) {
      let thrown: unknown;
      try { assertSafeExposure(config(host)); } catch (err) { thrown = err; }
      expect(thrown, host).toBeInstanceOf(UidError);
      expect((thrown as UidError).code).toBe('UID_ERR_HTTP_INSECURE');
      expect((thrown as UidError).message).toContain('allowAnonymous');
    }
  });

  it('allows loopback, tokens, or an explicit allowAnonymous', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(() => assertSafeExposure(config(host))).not.toThrow();
    expect(() => assertSafeExposure(config('0.0.0.0', { tokens: [TOKEN] }))).not.toThrow();
    expect(() => assertSafeExposure(config('0.0.0.0', { allowAnonymous: true }))).not.toThrow();
  });

  it('makes buildHttpServer refuse before anything is built', async () => {
    const table = new TableDouble();
    await expect(buildHttpServer({
      config: httpConfig({ host: '0.0.0.0' }),
      table,
      registry: new Registry(),
      health: () => HEALTHY,
      logger: createLogger('silent'),
    })).rejects.toMatchObject({ code: 'UID_ERR_HTTP_INSECURE' });
    expect(table.subscribers).toBe(0);
  });
});
