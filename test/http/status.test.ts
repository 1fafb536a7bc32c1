/** GET /healthz, /metrics, /v1/accounting, the error and not-found handlers, and build-time failures. */
import { afterEach, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import type { AccountingStatus } from '../../src/accounting/status.js';
import { buildHttpServer } from '../../src/http/server.js';
import { accountingHealth, healthStatus } from '../../src/http/health.js';
import type { HealthReport } from '../../src/http/schemas.js';
import { createLogger } from '../../src/observability/logger.js';
import { testPki } from '../support/certs.js';
import { HEALTHY, httpConfig, testServer, type TestServer } from './harness.js';
import { TableDouble } from './table-double.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.app.close();
  server = undefined;
});

describe('GET /healthz', () => {
  const report = (more: Partial<HealthReport>): HealthReport => ({ ...HEALTHY, ...more });

  it('answers 200 ok with listeners, table size and accounting', async () => {
    const health = report({
      mappings: 42,
      accounting: { mode: 'start-stop', groups: [{ name: 'primary', state: 'up', queueDepth: 0 }] },
    });
    server = await testServer({ health: () => health });
    const res = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', ...health });
  });

  it('answers 503 down when no listener is listening', async () => {
    const health = report({ listeners: [{ name: 'udp', state: 'failed', error: 'EADDRINUSE' }, { name: 'tls', state: 'stopped' }] });
    server = await testServer({ health: () => health });
    const res = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().status).toBe('down');
  });

  it('says degraded for a failed listener or an accounting group that is not up', () => {
    const up = { name: 'udp', state: 'listening' } as const;
    expect(healthStatus(report({ listeners: [up, { name: 'tls', state: 'failed' }] }))).toBe('degraded');
    expect(healthStatus(report({ accounting: { mode: 'start-stop', groups: [{ name: 'a', state: 'failing-over', queueDepth: 3 }] } }))).toBe('degraded');
    expect(healthStatus(report({ listeners: [] }))).toBe('ok');
  });

  it('summarises an accounting status for the report', () => {
    expect(accountingHealth({
      mode: 'stop-only',
      sessionsTotal: 0,
      sessions: [],
      groups: [{ name: 'audit', currentServer: null, state: 'down', queueDepth: 7, lastError: 'connect ECONNREFUSED', servers: [] }],
    })).toEqual({ mode: 'stop-only', groups: [{ name: 'audit', state: 'down', queueDepth: 7 }] });
  });
});

describe('GET /metrics', () => {
  it('serves the registry in Prometheus text with the request latency histogram', async () => {
    server = await testServer();
    new Counter({ name: 'uid_mapping_changes_total', help: 'changes', labelNames: ['kind'], registers: [server.registry] }).inc({ kind: 'added' });
    await server.app.inject({ method: 'GET', url: '/v1/mappings/10.1.2.3' });
    await server.app.inject({ method: 'GET', url: '/v1/mappings/10.1.2.4' });
    await server.app.inject({ method: 'GET', url: '/nowhere' });
    const res = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(server.registry.contentType);
    expect(res.body).toContain('uid_mapping_changes_total{kind="added"} 1');
    expect(res.body).toContain('uid_http_request_duration_seconds_count{route="/v1/mappings/:ip",method="GET",status="404"} 2');
    expect(res.body).toContain('uid_http_request_duration_seconds_count{route="unknown",method="GET",status="404"} 1');
    expect(res.body).toContain('uid_http_event_streams 0');
    expect(res.body).not.toContain('10.1.2.3');
  });

  it('removes its metrics on close, so the registry can serve a rebuilt server', async () => {
    server = await testServer();
    const { registry } = server;
    await server.app.close();
    expect(registry.getSingleMetric('uid_http_request_duration_seconds')).toBeUndefined();
    const rebuilt = await buildHttpServer({
      config: httpConfig(), table: new TableDouble(), registry, health: () => HEALTHY, logger: createLogger('silent'),
    });
    expect(registry.getSingleMetric('uid_http_request_duration_seconds')).toBeDefined();
    await rebuilt.close();
  });
});

