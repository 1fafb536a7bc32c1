/**
 * The mapping routes through inject(), against the sync and async table doubles and the
 * real in-memory table: lookups by address (IPv6 and mapped forms), by user, paging, bulk
 * lookup limits and admin removal, with their status codes and error bodies.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MappingChange, MappingTable } from '../../src/mappings/table.js';
import { MemoryMappingTable } from '../../src/mappings/memory-table.js';
import { login } from '../mappings/support.js';
import { testServer, type TestServer } from './harness.js';
import { TableDouble } from './table-double.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const tables: [string, () => MappingTable & { close?: () => void }][] = [
  ['table double (sync)', () => new TableDouble()],
  ['table double (async)', () => new TableDouble(true)],
  ['MemoryMappingTable', () => new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 100_000 })],
];

describe.each(tables)('mapping routes with %s', (_name, makeTable) => {
  let server: TestServer;
  let table: MappingTable & { close?: () => void };

  beforeEach(async () => {
    table = makeTable();
    server = await testServer({ table });
    await table.apply(login('10.1.2.3', 'ACME\\jdoe'));
    await table.apply(login('10.1.2.4', 'acme\\JDOE', { sender: 'vpn', profile: 'vpn-login' }));
    await table.apply(login('2001:db8::1', 'ACME\\asmith'));
  });

  afterEach(async () => {
    await server.app.close();
    table.close?.();
  });

  const get = (url: string) => server.app.inject({ method: 'GET', url });

  describe('GET /v1/mappings/:ip', () => {
    it('answers the mapping with ISO 8601 UTC times', async () => {
      const res = await get('/v1/mappings/10.1.2.3');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json();
      expect(body).toMatchObject({ ip: '10.1.2.3', user: 'ACME\\jdoe', sender: 'esm', profile: 'traps-esm-leef' });
      expect(Object.keys(body).sort()).toEqual(['expiresAt', 'firstSeen', 'ip', 'lastSeen', 'profile', 'sender', 'timeoutSeconds', 'user']);
      for (const key of ['firstSeen', 'lastSeen', 'expiresAt']) expect(body[key]).toMatch(ISO);
      expect(Date.parse(body.expiresAt) - Date.parse(body.lastSeen)).toBe(45 * 60_000);
      expect(body.timeoutSeconds).toBe(45 * 60);
    });

    it('finds an IPv4 entry by its IPv4-mapped IPv6 form', async () => {
      for (const form of ['::ffff:10.1.2.3', '::FFFF:10.1.2.3', '0:0:0:0:0:ffff:a01:203']) {
        const res = await get(`/v1/mappings/${form}`);
        expect(res.statusCode, form).toBe(200);
        expect(res.json().ip).toBe('10.1.2.3');
      }
    });

    it('finds an IPv6 entry by any spelling of the address', async () => {
      for (const form of ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:0db8::0001']) {
        const res = await get(`/v1/mappings/${encodeURIComponent(form)}`);
        expect(res.statusCode, form).toBe(200);
        expect(res.json()).toMatchObject({ ip: '2001:db8::1', user: 'ACME\\asmith' });
      }
    });

    it('answers 404 with an error body for an address nobody is mapped to', async () => {
      const res = await get('/v1/mappings/10.9.9.9');
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'UID_ERR_HTTP_NOT_FOUND', message: 'no mapping for 10.9.9.9' } });
    });

    it('answers 400 UID_ERR_HTTP_BAD_IP naming the text for anything that is not a host address', async () => {
      for (const text of ['jdoe', '10.1.2', '10.1.2.300', '224.0.0.1', '255.255.255.255', '0.0.0.0', '::', 'ff02::1', 'fe80::1%25eth0']) {
        const res = await get(`/v1/mappings/${text}`);
        expect(res.statusCode, text).toBe(400);
        const { error } = res.json();
        expect(error.code).toBe('UID_ERR_HTTP_BAD_IP');
        expect(error.message).toContain(`'${decodeURIComponent(text)}' is not a valid IPv4 or IPv6 host address`);
      }
    });
  });

  describe('GET /v1/mappings?user=', () => {
    it('lists every address of the user, case-insensitively', async () => {
      const res = await get(`/v1/mappings?user=${encodeURIComponent('Acme\\JDoe')}`);
      expect(res.statusCode).toBe(200);
      const { items, next } = res.json();
      expect(next).toBeUndefined();
      expect(items.map((m: { ip: string }) => m.ip).sort()).toEqual(['10.1.2.3', '10.1.2.4']);
    });

    it('answers an empty list for an unknown user', async () => {
      const res = await get('/v1/mappings?user=nobody');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ items: [] });
    });

    it('refuses user= together with paging parameters', async () => {
      const res = await get('/v1/mappings?user=jdoe&limit=5');
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
    });
  });

  describe('GET /v1/mappings (paging)', () => {
    it('pages through the table without skipping or repeating entries added between pages', async () => {
      const initial = ['10.1.2.3', '10.1.2.4', '2001:db8::1'];
      for (let i = 1; i <= 22; i++) {
        await table.apply(login(`10.2.0.${i}`, `user${i}`));
        initial.push(`10.2.0.${i}`);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await get(`/v1/mappings?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.statusCode).toBe(200);
        const body = res.json();
        expect(body.items.length).toBeLessThanOrEqual(7);
        seen.push(...body.items.map((m: { ip: string }) => m.ip));
        cursor = body.next;
        // Traffic goes on while a client pages: new logins between pages.
        await table.apply(login(`10.3.0.${++pages}`, `late${pages}`));
      } while (cursor !== undefined);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((ip) => initial.includes(ip)).sort()).toEqual([...initial].sort());
    });

    it('answers one page of the default size without limit', async () => {
      const res = await get('/v1/mappings');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ items: expect.any(Array) });
      expect(res.json().items).toHaveLength(3);
    });

    it('answers 400 for a cursor it did not make', async () => {
      const res = await get('/v1/mappings?limit=2&cursor=not-a-cursor!');
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
    });

    it('validates the query: limit range and type, unknown parameters', async () => {
      for (const query of ['limit=0', 'limit=10001', 'limit=ten', 'usr=jdoe', 'user=']) {
        const res = await get(`/v1/mappings?${query}`);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.code, query).toBe('UID_ERR_HTTP_BAD_REQUEST');
        expect(res.json().error.message, query).toMatch(/^invalid request: querystring/);
      }
    });
  });

  describe('POST /v1/lookup', () => {
    const lookup = (payload: unknown) => server.app.inject({ method: 'POST', url: '/v1/lookup', payload: payload as object });

    it('answers one item per address in request order: hit, miss, invalid', async () => {
      const res = await lookup({ ips: ['10.1.2.3', '10.9.9.9', 'bogus', '::ffff:10.1.2.4', '2001:DB8::1'] });
      expect(res.statusCode).toBe(200);
      const { items } = res.json();
      expect(items).toHaveLength(5);
      expect(items[0]).toMatchObject({ ip: '10.1.2.3', mapping: { ip: '10.1.2.3', user: 'ACME\\jdoe' } });
      expect(items[1]).toEqual({ ip: '10.9.9.9' });
      expect(items[2]).toEqual({ ip: 'bogus', error: { code: 'UID_ERR_HTTP_BAD_IP', message: expect.stringContaining("'bogus'") } });
      expect(items[3]).toMatchObject({ ip: '::ffff:10.1.2.4', mapping: { ip: '10.1.2.4', user: 'acme\\JDOE' } });
      expect(items[4]).toMatchObject({ ip: '2001:DB8::1', mapping: { ip: '2001:db8::1' } });
    });

    it('takes 10,000 addresses and refuses 10,001', async () => {
      const ips = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
      ips[0] = '10.1.2.3';
      const ok = await lookup({ ips });
      expect(ok.statusCode).toBe(200);
      const { items } = ok.json();
      expect(items).toHaveLength(10_000);
      expect(items[0].mapping.user).toBe('ACME\\jdoe');
      expect(items[9_999]).toEqual({ ip: ips[9_999] });

      const tooMany = await lookup({ ips: [...ips, '10.0.0.1'] });
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json().error).toMatchObject({ code: 'UID_ERR_HTTP_BAD_REQUEST', message: expect.stringContaining('10000') });
    });

    it('refuses malformed bodies with 400 and an error body', async () => {
      for (const payload of [{}, { ips: '10.1.2.3' }, { ips: [{}] }, { ips: [], extra: true }, { ips: ['x'.repeat(65)] }]) {
        const res = await lookup(payload);
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
      }
      const notJson = await server.app.inject({ method: 'POST', url: '/v1/lookup', headers: { 'content-type': 'application/json' }, payload: '{"ips": [' });
      expect(notJson.statusCode).toBe(400);
      expect(notJson.json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
      const text = await server.app.inject({ method: 'POST', url: '/v1/lookup', headers: { 'content-type': 'application/xml' }, payload: '<ips/>' });
      expect(text.statusCode).toBe(415);
      expect(text.json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
      const huge = await server.app.inject({
        method: 'POST', url: '/v1/lookup', headers: { 'content-type': 'application/json' }, payload: `{"ips": []${' '.repeat(1024 * 1024)}}`,
      });
      expect(huge.statusCode).toBe(413);
      expect(huge.json().error.code).toBe('UID_ERR_HTTP_BAD_REQUEST');
    });
  });

  describe('DELETE /v1/mappings/:ip', () => {
    it('removes the mapping (reported as removed/admin), then answers 404', async () => {
      const changes: MappingChange[] = [];
      const unsubscribe = table.subscribe((c) => changes.push(c));
      const res = await server.app.inject({ method: 'DELETE', url: '/v1/mappings/::ffff:10.1.2.3' });
      unsubscribe();
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect(changes).toEqual([expect.objectContaining({ kind: 'removed', reason: 'admin', mapping: expect.objectContaining({ ip: '10.1.2.3' }) })]);
      expect((await get('/v1/mappings/10.1.2.3')).statusCode).toBe(404);
      const again = await server.app.inject({ method: 'DELETE', url: '/v1/mappings/10.1.2.3' });
      expect(again.statusCode).toBe(404);
      expect(again.json().error.code).toBe('UID_ERR_HTTP_NOT_FOUND');
    });

    it('answers 400 UID_ERR_HTTP_BAD_IP for an invalid address', async () => {
      const res = await server.app.inject({ method: 'DELETE', url: '/v1/mappings/jdoe' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('UID_ERR_HTTP_BAD_IP');
    });
  });
});
