/**
 * The lookup thread's request handler: it answers the lookup routes from the table's shared
 * memory and hands everything else to the main thread (upstream.ts). The answers are the
 * main routes' (mapping-answers.ts, forward-auth-answers.ts, the same serialisers and
 * token check), written with the headers fastify writes, so a client cannot tell which
 * thread answered.
 *
 * It answers only the plain forms of its routes, those whose meaning needs no decision of
 * fastify's: a path without percent-encoding, an address of printable ASCII, a bulk body
 * that is `{"ips": [strings]}` of JSON with a Content-Length within the limit, a forward-auth
 * request without a body to parse. Anything else (a malformed body, an encoded path, a
 * chunked upload) goes to the main thread, which answers it as it always has, errors included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TableReader } from '../../mappings/table-reader.js';
import type { MaybePromise } from '../../mappings/table.js';
import { createTokenCheck, tokenRefusal } from '../auth.js';
import { createClientAddressResolver, trustedProxySet } from '../client-address.js';
import { internalErrorBody } from '../error-handlers.js';
import { answerForwardAuth, FORWARD_AUTH_METHODS, type ForwardAuthAnswer } from '../forward-auth-answers.js';
import { answerLookup, answerMapping, markedStale, STALE_HEADER, type MappingGet } from '../mapping-answers.js';
import { isPromiseLike } from '../maybe-promise.js';
import { MAX_IP_TEXT, MAX_LOOKUP_IPS, type ErrorBody } from '../schemas.js';
import { lookupSerializers } from './serializers.js';
import { lookupRouteIndex, type LookupMetricsWriter } from './shared-metrics.js';
import type { Upstream } from './upstream.js';

/** POST /v1/lookup's body limit (routes/mappings.ts); a larger body is the main thread's to refuse. */
const LOOKUP_BODY_LIMIT = 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';
const MAPPINGS_PREFIX = '/v1/mappings/';
/** An address as the path may carry it without decoding (find-my-way decodes only `%`). */
const PLAIN_SEGMENT = /^[\x21-\x7e]+$/;
const JSON_REQUEST = /^application\/json(?:\s*;\s*charset=utf-8)?$/i;
const AUTH_METHODS: ReadonlySet<string> = new Set(FORWARD_AUTH_METHODS);

export interface FrontOptions {
  readonly reader: TableReader;
  /** `http.tokens`, resolved; empty: no token needed. */
  readonly tokens: readonly string[];
  readonly trustedProxies: readonly string[];
  readonly metrics: LookupMetricsWriter;
  readonly upstream: Upstream;
  /** An answer that could not be made (a fault of ours): logged by the main thread. */
  readonly onError: (err: Error) => void;
}

type Route =
  | { readonly kind: 'mapping'; readonly index: number; readonly text: string }
  | { readonly kind: 'lookup'; readonly index: number }
  | { readonly kind: 'auth'; readonly index: number };

/**
 * The header list as fastify writes it, in its order: headers a hook or handler set before
 * sending, the type (set by send), those set while serialising (the stale marker), the length.
 */
function headers(type: string | undefined, before: readonly string[], after: readonly string[], length: number): string[] {
  // The common answer's list is written out: spreading empty lists costs more than the rest.
  if (type !== undefined && before === NONE && after === NONE) return ['content-type', type, 'content-length', String(length)];
  return type === undefined
    ? [...before, ...after, 'content-length', String(length)]
    : [...before, 'content-type', type, ...after, 'content-length', String(length)];
}

const NONE: readonly string[] = [];
const STALE: readonly string[] = [STALE_HEADER, '1'];

