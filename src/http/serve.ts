/**
 * The HTTP API as the application runs it: with the lookup thread (lookup-thread/, on by
 * default) it owns the public socket, answers the lookup routes itself and hands the rest
 * to the fastify app on an internal socket; without it (`http.lookupThread: false`, or a
 * table that cannot be shared with another thread, such as the Redis store's) the fastify
 * app listens on the public socket and serves everything. docs/operations.md "What runs where".
 */
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { TableShare } from '../mappings/table-reader.js';
import type { MappingTable } from '../mappings/table.js';
import { lookupMetricsBuffer } from './lookup-thread/shared-metrics.js';
import { LookupThread } from './lookup-thread/thread.js';
import { buildHttpServer, listenHttpServer, type HttpServerOptions } from './server.js';

export interface HttpApi {
  /** Where the public socket is bound. */
  readonly address: AddressInfo;
  /** The fastify app (the main thread's routes). */
  readonly app: FastifyInstance;
  /** Whether the lookup thread answers the lookup routes. */
  readonly lookupThread: boolean;
  /** Stops taking requests, lets those in flight finish, ends event streams, closes. */
  close(): Promise<void>;
}

/** The table's shared memory, when it keeps its mappings there (the memory table). */
function shareOf(table: MappingTable): TableShare | undefined {
  const { share } = table as { share?: () => TableShare };
  return typeof share === 'function' ? share.call(table) : undefined;
}

/** Builds and starts the API; throws what buildHttpServer and listenHttpServer throw. */
export async function startHttpApi(options: HttpServerOptions): Promise<HttpApi> {
  const share = options.config.lookupThread ? shareOf(options.table) : undefined;
  if (!share) {
    const app = await buildHttpServer(options);
    try {
      const address = await listenHttpServer(app, options.config);
      return { address, app, lookupThread: false, close: () => app.close() };
    } catch (err) {
      await app.close();
      throw err;
    }
  }
  const metrics = lookupMetricsBuffer();
  const app = await buildHttpServer({ ...options, behindLookupThread: { metrics } });
  let thread: LookupThread;
  try {
    thread = await LookupThread.start({ config: options.config, table: share, metrics, server: app.server, logger: options.logger });
  } catch (err) {
    await app.close();
    throw err;
  }
  return {
    address: thread.address,
    app,
    lookupThread: true,
    async close() {
      await thread.drain();
      await app.close();
      await thread.stop();
    },
  };
}
