/**
 * Every error leaves as `{error: {code, message}}` with its status (DESIGN §3): request
 * validation → 400 UID_ERR_HTTP_BAD_REQUEST, our UidErrors with their status, fastify's own
 * 4xx (bad JSON, body too large, wrong content type) with their status, anything else 500
 * with a generic message (details go to the log, never to the client).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UidError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { errorBody } from './present.js';
import type { ErrorBody } from './schemas.js';

/** The body of a 500: what went wrong is for the log, not for the client. */
export function internalErrorBody(): ErrorBody {
  return errorBody('UID_ERR_HTTP_INTERNAL', 'an unexpected error occurred; the server log has the details');
}

/** Long enough to recognise a path, short enough that a scan cannot fill the response. */
const MAX_ECHO = 120;

export function installErrorHandlers(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | UidError, request: FastifyRequest, reply: FastifyReply) => {
    if ('validation' in err && err.validation) {
      return reply.code(400).send(errorBody('UID_ERR_HTTP_BAD_REQUEST', `invalid request: ${err.message}`));
    }
    if (err instanceof UidError && err.statusCode !== undefined) {
      return reply.code(err.statusCode).send(errorBody(err.code, err.message));
    }
    const status = err.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(errorBody('UID_ERR_HTTP_BAD_REQUEST', err.message));
    }
    logger.error({ err, method: request.method, route: request.routeOptions.url }, 'HTTP API request failed');
    return reply.code(500).send(internalErrorBody());
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    const shown = path.length > MAX_ECHO ? `${path.slice(0, MAX_ECHO)}…` : path;
    return reply.code(404).send(errorBody('UID_ERR_HTTP_NOT_FOUND', `no route ${request.method} ${shown}; docs/http-api.md lists the routes`));
  });
}
