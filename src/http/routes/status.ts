/** The operational routes: GET /healthz, /metrics (Prometheus text) and /v1/accounting. */
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { Registry } from 'prom-client';
import type { AccountingStatus } from '../../accounting/status.js';
import '../route-config.js';
import { healthStatus } from '../health.js';
import { errorBody } from '../present.js';
import {
  AccountingQuerySchema, AccountingStatusSchema, errorResponse, HealthSchema, ref, UNAUTHORIZED,
  type AccountingStatusBody, type HealthBody, type HealthReport,
} from '../schemas.js';

type AccountingQuery = Static<typeof AccountingQuerySchema>;

const DEFAULT_SESSION_LIMIT = 1000;

export interface StatusSources {
  readonly registry: Registry;
  readonly health: () => HealthReport;
  readonly accounting?: (maxSessions: number) => AccountingStatus;
}

export function registerStatusRoutes(app: FastifyInstance, sources: StatusSources): void {
  const { registry, health, accounting } = sources;
  app.get('/healthz', {
    config: { public: true },
    schema: {
      summary: 'Liveness and state of listeners, table and accounting (no token needed)',
      tags: ['operations'],
      security: [],
      response: { 200: ref(HealthSchema, 'ok or degraded'), 503: ref(HealthSchema, 'down: no listener is listening') },
    },
  }, (_request, reply) => {
    const report = health();
    const body: HealthBody = { status: healthStatus(report), ...report };
    if (body.status === 'down') reply.code(503);
    return body;
  });

  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['operations'],
      response: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: UNAUTHORIZED },
    },
  }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  app.get<{ Querystring: AccountingQuery }>('/v1/accounting', {
    schema: {
      summary: 'Active accounted sessions and the state of each TACACS+ server group (like IOS show accounting)',
      tags: ['accounting'],
      querystring: AccountingQuerySchema,
      response: {
        200: ref(AccountingStatusSchema, 'sessions and server groups'),
        400: errorResponse('invalid limit (UID_ERR_HTTP_BAD_REQUEST)'),
        401: UNAUTHORIZED,
        404: errorResponse('accounting is off (UID_ERR_HTTP_NOT_FOUND)'),
      },
    },
  }, (request, reply) => {
    if (!accounting) {
      reply.code(404);
      return errorBody('UID_ERR_HTTP_NOT_FOUND',
        'TACACS+ accounting is off: set accounting.mode and accounting.groups in the configuration to turn it on');
    }
    const status = accounting(request.query.limit ?? DEFAULT_SESSION_LIMIT);
    const body: AccountingStatusBody = {
      mode: status.mode,
      sessionsTotal: status.sessionsTotal,
      sessions: status.sessions.slice(),
      groups: status.groups.map((g) => ({ ...g, servers: g.servers.slice() })),
    };
    return body;
  });
}
