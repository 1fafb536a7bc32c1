/**
 * The HTTP API as the application starts it (src/http/serve.ts), on real sockets on
 * 127.0.0.1, with the lookup thread or without, over a memory table the test fills. The
 * thread runs the built worker (dist/, made by `npm run build`, which `npm test` runs first).
 */
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import type { HttpConfig } from '../../../src/config/schema.js';
import { startHttpApi, type HttpApi } from '../../../src/http/serve.js';
import { MemoryMappingTable } from '../../../src/mappings/memory-table.js';
import { createLogger } from '../../../src/observability/logger.js';
import { HEALTHY, httpConfig } from '../harness.js';

export interface RunningApi {
  readonly api: HttpApi;
  readonly port: number;
  readonly registry: Registry;
  readonly logs: string[];
}

const running: HttpApi[] = [];

/** For afterEach: closes every API the test started. */
export async function closeApis(): Promise<void> {
  await Promise.all(running.splice(0).map((api) => api.close()));
}

export function memoryTable(): MemoryMappingTable {
  return new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 10_000 });
}

export async function startApi(table: MemoryMappingTable, config: Partial<HttpConfig> = {}): Promise<RunningApi> {
  const logs: string[] = [];
  const registry = new Registry();
  const api = await startHttpApi({
    config: httpConfig(config),
    table,
    registry,
    health: () => ({ ...HEALTHY, mappings: table.size }),
    logger: createLogger('debug', { write: (line: string) => { logs.push(line); } }),
  });
  running.push(api);
  return { api, port: api.address.port, registry, logs };
}

/**
 * Sends `request` as it is on a fresh connection and returns every byte of the answer until
 * the server closes (send Connection: close). The client does not half-close: node:http
 * drops a request whose client did so before its answer was ready.
 */
export function rawExchange(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(request);
  });
}
