/**
 * Bearer-token access (RFC 6750) and the refusal to serve the table to the network
 * anonymously. Tokens are compared in constant time (src/shared/secret-match.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { UidError } from '../errors.js';
import { isLoopbackHost } from '../identify/address.js';
import type { HttpConfig } from '../config/schema.js';
import { createSecretMatcher } from '../shared/secret-match.js';
import { errorBody } from './present.js';
import type { ErrorBody } from './schemas.js';
import './route-config.js';

/** RFC 7235 §2.1: the scheme is case-insensitive; RFC 6750 §2.1: one space, then the token. */
const BEARER = /^bearer +(\S+) *$/i;

/** `(authorization header) → whether it carries one of `tokens``. */
export function createTokenCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const match = createSecretMatcher(tokens.map((token) => [token, true] as const));
  return (authorization) => {
    const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    return presented !== undefined && match(presented) === true;
  };
}

/** The 401 for a missing or wrong token: `WWW-Authenticate` as RFC 6750 §3 asks, and the body. */
export function tokenRefusal(authorization: string | undefined): { readonly wwwAuthenticate: string; readonly body: ErrorBody } {
  const missing = authorization === undefined;
  return {
    wwwAuthenticate: missing ? 'Bearer realm="uid-listener"' : 'Bearer realm="uid-listener", error="invalid_token"',
    body: errorBody('UID_ERR_HTTP_UNAUTHORIZED', missing
      ? 'this API needs a bearer token: send "Authorization: Bearer <token>" with one of http.tokens'
      : 'the bearer token is not one of http.tokens'),
  };
}

/**
 * Requires a valid token on every route not flagged `public` (unknown routes included, so
 * a scan learns nothing).
 */
export function requireTokens(app: FastifyInstance, tokens: readonly string[], onFailure: () => void): void {
  const check = createTokenCheck(tokens);
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.routeOptions.config.public === true) return done();
    const authorization = request.headers.authorization;
    if (check(authorization)) return done();
    onFailure();
    const refusal = tokenRefusal(authorization);
    void reply.code(401).header('www-authenticate', refusal.wwwAuthenticate).send(refusal.body);
  });
}

/** Throws UID_ERR_HTTP_INSECURE when the table would be served off loopback to anyone. */
export function assertSafeExposure(config: Pick<HttpConfig, 'host' | 'tokens' | 'allowAnonymous'>): void {
  if (config.tokens.length > 0 || config.allowAnonymous || isLoopbackHost(config.host)) return;
  throw new UidError('UID_ERR_HTTP_INSECURE',
    `http.host is ${config.host}, which is not a loopback address, and no bearer token is configured: ` +
    'anyone who can reach the port could read and delete mappings. Add a token to http.tokens (or http.tokensFile), ' +
    'listen on 127.0.0.1, or set http.allowAnonymous: true to accept anonymous access on purpose.');
}
