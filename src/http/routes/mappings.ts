/**
 * The mapping routes of DESIGN §3: one address, one user's addresses, pages of the table,
 * bulk lookup and admin removal. Addresses are normalised exactly as the table keys them
 * (normaliseAddress), so `::ffff:10.1.2.3` and `10.1.2.3` are the same entry. Handlers
 * answer synchronously when the table does, and misses are plain 404 bodies rather than
 * thrown errors: for a proxy asking about unknown addresses, a miss is the common case.
 */
import type { FastifyInstance, FastifyReply, preSerializationHookHandler } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { normaliseAddress } from '../../identify/address.js';
import type { Mapping, MappingChange, MappingPage, MappingTable } from '../../mappings/table.js';
import { answerLookup, answerMapping, badIpAnswer, markedStale, notFoundBody, STALE_HEADER, type MappingAnswer } from '../mapping-answers.js';
import { isPromiseLike } from '../maybe-promise.js';
import { errorBody, presentMapping } from '../present.js';
import {
  DEFAULT_PAGE_LIMIT, errorResponse, IpParamsSchema, LookupRequestSchema, LookupResponseSchema, MAX_LOOKUP_IPS,
  MappingListSchema, MappingQuerySchema, MappingSchema, ref, UNAUTHORIZED, type ErrorBody,
} from '../schemas.js';

type IpParams = Static<typeof IpParamsSchema>;
type MappingQuery = Static<typeof MappingQuerySchema>;
type LookupRequest = Static<typeof LookupRequestSchema>;
type MappingListBody = Static<typeof MappingListSchema>;

const BAD_IP = errorResponse('not a valid host address (UID_ERR_HTTP_BAD_IP)');
const NO_MAPPING = errorResponse('no mapping for the address (UID_ERR_HTTP_NOT_FOUND)');
const tags = ['mappings'];

function sent(reply: FastifyReply, answer: MappingAnswer): MappingAnswer['body'] {
  reply.code(answer.status);
  return answer.body;
}

function removedOrMiss(reply: FastifyReply, change: MappingChange | null, ip: string): ErrorBody | null {
  if (change) {
    reply.code(204);
    return null;
  }
  reply.code(404);
  return notFoundBody(ip);
}

function listOf(mappings: readonly Mapping[]): MappingListBody {
  return { items: mappings.map(presentMapping) };
}

function pageOf(page: MappingPage): MappingListBody {
  return { items: page.items.map(presentMapping), next: page.next };
}

/**
 * A shared table that cannot reach Redis still answers, from what this listener knew
 * last: such 200 answers say so (`stale: true`, `X-Uid-Stale: 1`) so a client may decide.
 */
function staleMarker(table: MappingTable): preSerializationHookHandler<unknown> {
  return (_request, reply, payload, done) => {
    if (!table.stale || reply.statusCode !== 200 || payload === null || typeof payload !== 'object') return done(null, payload);
    reply.header(STALE_HEADER, '1');
    done(null, markedStale(payload));
  };
}

export function registerMappingRoutes(app: FastifyInstance, table: MappingTable): void {
  const preSerialization = staleMarker(table);
  app.get<{ Params: IpParams }>('/v1/mappings/:ip', {
    preSerialization,
    schema: {
      summary: 'Who is at this address',
      tags,
      params: IpParamsSchema,
      response: { 200: ref(MappingSchema, 'the mapping'), 400: BAD_IP, 401: UNAUTHORIZED, 404: NO_MAPPING },
    },
  }, (request, reply) => {
    const answer = answerMapping(request.params.ip, (ip) => table.get(ip));
    return isPromiseLike(answer) ? answer.then((a) => sent(reply, a)) : sent(reply, answer);
  });

  app.get<{ Querystring: MappingQuery }>('/v1/mappings', {
    preSerialization,
    schema: {
      summary: 'All addresses of one user (?user=), or the table page by page (?limit=&cursor=)',
      tags,
      querystring: MappingQuerySchema,
      response: {
        200: ref(MappingListSchema, 'the mappings of the user, or one page of the table'),
        400: errorResponse('invalid query or cursor (UID_ERR_HTTP_BAD_REQUEST)'),
        401: UNAUTHORIZED,
      },
    },
  }, (request, reply) => {
    const { user, limit, cursor } = request.query;
    if (user !== undefined) {
      if (limit !== undefined || cursor !== undefined) {
        reply.code(400);
        return errorBody('UID_ERR_HTTP_BAD_REQUEST', 'user= lists every mapping of that user and cannot be combined with limit= or cursor=');
      }
      const found = table.byUser(user);
      return isPromiseLike(found) ? found.then(listOf) : listOf(found);
    }
    const page = table.page(cursor, limit ?? DEFAULT_PAGE_LIMIT);
    return isPromiseLike(page) ? page.then(pageOf) : pageOf(page);
  });

  app.post<{ Body: LookupRequest }>('/v1/lookup', {
    // 10,000 addresses of up to 64 characters fit comfortably.
    bodyLimit: 1024 * 1024,
    preSerialization,
    schema: {
      summary: `Bulk lookup of up to ${MAX_LOOKUP_IPS} addresses`,
      description: 'One item per requested address, in request order: `mapping` when mapped, neither `mapping` nor `error` ' +
        'when not mapped, `error` (UID_ERR_HTTP_BAD_IP) when the address is invalid. An invalid address does not fail the request.',
      tags,
      body: ref(LookupRequestSchema),
      response: {
        200: ref(LookupResponseSchema, 'one item per requested address'),
        400: errorResponse(`malformed body or more than ${MAX_LOOKUP_IPS} addresses (UID_ERR_HTTP_BAD_REQUEST)`),
        401: UNAUTHORIZED,
        413: errorResponse('body over 1 MiB (UID_ERR_HTTP_BAD_REQUEST)'),
      },
    },
  }, (request) => answerLookup(request.body.ips, (ip) => table.get(ip)));

  app.delete<{ Params: IpParams }>('/v1/mappings/:ip', {
    schema: {
      summary: 'Remove a mapping (reported as removed with reason admin, and a TACACS+ STOP)',
      tags,
      params: IpParamsSchema,
      response: {
        204: { type: 'null', description: 'removed' }, 400: BAD_IP, 401: UNAUTHORIZED, 404: NO_MAPPING,
        503: errorResponse('the shared table cannot reach Redis (UID_ERR_STORE_UNAVAILABLE); nothing was removed'),
      },
    },
  }, (request, reply) => {
    const ip = normaliseAddress(request.params.ip);
    if (ip === null) return sent(reply, badIpAnswer(request.params.ip));
    const change = table.delete(ip);
    return isPromiseLike(change) ? change.then((c) => removedOrMiss(reply, c, ip)) : removedOrMiss(reply, change, ip);
  });
}