export function frontHandler(options: FrontOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { reader, metrics, upstream } = options;
  const serialise = lookupSerializers();
  const checkToken = options.tokens.length > 0 ? createTokenCheck(options.tokens) : undefined;
  const resolveClient = createClientAddressResolver(trustedProxySet(options.trustedProxies));
  const get: MappingGet = (ip) => reader.get(ip, Date.now());
  const index = {
    mapping: lookupRouteIndex('/v1/mappings/:ip', 'GET'),
    lookup: lookupRouteIndex('/v1/lookup', 'POST'),
    auth: new Map(FORWARD_AUTH_METHODS.map((m) => [m, lookupRouteIndex('/v1/auth', m)])),
    authBelow: new Map(FORWARD_AUTH_METHODS.map((m) => [m, lookupRouteIndex('/v1/auth/*', m)])),
  };

  function route(req: IncomingMessage): Route | undefined {
    const url = req.url ?? '';
    if (url.charCodeAt(0) !== 0x2f /* / */) return undefined;
    let end = url.length;
    for (let i = 1; i < end; i++) {
      const c = url.charCodeAt(i);
      if (c === 0x3f /* ? */ || c === 0x23 /* # */) end = i;
      else if (c === 0x25 /* % */) return undefined;
    }
    const path = end === url.length ? url : url.slice(0, end);
    const method = req.method!;
    if (path.startsWith(MAPPINGS_PREFIX)) {
      const text = path.slice(MAPPINGS_PREFIX.length);
      if (method !== 'GET' || text.length > MAX_IP_TEXT || text.includes('/') || !PLAIN_SEGMENT.test(text)) return undefined;
      return { kind: 'mapping', index: index.mapping, text };
    }
    if (path === '/v1/lookup') return method === 'POST' ? { kind: 'lookup', index: index.lookup } : undefined;
    const below = path.startsWith('/v1/auth/');
    if ((below || path === '/v1/auth') && AUTH_METHODS.has(method) && withoutBodyToParse(req)) {
      return { kind: 'auth', index: (below ? index.authBelow : index.auth).get(method as typeof FORWARD_AUTH_METHODS[number])! };
    }
    return undefined;
  }

  function send(res: ServerResponse, r: Route, started: number, status: number, list: string[], body: string): void {
    res.writeHead(status, list);
    res.end(body);
    metrics.observe(r.index, status, (performance.now() - started) / 1000);
  }

  function sendJson(res: ServerResponse, r: Route, started: number, status: number, body: string, before = NONE, after = NONE): void {
    send(res, r, started, status, headers(JSON_TYPE, before, after, Buffer.byteLength(body)), body);
  }

  function sendError(res: ServerResponse, r: Route, started: number, status: number, body: ErrorBody, before = NONE): void {
    sendJson(res, r, started, status, serialise.error(body), before);
  }

  function sendAuth(req: IncomingMessage, res: ServerResponse, r: Route, started: number, answer: ForwardAuthAnswer): void {
    if (answer.status !== 200) return sendError(res, r, started, answer.status, answer.body);
    const user = ['x-user', answer.user, 'x-user-domain', answer.domain];
    // fastify gives an empty answer a zero length, except to HEAD (RFC 9110 §8.6: it would describe the GET answer).
    send(res, r, started, 200, req.method === 'HEAD' ? user : headers(undefined, user, NONE, 0), '');
  }

  function lookup(req: IncomingMessage, res: ServerResponse, r: Route, started: number): void {
    const length = req.headers['content-length'];
    const type = req.headers['content-type'];
    if (length === undefined || req.headers['transfer-encoding'] !== undefined || !/^\d{1,7}$/.test(length) || Number(length) > LOOKUP_BODY_LIMIT
      || type === undefined || !JSON_REQUEST.test(type)) {
      upstream.forward(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        const body = Buffer.concat(chunks);
        const ips = plainLookupBody(body);
        if (ips === undefined) return upstream.forward(req, res, body);
        const answer = now(answerLookup(ips, get));
        if (reader.stale) sendJson(res, r, started, 200, serialise.lookup(markedStale(answer)), NONE, STALE);
        else sendJson(res, r, started, 200, serialise.lookup(answer));
      } catch (err) {
        fault(err as Error, res, r, started);
      }
    });
  }

  /** A fault of ours: logged by the main thread, answered 500 as the main routes answer one. */
  function fault(err: Error, res: ServerResponse, r: Route, started: number): void {
    options.onError(err);
    if (!res.headersSent) sendError(res, r, started, 500, internalErrorBody());
    else res.destroy();
  }

  function answer(req: IncomingMessage, res: ServerResponse, r: Route, started: number): void {
    switch (r.kind) {
      case 'mapping': {
        const a = now(answerMapping(r.text, get));
        if (a.status !== 200) return sendError(res, r, started, a.status, a.body);
        if (reader.stale) return sendJson(res, r, started, 200, serialise.mapping(markedStale(a.body)), NONE, STALE);
        return sendJson(res, r, started, 200, serialise.mapping(a.body));
      }
      case 'auth': {
        const client = resolveClient((req.socket as Socket).remoteAddress, req.headers['x-real-ip'], req.headers['x-forwarded-for']);
        return sendAuth(req, res, r, started, now(answerForwardAuth(client, get)));
      }
      case 'lookup':
        return lookup(req, res, r, started);
    }
  }

  return (req, res) => {
    const started = performance.now();
    const r = route(req);
    if (r === undefined) return upstream.forward(req, res);
    try {
      if (checkToken && !checkToken(req.headers.authorization)) {
        metrics.authFailure();
        const refusal = tokenRefusal(req.headers.authorization);
        return sendError(res, r, started, 401, refusal.body, ['www-authenticate', refusal.wwwAuthenticate]);
      }
      answer(req, res, r, started);
    } catch (err) {
      fault(err as Error, res, r, started);
    }
  };
}

/** The reader answers synchronously, so every answer is ready now. */
function now<T>(answer: MaybePromise<T>): T {
  if (isPromiseLike(answer)) throw new Error('the table reader answered with a promise');
  return answer;
}

/**
 * fastify reads no body for GET and HEAD; for other methods the forward-auth route parses
 * whatever comes (within a limit), which is the main thread's to do.
 */
function withoutBodyToParse(req: IncomingMessage): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  const { headers } = req;
  return headers['content-type'] === undefined && headers['transfer-encoding'] === undefined
    && (headers['content-length'] === undefined || headers['content-length'] === '0');
}

/**
 * The addresses of a body that is exactly `{"ips": [string, …]}` within the schema's limits
 * (LookupRequestSchema), so that ajv would accept it unchanged; undefined for anything else.
 * An own `__proto__` or `constructor` key (which fastify refuses) is another key, so it is undefined too.
 */
function plainLookupBody(body: Buffer): string[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'ips') return undefined;
  const { ips } = value as { ips: unknown };
  if (!Array.isArray(ips) || ips.length > MAX_LOOKUP_IPS) return undefined;
  // A string of up to MAX_IP_TEXT UTF-16 units has at most that many code points (ajv counts code points).
  for (const ip of ips) if (typeof ip !== 'string' || ip.length > MAX_IP_TEXT) return undefined;
  return ips as string[];
}
