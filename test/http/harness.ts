/** Builds the HTTP API for a test with a table double, a fresh registry and a captured log. */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { AccountingStatus } from '../../src/accounting/status.js';
import type { HttpConfig } from '../../src/config/schema.js';
import type { MappingTable } from '../../src/mappings/table.js';
import { createLogger } from '../../src/observability/logger.js';
import type { HealthReport } from '../../src/http/schemas.js';
import { buildHttpServer, type HttpServerOptions } from '../../src/http/server.js';
import { TableDouble } from './table-double.js';

export interface TestServer {
  readonly app: FastifyInstance;
  readonly table: MappingTable;
  readonly registry: Registry;
  /** Every log line the server wrote, as text. */
  readonly logs: string[];
}

export function httpConfig(more: Partial<HttpConfig> = {}): HttpConfig {
  return { enabled: true, host: '127.0.0.1', port: 0, tokens: [], allowAnonymous: false, trustedProxies: [], lookupThread: true, ...more };
}

export const HEALTHY: HealthReport = {
  listeners: [{ name: 'udp', state: 'listening', address: '0.0.0.0:514' }],
  mappings: 0,
};

export interface TestServerOptions {
  readonly config?: Partial<HttpConfig>;
  readonly table?: MappingTable;
  readonly health?: () => HealthReport;
  readonly accounting?: (maxSessions: number) => AccountingStatus;
  readonly events?: HttpServerOptions['events'];
  readonly xmlApi?: HttpServerOptions['xmlApi'];
  readonly history?: HttpServerOptions['history'];
  readonly profiles?: HttpServerOptions['profiles'];
  readonly senders?: HttpServerOptions['senders'];
  readonly mappings?: HttpServerOptions['mappings'];
}

export async function testServer(options: TestServerOptions = {}): Promise<TestServer> {
  const logs: string[] = [];
  const table = options.table ?? new TableDouble();
  const registry = new Registry();
  const app = await buildHttpServer({
    config: httpConfig(options.config),
    table,
    registry,
    health: options.health ?? (() => HEALTHY),
    ...(options.accounting ? { accounting: options.accounting } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.xmlApi ? { xmlApi: options.xmlApi } : {}),
    ...(options.history ? { history: options.history } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.senders ? { senders: options.senders } : {}),
    ...(options.mappings ? { mappings: options.mappings } : {}),
    logger: createLogger('debug', { write: (line: string) => { logs.push(line); } }),
  });
  return { app, table, registry, logs };
}
