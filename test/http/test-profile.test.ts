/** POST /v1/test-profile and GET /v1/senders without sockets: the CLI's answers for the running profiles, and the limits. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../src/config/profiles.js';
import type { ProfileSet } from '../../src/identify/profile-set.js';
import { testMessage } from '../../src/identify/tester.js';
import { esmLeef } from '../support/listener-clients.js';
import { testServer, type TestServer } from './harness.js';

let profiles: ProfileSet;
let server: TestServer | undefined;
beforeAll(async () => { ({ profiles } = await loadProfiles(new URL('../../profiles', import.meta.url).pathname)); });
afterEach(async () => { await server?.app.close(); server = undefined; });

describe('POST /v1/test-profile', () => {
  it('answers each line as test-profile --json does, in order, and applies nothing', async () => {
    server = await testServer({ profiles: () => profiles });
    const lines = [esmLeef('jdoe', '10.1.2.3'), 'nothing to see', 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=bob'];
    const res = await server.app.inject({ method: 'POST', url: '/v1/test-profile', payload: { lines } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: lines.map((line, i) => testMessage(profiles, line, i + 1)) });
    expect(res.json().items.map((r: { reason: string | null }) => r.reason)).toEqual([null, 'event not matched', 'no address (traps-esm-leef)']);
    expect(server.table.size).toBe(0);
  });

  it('refuses no lines, more than 1000, unknown keys and bodies over 1 MiB', async () => {
    server = await testServer({ profiles: () => profiles });
    const post = (payload: unknown) => server!.app.inject({ method: 'POST', url: '/v1/test-profile', payload: payload as object });
    expect((await post({ lines: [] })).json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
    expect((await post({ lines: Array.from({ length: 1001 }, () => 'x') })).statusCode).toBe(400);
    expect((await post({ lines: ['x'], sender: 'esm' })).statusCode).toBe(400);
    expect((await post({ lines: Array.from({ length: 20 }, () => 'x'.repeat(60_000)) })).statusCode).toBe(413);
  });
});

describe('GET /v1/senders', () => {
  it('lists the configured senders without their certificate pins', async () => {
    server = await testServer({
      senders: () => [
        { name: 'esm', address: '10.0.0.5', transports: ['tls'], profiles: ['traps-esm-leef'], defaultDomain: 'ACME', tlsFingerprints: ['sha256:AB'] },
        { name: 'lo', address: '127.0.0.1', transports: ['udp', 'tcp', 'tls'] },
      ],
    });
    expect((await server.app.inject({ url: '/v1/senders' })).json()).toEqual({
      items: [
        { name: 'esm', address: '10.0.0.5', transports: ['tls'], profiles: ['traps-esm-leef'], defaultDomain: 'ACME' },
        { name: 'lo', address: '127.0.0.1', transports: ['udp', 'tcp', 'tls'], profiles: null, defaultDomain: null },
      ],
    });
  });
});
