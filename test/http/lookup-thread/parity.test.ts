/**
 * The lookup thread answers byte for byte as the main routes do: the same requests, sent
 * as raw bytes to the API with the thread and without it over one table, get the same
 * status line, headers (names, order, values; only Date may differ) and body, whether the
 * thread answered them itself or handed them on (encoded paths, malformed bodies, other
 * routes, refused tokens, malformed HTTP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_STALE, layoutOf } from '../../../src/mappings/shared-memory/layout.js';
import { MemoryMappingTable } from '../../../src/mappings/memory-table.js';
import { login } from '../../mappings/support.js';
import { closeApis, memoryTable, rawExchange, startApi, type RunningApi } from './support.js';

const DATE = /^date: .*$/im;

function request(method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (body !== '' && headers['transfer-encoding'] === undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const json = { 'content-type': 'application/json' };
const realIp = (ip: string) => ({ 'x-real-ip': ip });

/** [what, raw request] */
const CASES: [string, string][] = [
  ['a mapped address', request('GET', '/v1/mappings/10.1.2.3')],
  ['an IPv4-mapped IPv6 address', request('GET', '/v1/mappings/::ffff:10.1.2.3')],
  ['an IPv6 address', request('GET', '/v1/mappings/2001:db8::7')],
  ['a query string', request('GET', '/v1/mappings/10.1.2.3?fresh=1')],
  ['an unmapped address', request('GET', '/v1/mappings/10.9.9.9')],
  ['no address', request('GET', '/v1/mappings/jdoe')],
  ['a percent-encoded address (handed on)', request('GET', '/v1/mappings/2001%3Adb8%3A%3A7')],
  ['an address over the length limit (handed on)', request('GET', `/v1/mappings/${'1'.repeat(65)}`)],
  ['HEAD of a mapping (handed on)', request('HEAD', '/v1/mappings/10.1.2.3')],
  ['a mapping with a trailing slash (handed on)', request('GET', '/v1/mappings/10.1.2.3/')],
  ['bulk', request('POST', '/v1/lookup', json, JSON.stringify({ ips: ['10.1.2.3', '10.9.9.9', 'nobody', '2001:db8::7'] }))],
  ['bulk with a charset', request('POST', '/v1/lookup', { 'content-type': 'application/json; charset=utf-8' }, '{"ips":["10.1.2.3"]}')],
  ['bulk, empty list', request('POST', '/v1/lookup', json, '{"ips":[]}')],
  ['bulk, numbers to coerce (handed on)', request('POST', '/v1/lookup', json, '{"ips":[1,2]}')],
  ['bulk, an extra key (handed on)', request('POST', '/v1/lookup', json, '{"ips":[],"more":1}')],
  ['bulk, __proto__ (handed on)', request('POST', '/v1/lookup', json, '{"ips":[],"__proto__":{"x":1}}')],
  ['bulk, not JSON (handed on)', request('POST', '/v1/lookup', json, '{"ips": [')],
  ['bulk, empty body (handed on)', request('POST', '/v1/lookup', json, '')],
  ['bulk, XML (handed on)', request('POST', '/v1/lookup', { 'content-type': 'application/xml' }, '<ips/>')],
  ['bulk, chunked (handed on)', request('POST', '/v1/lookup', { ...json, 'transfer-encoding': 'chunked' }, '14\r\n{"ips":["10.1.2.3"]}\r\n0\r\n\r\n')],
  ['bulk, too many addresses (handed on)', request('POST', '/v1/lookup', json, JSON.stringify({ ips: Array.from({ length: 10_001 }, () => '10.1.2.3') }))],
  ['bulk, over the body limit (handed on)', request('POST', '/v1/lookup', json, JSON.stringify({ ips: ['x'.repeat(1024 * 1024)] }))],
  ['bulk with GET (handed on)', request('GET', '/v1/lookup')],
  ['forward auth from a trusted proxy', request('GET', '/v1/auth', realIp('10.1.2.3'))],
  ['forward auth, a user without domain', request('GET', '/v1/auth', realIp('2001:db8::7'))],
  ['forward auth, X-Forwarded-For', request('GET', '/v1/auth', { 'x-forwarded-for': '10.9.9.9, 10.1.2.3' })],
  ['forward auth, unmapped', request('GET', '/v1/auth', realIp('10.5.5.5'))],
  ['forward auth, not an address', request('GET', '/v1/auth', realIp('nobody'))],
  ['forward auth, HEAD', request('HEAD', '/v1/auth', realIp('10.1.2.3'))],
  ['forward auth, Envoy path', request('DELETE', '/v1/auth/app/orders?id=1', realIp('10.1.2.3'))],
  ['forward auth, a body (handed on)', request('POST', '/v1/auth/x', { ...realIp('10.1.2.3'), 'content-type': 'text/plain' }, 'ignored')],
  ['forward auth, GET with a body', request('GET', '/v1/auth', realIp('10.1.2.3'), 'ignored')],
  ['another route', request('GET', '/v1/mappings?user=acme%5Calice')],
  ['a page of the table', request('GET', '/v1/mappings?limit=2')],
  ['health', request('GET', '/healthz')],
  ['an unknown route', request('GET', '/v2/nothing')],
  ['a DELETE of an unmapped address', request('DELETE', '/v1/mappings/10.8.8.8')],
  ['HTTP/1.0 without Host', 'GET /v1/mappings/10.1.2.3 HTTP/1.0\r\n\r\n'],
  ['malformed HTTP', 'NOT HTTP AT ALL\r\n\r\n'],
];

