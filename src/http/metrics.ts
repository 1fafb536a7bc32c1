/**
 * The HTTP API's own metrics, registered in the registry the application passes in and
 * removed again when the server closes (so a rebuilt server can register them anew):
 * request latency by route pattern (never the raw URL, which would explode cardinality),
 * event streams open and dropped, and failed authentications.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function instrumentHttp(app: FastifyInstance, registry: Registry, openStreams: () => number): HttpMetrics {
  const latency = new Histogram({
    name: NAMES.latency,
    help: 'HTTP API request duration in seconds, by route pattern, method and status (event streams excluded)',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
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
  const authFailures = new Counter({
    name: NAMES.authFailures,
    help: 'Requests refused for a missing or wrong bearer token',
    registers: [registry],
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
