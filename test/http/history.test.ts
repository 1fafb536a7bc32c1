/** GET /v1/mappings/{ip}/history without sockets: off → 404, refusals, address normalising, the scan limit. */
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryPage, HistoryQuery } from '../../src/audit/history.js';
import { encodeCursor } from '../../src/audit/history.js';
import { testServer, type TestServer } from './harness.js';

let server: TestServer | undefined;
afterEach(async () => { await server?.app.close(); server = undefined; });

describe('GET /v1/mappings/{ip}/history', () => {
  it('answers 404 with a code saying how to turn the audit trail on, when it is off', async () => {
    server = await testServer();
    const res = await server.app.inject({ url: '/v1/mappings/10.1.2.3/history' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'UID_ERR_HTTP_NOT_FOUND', message: expect.stringContaining('log.audit.path') });
  });

  it('passes the normalised address, times in UTC and the cursor to the reader; refuses bad ones', async () => {
    const asked: HistoryQuery[] = [];
    server = await testServer({ history: { read: async (q) => { asked.push(q); return { items: [] }; } } });
    const cursor = encodeCursor({ t: '2026-11-24T08:00:00.000Z', n: 2 });
    const res = await server.app.inject({ url: `/v1/mappings/::ffff:10.1.2.3/history?limit=5&since=2026-11-24T09:00:00%2B01:00&cursor=${cursor}` });
    expect(res.statusCode).toBe(200);
    expect(asked).toEqual([{ ip: '10.1.2.3', limit: 5, since: '2026-11-24T08:00:00.000Z', until: undefined, cursor }]);
    expect((await server.app.inject({ url: '/v1/mappings/10.1.2.300/history' })).json().error.code).toBe('UID_ERR_HTTP_BAD_IP');
    expect((await server.app.inject({ url: '/v1/mappings/10.1.2.3/history?cursor=abc' })).json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
    expect((await server.app.inject({ url: '/v1/mappings/10.1.2.3/history?since=tuesday' })).statusCode).toBe(400);
    expect((await server.app.inject({ url: '/v1/mappings/10.1.2.3/history?limit=1001' })).statusCode).toBe(400);
  });

  it('answers 503 with Retry-After while two scans are running', async () => {
    const release: (() => void)[] = [];
    const read = () => new Promise<HistoryPage>((resolve) => release.push(() => resolve({ items: [] })));
    server = await testServer({ history: { read } });
    const app = server.app;
    const running = [app.inject({ url: '/v1/mappings/10.0.0.1/history' }), app.inject({ url: '/v1/mappings/10.0.0.2/history' })];
    await expect.poll(() => release.length).toBe(2);
    const busy = await app.inject({ url: '/v1/mappings/10.0.0.3/history' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json().error.code).toBe('UID_ERR_HTTP_BUSY');
    for (const r of release) r();
    expect((await Promise.all(running)).map((r) => r.statusCode)).toEqual([200, 200]);
  });
});