describe('GET /v1/accounting', () => {
  const status = (sessions: number, maxSessions = Infinity): AccountingStatus => ({
    mode: 'start-stop',
    sessionsTotal: sessions,
    sessions: Array.from({ length: Math.min(sessions, maxSessions) }, (_, i) => ({
      taskId: `t${i}`, user: `u${i}`, ip: `10.0.0.${i + 1}`, sender: 'esm', started: '2024-01-15T08:30:00.000Z', elapsedSeconds: i,
    })),
    groups: [{
      name: 'primary', currentServer: '10.0.0.9:49', state: 'up', queueDepth: 2, lastError: null,
      servers: [
        { host: '10.0.0.9', port: 49, transport: 'tcp', state: 'connected', lastErrorAt: null, lastError: null },
        { host: '10.0.0.10', port: 49, transport: 'tcp', state: 'failed', lastErrorAt: '2024-01-15T08:00:00.000Z', lastError: 'connect ECONNREFUSED' },
      ],
    }],
  });

  it('answers 404 with a clear message when accounting is off', async () => {
    server = await testServer();
    const res = await server.app.inject({ method: 'GET', url: '/v1/accounting' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({ code: 'UID_ERR_HTTP_NOT_FOUND', message: expect.stringContaining('accounting is off') });
  });

  it('answers the sessions and the state of each group and server', async () => {
    const current = status(3);
    server = await testServer({ accounting: () => current });
    const res = await server.app.inject({ method: 'GET', url: '/v1/accounting' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(current);
  });

  it('lists at most `limit` sessions (default 1000) and says how many there are', async () => {
    server = await testServer({ accounting: (maxSessions) => status(1500, maxSessions) });
    const all = (await server.app.inject({ method: 'GET', url: '/v1/accounting' })).json();
    expect(all.sessionsTotal).toBe(1500);
    expect(all.sessions).toHaveLength(1000);
    const two = (await server.app.inject({ method: 'GET', url: '/v1/accounting?limit=2' })).json();
    expect(two.sessions.map((s: { taskId: string }) => s.taskId)).toEqual(['t0', 't1']);
    expect((await server.app.inject({ method: 'GET', url: '/v1/accounting?limit=-1' })).statusCode).toBe(400);
  });
});

describe('errors', () => {
  it('answers an unknown route with 404 and an error body', async () => {
    server = await testServer();
    const res = await server.app.inject({ method: 'GET', url: `/v2/mappings/10.1.2.3?user=jdoe` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'UID_ERR_HTTP_NOT_FOUND', message: expect.stringContaining('no route GET /v2/mappings/10.1.2.3;') } });
    const long = await server.app.inject({ method: 'PUT', url: `/${'x'.repeat(5000)}` });
    expect(long.json().error.message.length).toBeLessThan(250);
  });

  it('answers 500 with a generic message when the table fails, and logs the cause', async () => {
    const table = new TableDouble(true);
    table.byUser = () => Promise.reject(new Error('connection to store lost'));
    server = await testServer({ table });
    const res = await server.app.inject({ method: 'GET', url: '/v1/mappings?user=jdoe' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'UID_ERR_HTTP_INTERNAL', message: 'an unexpected error occurred; the server log has the details' } });
    expect(server.logs.join('')).toContain('connection to store lost');
  });
});

describe('HTTPS material', () => {
  const build = (tls: { cert: string; key: string }) => buildHttpServer({
    config: httpConfig({ tls }), table: new TableDouble(), registry: new Registry(), health: () => HEALTHY, logger: createLogger('silent'),
  });

  it('names the file that cannot be read', async () => {
    const { trusted } = testPki();
    await expect(build({ cert: '/nonexistent/server.crt', key: trusted.path('server.key') }))
      .rejects.toMatchObject({ code: 'UID_ERR_TLS_MATERIAL', message: expect.stringContaining('http.tls.cert /nonexistent/server.crt (ENOENT)') });
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const { trusted, other } = testPki();
    await expect(build({ cert: trusted.path('server.crt'), key: other.path('server.key') }))
      .rejects.toMatchObject({ code: 'UID_ERR_TLS_MATERIAL', message: expect.stringContaining('not a usable certificate and private key pair') });
  });
});
