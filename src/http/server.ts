/**
 * The HTTP API of DESIGN §3 on fastify: schema-first routes (validation by ajv, responses
 * by fast-json-stringify), bearer tokens, optional HTTPS, the OpenAPI document, request
 * latency metrics and the change stream. docs/http-api.md is the user's view of it.
 *
 * Requests are not logged one by one (at API rates that would dwarf the work; the latency
 * histogram shows the traffic); 5xx errors are logged, and no log line carries a header,
 * so the Authorization token never reaches the log.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { AccountingStatus } from '../accounting/status.js';
import type { HttpConfig, SenderConfig } from '../config/schema.js';
import type { NormaliseConfig } from '../identify/normalise.js';
import { UidError } from '../errors.js';
import type { ProfileSet } from '../identify/profile-set.js';
import type { MappingTable } from '../mappings/table.js';
import type { Logger } from '../observability/logger.js';
import { assertSafeExposure, requireTokens } from './auth.js';
import { installErrorHandlers } from './error-handlers.js';
import { EVENT_STREAM_DEFAULTS, EventStreams, type EventStreamOptions } from './event-streams.js';
import { instrumentHttp } from './metrics.js';
import { readLookupMetrics } from './lookup-thread/shared-metrics.js';
import { registerOpenApi } from './openapi.js';
import { trustedProxySet } from './client-address.js';
import { registerEventRoutes } from './routes/events.js';
import { registerForwardAuthRoutes } from './routes/forward-auth.js';
import { registerHistoryRoutes, type HistorySource } from './routes/history.js';
import { registerMappingRoutes } from './routes/mappings.js';
import { registerSenderRoutes } from './routes/senders.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerTestProfileRoutes } from './routes/test-profile.js';
import { loadUiFiles, registerUiRoutes } from './routes/ui.js';
import { SHARED_SCHEMAS, type HealthReport } from './schemas.js';
import { loadHttpsMaterial } from './tls.js';
import { KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './timeouts.js';
import { registerXmlApi, type XmlApiOptions } from '../xml-api/routes.js';

export interface HttpServerOptions {
  /** The `http` configuration with `tokens` resolved (`${ENV}` expanded, `tokensFile` merged in). */
  readonly config: HttpConfig;
  readonly table: MappingTable;
  /** Served at /metrics; the API registers its own metrics in it and removes them on close. */
  readonly registry: Registry;
  /** Called for each GET /healthz. */
  readonly health: () => HealthReport;
  /** Absent when accounting is off: GET /v1/accounting then answers 404. */
  /** Lists at most `maxSessions` sessions. */
  readonly accounting?: (maxSessions: number) => AccountingStatus;
  readonly logger: Logger;
  /** The audit trail's reader; absent when `log.audit` is off (history then answers 404). */
  readonly history?: HistorySource;
  /** The running profiles, for POST /v1/test-profile (absent: no such route). */
  readonly profiles?: () => ProfileSet;
  /** The running mapping rules, for POST /v1/test-profile with a `sender`. */
  readonly mappings?: () => NormaliseConfig;
  /** The configured senders, for GET /v1/senders (absent: no such route). */
  readonly senders?: () => readonly SenderConfig[];
  /** The built status page (dist/ui), served at /ui/ (absent: no such route). */
  readonly uiDir?: string;
  /** Tuning of GET /v1/events; defaults in EVENT_STREAM_DEFAULTS. */
  readonly events?: Partial<EventStreamOptions>;
  /** The PAN-OS XML API at /api/ (src/xml-api); absent when it is not served. */
  readonly xmlApi?: XmlApiOptions;
  /**
   * Set when the lookup thread (lookup-thread/) owns the public socket and hands this server
   * everything it does not answer itself: the server then speaks plain HTTP on the internal
   * socket (the thread terminates TLS) and shows the thread's counts in /metrics.
   */
  readonly behindLookupThread?: { readonly metrics: SharedArrayBuffer };
}


/**
 * Builds (but does not start) the server. Throws UID_ERR_HTTP_INSECURE for a non-loopback
 * host without tokens (unless `allowAnonymous`), UID_ERR_TLS_MATERIAL for bad `http.tls`.
 */
export async function buildHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { config, table, logger } = options;
  assertSafeExposure(config);
  const front = options.behindLookupThread;
  const https = config.tls && !front ? loadHttpsMaterial(config.tls) : null;
  // The https and http variants differ only in the server type, which callers never touch.
  const app = Fastify({
    logger: false,
    https,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // HEAD twins of GET routes are not part of the contract (and HEAD /v1/events would open a stream).
    exposeHeadRoutes: false,
    // Unknown query or body keys are an error, not silently dropped (`?usr=x` must not list the
    // table); query strings are coerced to numbers, but a single value is not wrapped into an array.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true } },
  }) as unknown as FastifyInstance;
  try {
    await registerOpenApi(app);
    for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
    installErrorHandlers(app, logger);

    const eventOptions: EventStreamOptions = { ...EVENT_STREAM_DEFAULTS, ...options.events };
    const streams = new EventStreams(table, eventOptions, (remote) => {
      metrics.streamsDropped.inc();
      logger.warn({ component: 'http', remote }, 'an event stream client fell too far behind and was disconnected; it will resync');
    });
    app.addHook('preClose', (done) => { streams.close(); done(); });
    const metrics = instrumentHttp(app, options.registry, () => streams.size, front && (() => readLookupMetrics(front.metrics)));

    if (config.tokens.length > 0) requireTokens(app, config.tokens, () => metrics.authFailures.inc());
    registerMappingRoutes(app, table);
    registerForwardAuthRoutes(app, table, trustedProxySet(config.trustedProxies));
    registerEventRoutes(app, streams);
    registerHistoryRoutes(app, options.history);
    if (options.profiles) {
      const { senders = () => [], mappings = () => ({ ignoreUsers: [], includeNetworks: [], excludeNetworks: [] }) } = options;
      registerTestProfileRoutes(app, options.profiles, () => ({ senders: senders(), mappings: mappings() }));
    }
    if (options.senders) registerSenderRoutes(app, options.senders);
    if (options.uiDir !== undefined) registerUiRoutes(app, await loadUiFiles(options.uiDir));
    registerStatusRoutes(app, options);
    if (options.xmlApi) await registerXmlApi(app, { ...options.xmlApi, table, registry: options.registry, logger });
    await app.ready();
    return app;
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

/** Starts listening on `http.host:port`; a port that cannot be bound is UID_ERR_LISTEN saying what to do. */
export async function listenHttpServer(app: FastifyInstance, config: Pick<HttpConfig, 'host' | 'port'>): Promise<AddressInfo> {
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    throw listenError(err as NodeJS.ErrnoException, config);
  }
  return app.server.address() as AddressInfo;
}

/** Why `http.host:port` could not be bound, and what to do (the lookup thread's listen fails alike). */
export function listenError(err: Pick<NodeJS.ErrnoException, 'code' | 'message'>, config: Pick<HttpConfig, 'host' | 'port'>): UidError {
  const where = `${config.host}:${config.port}`;
  const fix = err.code === 'EADDRINUSE' ? 'another process uses it: stop it or choose another http.port'
    : err.code === 'EACCES' ? 'ports below 1024 need privileges: choose http.port 1024 or above, or grant CAP_NET_BIND_SERVICE'
      : err.code === 'EADDRNOTAVAIL' ? 'http.host is not an address of this machine'
        : err.message;
  return new UidError('UID_ERR_LISTEN', `the HTTP API cannot listen on ${where}: ${fix}`, { cause: err });
}
