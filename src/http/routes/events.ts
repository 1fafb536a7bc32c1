/** GET /v1/events: the table's changes as Server-Sent Events (see event-streams.ts). */
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { EventStreams } from '../event-streams.js';
import { errorBody } from '../present.js';
import { errorResponse, EventsHeadersSchema, UNAUTHORIZED } from '../schemas.js';
import '../route-config.js';

type EventsHeaders = Static<typeof EventsHeadersSchema>;

export function registerEventRoutes(app: FastifyInstance, streams: EventStreams): void {
  app.get<{ Headers: EventsHeaders }>('/v1/events', {
    config: { stream: true },
    schema: {
      summary: 'Table changes as Server-Sent Events',
      description: 'Each change is one event: `id:` (send it back as Last-Event-ID to resume), `event:` the change kind ' +
        '(added, user-changed, refreshed, removed, expired, evicted) and `data:` a ChangeEvent. A Last-Event-ID the server ' +
        'no longer holds gets a `resync` event (data: ResyncEvent) and the stream continues live. A comment line is sent ' +
        'every heartbeat interval. A client that falls too far behind is disconnected.',
      tags: ['events'],
      headers: EventsHeadersSchema,
      response: {
        200: {
          description: 'an endless text/event-stream',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        400: errorResponse('malformed Last-Event-ID (UID_ERR_HTTP_BAD_REQUEST)'),
        401: UNAUTHORIZED,
        503: errorResponse('too many streams open (UID_ERR_HTTP_BUSY); see Retry-After'),
      },
    },
  }, (request, reply) => {
    if (streams.full) {
      reply.code(503).header('retry-after', '30');
      return errorBody('UID_ERR_HTTP_BUSY', `too many event streams are open (limit ${streams.maxClients}); retry later`);
    }
    reply.hijack();
    streams.open(reply.raw, request.headers['last-event-id']);
    return undefined;
  });
}
