/**
 * Forward authentication for proxies in front of an application (DESIGN §5 "Proxies"):
 * nginx `auth_request` sends a GET subrequest to /v1/auth; Envoy's `ext_authz` HTTP service
 * keeps the client's method and appends its path to a prefix (/v1/auth/<original path>).
 * Mapped: 200, empty body, `X-User` (the user as the table keeps it, `ACME\alice`) and
 * `X-User-Domain` (`ACME`; `acme.com` for `alice@acme.com`; empty without a domain).
 * Unmapped: 401. The client address is the socket's peer unless the peer is a trusted
 * proxy (../client-address.ts). A lookup route: no body to parse, no JSON to write on the
 * hit path, the table asked once.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { MappingTable } from '../../mappings/table.js';
import { createClientAddressResolver, type ClientAddressResolver } from '../client-address.js';
import type { NetworkSet } from '../../identify/address.js';
import { answerForwardAuth, FORWARD_AUTH_METHODS, type ForwardAuthAnswer } from '../forward-auth-answers.js';
import { isPromiseLike } from '../maybe-promise.js';
import { errorResponse } from '../schemas.js';

/** ext_authz may forward the body (`with_request_body`); it is read up to this and ignored. */
const IGNORED_BODY_LIMIT = 64 * 1024;

function sent(reply: FastifyReply, answer: ForwardAuthAnswer): FastifyReply {
  if (answer.status !== 200) return reply.code(answer.status).send(answer.body);
  return reply.code(200).header('x-user', answer.user).header('x-user-domain', answer.domain).send();
}

function handler(table: MappingTable, resolve: ClientAddressResolver) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply | Promise<FastifyReply> => {
    const { headers } = request;
    const client = resolve(request.socket.remoteAddress, headers['x-real-ip'], headers['x-forwarded-for']);
    const answer = answerForwardAuth(client, (ip) => table.get(ip));
    return isPromiseLike(answer) ? answer.then((a) => sent(reply, a)) : sent(reply, answer);
  };
}

export function registerForwardAuthRoutes(app: FastifyInstance, table: MappingTable, trustedProxies: NetworkSet): void {
  const handle = handler(table, createClientAddressResolver(trustedProxies));
  const response = {
    200: {
      description: 'mapped: the user in X-User, its domain in X-User-Domain; empty body',
      type: 'null',
      headers: {
        'x-user': { type: 'string', description: 'the user as the table has it, e.g. ACME\\alice (UTF-8)' },
        'x-user-domain': { type: 'string', description: 'the part before \\ or after @; empty when the user has no domain' },
      },
    },
    400: errorResponse('X-Real-IP or X-Forwarded-For from a trusted proxy is not an address (UID_ERR_HTTP_BAD_IP)'),
    401: errorResponse('the client address is not mapped (UID_ERR_HTTP_UNMAPPED), or the bearer token is missing or wrong (UID_ERR_HTTP_UNAUTHORIZED)'),
  };
  // Its own scope: any body (Envoy may forward one) is read within a small limit and ignored.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: IGNORED_BODY_LIMIT }, (_request, _body, done) => done(null, undefined));
    scope.get('/v1/auth', {
      schema: {
        summary: 'Forward auth (nginx auth_request, Envoy ext_authz): who is the client of this request',
        description: 'The client is the peer of the connection, or, when the peer is in http.trustedProxies, X-Real-IP, ' +
          'else the rightmost X-Forwarded-For entry that is not a trusted proxy. Every method is answered alike, ' +
          'and so is any path below /v1/auth/ (Envoy ext_authz appends the original path).',
        tags: ['forward auth'],
        response,
      },
    }, handle);
    scope.route({ method: FORWARD_AUTH_METHODS.filter((m) => m !== 'GET') as HTTPMethods[], url: '/v1/auth', schema: { hide: true }, handler: handle });
    scope.route({ method: [...FORWARD_AUTH_METHODS] as HTTPMethods[], url: '/v1/auth/*', schema: { hide: true }, handler: handle });
  });
}
