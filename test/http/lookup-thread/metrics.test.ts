/**
 * What the lookup thread answers still counts in /metrics: its requests in
 * uid_http_request_duration_seconds (one series per label set, summed with the main
 * thread's where both answered the same route, method and status) and its token refusals
 * in uid_http_auth_failures_total; the shared-memory counters add up exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, LookupMetricsWriter, lookupMetricsBuffer, lookupRouteIndex, readLookupMetrics } from '../../../src/http/lookup-thread/shared-metrics.js';
import { login } from '../../mappings/support.js';
import { closeApis, memoryTable, startApi } from './support.js';

afterEach(closeApis);

describe('lookup metrics in /metrics', () => {
  it('counts the thread\'s answers and refusals beside the main thread\'s', async () => {
    const table = memoryTable();
    table.apply(login('10.1.2.3', 'ACME\\alice'));
    const { port } = await startApi(table, { tokens: ['tok-1234'] });
    const base = `http://127.0.0.1:${port}`;
    const authorization = 'Bearer tok-1234';
    const statuses = [];
    for (const path of ['/v1/mappings/10.1.2.3', '/v1/mappings/10.1.2.3', '/v1/mappings/10.9.9.9']) statuses.push((await fetch(base + path, { headers: { authorization } })).status);
    statuses.push((await fetch(`${base}/v1/mappings/10.1.2.3`)).status);
    // One bulk answered by the thread, one (numbers to coerce) by the main thread: one series.
    for (const body of ['{"ips":["10.1.2.3"]}', '{"ips":[1]}']) {
      statuses.push((await fetch(`${base}/v1/lookup`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body })).status);
    }
    expect(statuses).toEqual([200, 200, 404, 401, 200, 200]);

    const text = await (await fetch(`${base}/metrics`, { headers: { authorization } })).text();
    /** Every value of a series (a label set shown twice would be two). */
    const values = (series: string) => text.split('\n').filter((l) => l.startsWith(`${series} `)).map((l) => l.slice(series.length + 1));
    const mapping = (status: number) => `{route="/v1/mappings/:ip",method="GET",status="${status}"}`;
    expect(values(`uid_http_request_duration_seconds_count${mapping(200)}`)).toEqual(['2']);
    expect(values(`uid_http_request_duration_seconds_count${mapping(404)}`)).toEqual(['1']);
    expect(values(`uid_http_request_duration_seconds_count${mapping(401)}`)).toEqual(['1']);
    expect(values('uid_http_request_duration_seconds_count{route="/v1/lookup",method="POST",status="200"}')).toEqual(['2']);
    expect(values('uid_http_request_duration_seconds_bucket{le="+Inf",route="/v1/mappings/:ip",method="GET",status="200"}')).toEqual(['2']);
    expect(values('uid_http_auth_failures_total')).toEqual(['1']);
    // Counted once more, never twice: the counter takes only what grew since the last scrape.
    await fetch(`${base}/v1/auth`);
    const again = await (await fetch(`${base}/metrics`, { headers: { authorization } })).text();
    expect(again).toContain('\nuid_http_auth_failures_total 2\n');
  });
});

describe('shared lookup metrics', () => {
  it('reads back every observation in its bucket, with count and sum', () => {
    const buffer = lookupMetricsBuffer();
    const writer = new LookupMetricsWriter(buffer);
    const auth = lookupRouteIndex('/v1/auth/*', 'DELETE');
    writer.observe(auth, 200, 0.0002);
    writer.observe(auth, 200, 0.003);
    writer.observe(auth, 200, 9);
    writer.observe(auth, 418, 0.001); // not foreseen: not counted
    writer.authFailure();
    const { authFailures, series } = readLookupMetrics(buffer);
    expect(authFailures).toBe(1);
    expect(series).toHaveLength(1);
    const [s] = series;
    expect([s!.route, s!.method, s!.status, s!.count]).toEqual(['/v1/auth/*', 'DELETE', 200, 3]);
    expect(s!.sum).toBeCloseTo(9.0032, 6);
    const expected = new Array(LATENCY_BUCKETS.length + 1).fill(0);
    expected[0] = 1; // ≤ 0.5 ms
    expected[LATENCY_BUCKETS.indexOf(0.005)] = 1;
    expected[LATENCY_BUCKETS.length] = 1; // +Inf
    expect(s!.buckets).toEqual(expected);
    expect(() => lookupRouteIndex('/v1/events', 'GET')).toThrow(RangeError);
  });
});
