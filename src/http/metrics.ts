/**
 * The HTTP API's own metrics, registered in the registry the application passes in and
 * removed again when the server closes (so a rebuilt server can register them anew):
 * request latency by route pattern (never the raw URL, which would explode cardinality),
 * event streams open and dropped, and failed authentications. With the lookup thread, its
 * requests and refusals (counted in shared memory, lookup-thread/shared-metrics.ts) are
 * added in, so the same series count every request whichever thread answered it.
 */
import { Counter, Gauge, Histogram, type Metric, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LATENCY_BUCKETS, type LookupMetrics, type LookupSeries } from './lookup-thread/shared-metrics.js';
import './route-config.js';

export interface HttpMetrics {
  readonly authFailures: Counter;
  readonly streamsDropped: Counter;
}

const NAMES = {
  latency: 'uid_http_request_duration_seconds',
  streams: 'uid_http_event_streams',
  streamsDropped: 'uid_http_event_streams_dropped_total',
  authFailures: 'uid_http_auth_failures_total',
} as const;
const LATENCY_HELP = 'HTTP API request duration in seconds, by route pattern, method and status (event streams excluded)';
type LatencyLabel = 'route' | 'method' | 'status' | 'le';
type LatencyValue = MetricValueWithName<LatencyLabel>;

/** `lookupThread` reads what the lookup thread counted (absent: no thread). */
export function instrumentHttp(app: FastifyInstance, registry: Registry, openStreams: () => number, lookupThread?: () => LookupMetrics): HttpMetrics {
  const latency = new Histogram({
    name: NAMES.latency,
    help: LATENCY_HELP,
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: lookupThread ? [] : [registry],
  });
  if (lookupThread) registry.registerMetric(withLookupThread(latency, () => lookupThread().series));
  new Gauge({
    name: NAMES.streams,
    help: 'Open GET /v1/events streams',
    registers: [registry],
    collect() { this.set(openStreams()); },
  });
  const streamsDropped = new Counter({
    name: NAMES.streamsDropped,
    help: 'Event streams closed because the client fell too far behind',
    registers: [registry],
  });
  // The lookup thread's refusals are added as they grow, so the counter is one series.
  let threadFailures = 0;
  const authFailures = new Counter({
    name: NAMES.authFailures,
    help: 'Requests refused for a missing or wrong bearer token',
    registers: [registry],
    collect() {
      if (!lookupThread) return;
      const now = lookupThread().authFailures;
      if (now > threadFailures) this.inc(now - threadFailures);
      threadFailures = now;
    },
  });

  // route → method → status → child; label sets are few, so cache them rather than
  // letting prom-client build a label object per request.
  const children = new Map<string, Map<string, Map<number, Histogram.Internal<'route' | 'method' | 'status'>>>>();
  const child = (route: string, method: string, status: number) => {
    let byMethod = children.get(route);
    if (!byMethod) children.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let observer = byStatus.get(status);
    if (!observer) byStatus.set(status, (observer = latency.labels(route, method, String(status))));
    return observer;
  };

  // Observed when the answer is handed to the socket (onSend), not when the socket has
  // written it (onResponse): the write is the kernel's, and waiting for 'finish' cost about
  // a fifth of a lookup's CPU (BENCHMARKS.md, HTTP).
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
    if (request.routeOptions.config.stream !== true) {
      child(request.routeOptions.url ?? 'unknown', request.method, reply.statusCode).observe(reply.elapsedTime / 1000);
    }
    done(null, payload);
  });
  app.addHook('onClose', (_instance, done) => {
    for (const name of Object.values(NAMES)) registry.removeSingleMetric(name);
    done();
  });
  return { authFailures, streamsDropped };
}

/**
 * The histogram as /metrics shows it with the lookup thread: its own series plus the
 * thread's, a label set both have (a lookup the thread handed to the main routes) summed.
 */
function withLookupThread(latency: Histogram<'route' | 'method' | 'status'>, series: () => readonly LookupSeries[]): Metric {
  const merged = {
    name: NAMES.latency,
    help: LATENCY_HELP,
    type: 'histogram',
    aggregator: 'sum',
    async get(): Promise<MetricObjectWithValues<LatencyValue>> {
      const own = await latency.get();
      const values = own.values as LatencyValue[];
      const index = new Map(values.map((v, i) => [seriesKey(v.metricName, v.labels), i]));
      const add = (metricName: string, labels: LatencyValue['labels'], value: number) => {
        const at = index.get(seriesKey(metricName, labels));
        if (at === undefined) values.push({ metricName, labels, value });
        else values[at] = { ...values[at]!, value: values[at]!.value + value };
      };
      for (const s of series()) {
        const labels = { route: s.route, method: s.method, status: String(s.status) };
        let cumulative = 0;
        for (let b = 0; b < LATENCY_BUCKETS.length; b++) {
          cumulative += s.buckets[b]!;
          add(`${NAMES.latency}_bucket`, { le: LATENCY_BUCKETS[b]!, ...labels }, cumulative);
        }
        add(`${NAMES.latency}_bucket`, { le: '+Inf', ...labels }, s.count);
        add(`${NAMES.latency}_sum`, labels, s.sum);
        add(`${NAMES.latency}_count`, labels, s.count);
      }
      return { ...own, values };
    },
    reset: () => latency.reset(),
  };
  return merged as unknown as Metric;
}

function seriesKey(metricName: string | undefined, labels: LatencyValue['labels']): string {
  return `${metricName}|${labels.route}|${labels.method}|${labels.status}|${labels.le ?? ''}`;
}
