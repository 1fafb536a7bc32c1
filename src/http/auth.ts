/**
 * Bearer-token access (RFC 6750) and the refusal to serve the table to the network
 * anonymously. Tokens are compared in constant time: both sides are hashed to 32 bytes
 * first (so length leaks nothing and `timingSafeEqual` never sees unequal lengths) and
 * every configured token is compared, match or not, so timing does not tell which one
 * matched or how many there are before it.
 */
import * as crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { UidError } from '../errors.js';
import { isLoopbackHost } from '../identify/address.js';
import type { HttpConfig } from '../config/schema.js';
import { errorBody } from './present.js';
import './route-config.js';

// crypto.hash (Node >= 20.12) makes no Hash object per call; at API rates that object's
// allocation and finalisation cost several times the hashing itself.
const digest: (text: string) => Buffer = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'buffer')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest();

/** RFC 7235 §2.1: the scheme is case-insensitive; RFC 6750 §2.1: one space, then the token. */
const BEARER = /^bearer +(\S+) *$/i;

/** `(authorization header) → whether it carries one of `tokens``. */
export function createTokenCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const expected = tokens.map(digest);
  return (authorization) => {
    const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (presented === undefined) return false;
    const actual = digest(presented);
    let ok = false;
    for (const candidate of expected) {
      if (crypto.timingSafeEqual(candidate, actual)) ok = true;
    }
    return ok;
  };
}

/**
 * Requires a valid token on every route not flagged `public` (unknown routes included, so
 * a scan learns nothing). 401 with `WWW-Authenticate` as RFC 6750 §3 asks.
 */
export function requireTokens(app: FastifyInstance, tokens: readonly string[], onFailure: () => void): void {
  const check = createTokenCheck(tokens);
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (request.routeOptions.config.public === true) return done();
    const authorization = request.headers.authorization;
    if (check(authorization)) return done();
    onFailure();
    const missing = authorization === undefined;
    void reply
      .code(401)
      .header('www-authenticate', missing ? 'Bearer realm="uid-listener"' : 'Bearer realm="uid-listener", error="invalid_token"')
      .send(errorBody('UID_ERR_HTTP_UNAUTHORIZED', missing
        ? 'this API needs a bearer token: send "Authorization: Bearer <token>" with one of http.tokens'
        : 'the bearer token is not one of http.tokens'));
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