const WITH_TOKENS: [string, string][] = [
  ['a lookup without a token', request('GET', '/v1/mappings/10.1.2.3')],
  ['a lookup with a wrong token', request('GET', '/v1/mappings/10.1.2.3', { authorization: 'Bearer wrong' })],
  ['a lookup with the token', request('GET', '/v1/mappings/10.1.2.3', { authorization: 'Bearer tok-1234' })],
  ['bulk without a token', request('POST', '/v1/lookup', json, '{"ips":["10.1.2.3"]}')],
  ['forward auth without a token', request('GET', '/v1/auth', realIp('10.1.2.3'))],
  ['forward auth with the token', request('GET', '/v1/auth', { ...realIp('10.1.2.3'), authorization: 'bearer  tok-1234' })],
  ['health without a token', request('GET', '/healthz')],
  ['an unknown route without a token', request('GET', '/v2/nothing')],
];

/**
 * A memory table that says it is stale, as a shared table's replica does while Redis is
 * away: to the main routes (`stale`) and in the shared memory the thread reads.
 */
class StaleTable extends MemoryMappingTable {
  constructor() {
    super({ timeoutMinutes: 45, maxEntries: 100 });
    Atomics.store(layoutOf(this.share()).header, HEADER_STALE, 1);
  }

  get stale(): boolean {
    return true;
  }
}

async function pair(config: Parameters<typeof startApi>[1] = {}, table: MemoryMappingTable = memoryTable()): Promise<[RunningApi, RunningApi]> {
  table.apply(login('10.1.2.3', 'ACME\\alice'));
  table.apply(login('10.9.9.8', 'bob@acme.com'));
  table.apply(login('2001:db8::7', 'carol'));
  const trustedProxies = ['127.0.0.1'];
  const direct = await startApi(table, { ...config, trustedProxies, lookupThread: false });
  const threaded = await startApi(table, { ...config, trustedProxies });
  expect([direct.api.lookupThread, threaded.api.lookupThread]).toEqual([false, true]);
  return [direct, threaded];
}

async function expectSameAnswers([direct, threaded]: [RunningApi, RunningApi], cases: [string, string][]): Promise<void> {
  for (const [what, raw] of cases) {
    const [want, got] = await Promise.all([rawExchange(direct.port, raw), rawExchange(threaded.port, raw)]);
    expect(want.length, what).toBeGreaterThan(0);
    expect(got.replace(DATE, 'date: -'), what).toBe(want.replace(DATE, 'date: -'));
  }
}

describe('the lookup thread answers as the main routes do', () => {
  let apis: [RunningApi, RunningApi];
  beforeAll(async () => { apis = await pair(); });
  afterAll(closeApis);

  for (const [what, raw] of CASES) {
    it(what, async () => expectSameAnswers(apis, [[what, raw]]));
  }
});

describe('the lookup thread with tokens', () => {
  afterAll(closeApis);
  it('refuses and admits as the main routes do', async () => {
    await expectSameAnswers(await pair({ tokens: ['tok-1234'] }), WITH_TOKENS);
  });
});

describe('the lookup thread when the table is stale', () => {
  afterAll(closeApis);
  it('marks its answers as the main routes do', async () => {
    const apis = await pair({}, new StaleTable());
    const hit = await rawExchange(apis[1].port, request('GET', '/v1/mappings/10.1.2.3'));
    expect(hit).toContain('\r\nx-uid-stale: 1\r\n');
    expect(hit).toContain('"stale":true}');
    await expectSameAnswers(apis, [
      ['a hit', request('GET', '/v1/mappings/10.1.2.3')],
      ['a miss', request('GET', '/v1/mappings/10.9.9.9')],
      ['bulk', request('POST', '/v1/lookup', json, '{"ips":["10.1.2.3","10.9.9.9"]}')],
      ['forward auth', request('GET', '/v1/auth', realIp('10.1.2.3'))],
    ]);
  });
});
