/**
 * docs/openapi.json is what the server generates from its route schemas. When a route
 * changes, regenerate it: UPDATE_OPENAPI=1 npx vitest run test/http/openapi.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServer, type TestServer } from './harness.js';

const file = new URL('../../docs/openapi.json', import.meta.url);

describe('GET /openapi.json', () => {
  let server: TestServer;
  let served: Record<string, any>;

  beforeAll(async () => {
    // Every optional route present (the document is read, the routes never called).
    server = await testServer({ profiles: () => { throw new Error('unused'); }, senders: () => [] });
    const res = await server.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    served = res.json();
    if (process.env['UPDATE_OPENAPI'] === '1') writeFileSync(file, `${JSON.stringify(served, null, 2)}\n`);
  });
  afterAll(() => server.app.close());

  it('equals docs/openapi.json in the repository', () => {
    const committed = JSON.parse(readFileSync(file, 'utf8'));
    expect(served, 'docs/openapi.json is stale: run UPDATE_OPENAPI=1 npx vitest run test/http/openapi.test.ts').toEqual(committed);
  });

  it('documents every route of DESIGN §3 and the shared schemas by name', () => {
    expect(Object.keys(served['paths']).sort()).toEqual(
      ['/healthz', '/metrics', '/v1/accounting', '/v1/auth', '/v1/events', '/v1/lookup', '/v1/mappings', '/v1/mappings/{ip}',
        '/v1/mappings/{ip}/history', '/v1/senders', '/v1/test-profile'],
    );
    expect(Object.keys(served['paths']['/v1/mappings/{ip}']).sort()).toEqual(['delete', 'get']);
    expect(served['paths']['/v1/mappings/{ip}']['get']['responses']['200']['content']['application/json']['schema'])
      .toEqual({ $ref: '#/components/schemas/Mapping' });
    expect(Object.keys(served['components']['schemas'])).toEqual(expect.arrayContaining(['Mapping', 'Error', 'ChangeEvent', 'LookupItem', 'AuditEntry', 'History']));
    // Only /healthz is open when tokens are configured.
    expect(served['security']).toEqual([{ bearer: [] }]);
    expect(served['paths']['/healthz']['get']['security']).toEqual([]);
  });
});
