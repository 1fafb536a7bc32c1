/**
 * GET /v1/mappings/{ip}/history: the audit trail's recent lines about one address, newest
 * first (src/audit/history.ts reads them; docs/audit.md). Each request reads at most a
 * fixed number of bytes, and at most MAX_SCANS requests read at once; more get 503.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { decodeCursor, type HistoryPage, type HistoryQuery } from '../../audit/history.js';
import { normaliseAddress } from '../../identify/address.js';
import { errorBody } from '../present.js';
import { errorResponse, IpParamsSchema, MAX_IP_TEXT, ref, UNAUTHORIZED } from '../schemas.js';

export interface HistorySource {
  read(query: HistoryQuery): Promise<HistoryPage>;
}

const MAX_SCANS = 2;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

const Time = (description: string) => Type.String({ format: 'date-time', description: `${description} (ISO 8601 UTC)` });

export const AuditEntrySchema = Type.Object({
  time: Time('when the table changed'),
  kind: Type.String({ enum: ['added', 'user-changed', 'refreshed', 'removed', 'expired', 'evicted'] }),
  reason: Type.String({ enum: ['login', 'replaced', 'logout', 'admin', 'timeout', 'capacity'] }),
  ip: Type.String({ maxLength: MAX_IP_TEXT }),
  user: Type.String({ description: 'the user the change is about: the new one for user-changed, the one who left for removals' }),
  oldUser: Type.Union([Type.String(), Type.Null()], { description: 'the user a user-changed line replaced; null otherwise' }),
  sender: Type.String(),
  profile: Type.String(),
  id: Type.String({ description: 'the mapping id (the TACACS+ task_id of its session)' }),
  firstSeen: Time('when this user was first seen at this address'),
  lastSeen: Time('the latest login message for it'),
}, { $id: 'AuditEntry', additionalProperties: false });

export const HistorySchema = Type.Object({
  items: Type.Array(ref(AuditEntrySchema)),
  next: Type.Optional(Type.String({ description: 'there may be more: pass as cursor= to go on' })),
}, { $id: 'History', additionalProperties: false });

const HistoryQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `entries at most (default ${DEFAULT_LIMIT})` })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'only changes at or after this instant' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'only changes before this instant' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'the `next` of the previous answer' })),
}, { additionalProperties: false });

type IpParams = Static<typeof IpParamsSchema>;
type Query = Static<typeof HistoryQuerySchema>;

const utc = (time: string | undefined) => (time === undefined ? undefined : new Date(time).toISOString());

function refuse(reply: FastifyReply, status: number, code: 'UID_ERR_HTTP_BAD_REQUEST' | 'UID_ERR_HTTP_BAD_IP' | 'UID_ERR_HTTP_NOT_FOUND' | 'UID_ERR_HTTP_BUSY', message: string) {
  reply.code(status);
  return errorBody(code, message);
}

export function registerHistoryRoutes(app: FastifyInstance, history: HistorySource | undefined): void {
  app.addSchema(AuditEntrySchema);
  app.addSchema(HistorySchema);
  let scanning = 0;
  app.get<{ Params: IpParams; Querystring: Query }>('/v1/mappings/:ip/history', {
    schema: {
      summary: 'Recent changes of one address from the audit trail, newest first (also after the mapping is gone)',
      tags: ['mappings'],
      params: IpParamsSchema,
      querystring: HistoryQuerySchema,
      response: {
        200: ref(HistorySchema, 'the changes, newest first'),
        400: errorResponse('invalid address, time or cursor (UID_ERR_HTTP_BAD_IP, UID_ERR_HTTP_BAD_REQUEST)'),
        401: UNAUTHORIZED,
        404: errorResponse('the audit trail is off (UID_ERR_HTTP_NOT_FOUND)'),
        503: errorResponse('too many history requests at once (UID_ERR_HTTP_BUSY); see Retry-After'),
      },
    },
  }, async (request, reply) => {
    if (!history) return refuse(reply, 404, 'UID_ERR_HTTP_NOT_FOUND', 'the audit trail is off: set log.audit.path in the configuration to keep one');
    const ip = normaliseAddress(request.params.ip);
    if (ip === null) return refuse(reply, 400, 'UID_ERR_HTTP_BAD_IP', `'${request.params.ip}' is not a valid IPv4 or IPv6 host address`);
    const { limit, since, until, cursor } = request.query;
    if (cursor !== undefined && decodeCursor(cursor) === undefined) {
      return refuse(reply, 400, 'UID_ERR_HTTP_BAD_REQUEST', 'cursor is not one this server gave out: pass the `next` of an earlier answer unchanged');
    }
    if (scanning >= MAX_SCANS) {
      reply.header('retry-after', '1');
      return refuse(reply, 503, 'UID_ERR_HTTP_BUSY', `${MAX_SCANS} history requests are being answered; retry in a moment`);
    }
    scanning++;
    try {
      return await history.read({ ip, limit: limit ?? DEFAULT_LIMIT, since: utc(since), until: utc(until), cursor });
    } finally {
      scanning--;
    }
  });
}
