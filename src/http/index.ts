/** The HTTP API's public surface (docs/http-api.md). */
export { buildHttpServer, listenHttpServer, type HttpServerOptions } from './server.js';
export { startHttpApi, type HttpApi } from './serve.js';
export { accountingHealth, healthStatus } from './health.js';
export { EVENT_STREAM_DEFAULTS, type EventStreamOptions } from './event-streams.js';
export type { AccountingHealth, HealthReport, ListenerHealth } from './schemas.js';
