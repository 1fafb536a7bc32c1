/**
 * The lookup thread (a worker thread; thread.ts starts it): it owns the HTTP API's public
 * socket, answers the lookup routes from the table's shared memory (front.ts) and hands
 * every other request to the main thread (upstream.ts). Nothing here waits for the main
 * thread's event loop, so ingest, accounting and snapshots cannot delay a lookup.
 */
import { lookup } from 'node:dns/promises';
import { createServer as createHttpServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { openTableReader } from '../../mappings/shared-memory/reader.js';
import { errorBody } from '../present.js';
import { KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../timeouts.js';
import { frontHandler } from './front.js';
import type { FromLookupThread, LookupThreadSetup, ToLookupThread } from './protocol.js';
import { LookupMetricsWriter } from './shared-metrics.js';
import { Upstream } from './upstream.js';


const setup = workerData as LookupThreadSetup;
const main = parentPort!;
const tell = (message: FromLookupThread): void => main.postMessage(message);

const upstream = new Upstream(setup.upstream, (res: ServerResponse, err: Error) => {
  const body = JSON.stringify(errorBody('UID_ERR_HTTP_UPSTREAM',
    'the listener could not pass the request to its main thread (it may be stopping); retry'));
  res.writeHead(502, ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
  tell({ type: 'error', message: `upstream: ${err.message}`, stack: err.stack });
});

const handler = frontHandler({
  reader: openTableReader(setup.table),
  tokens: setup.tokens,
  trustedProxies: setup.trustedProxies,
  metrics: new LookupMetricsWriter(setup.metrics),
  upstream,
  onError: (err) => tell({ type: 'error', message: err.message, stack: err.stack }),
});

function createServer(): Server {
  const server: Server = setup.tls
    ? createHttpsServer({ cert: Buffer.from(setup.tls.cert), key: Buffer.from(setup.tls.key) }, handler)
    : createHttpServer(handler);
  // As fastify sets them on its server (lib/server.js).
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on('clientError', answerClientError);
  return server;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(server.address() as AddressInfo); });
  });
}

/**
 * `localhost` is every address it resolves to (127.0.0.1 and ::1), the others on the port
 * the first got, as fastify listens (lib/server.js multipleBindings); one that cannot be
 * bound beside the first is left out, as there.
 */
async function listenAll(): Promise<Server[]> {
  const hosts = setup.host === 'localhost' ? (await lookup('localhost', { all: true })).map((a) => a.address) : [setup.host];
  const first = createServer();
  const { address, family, port } = await listen(first, setup.port, hosts[0]!);
  const servers = [first];
  for (const host of hosts.slice(1)) {
    const more = createServer();
    try {
      await listen(more, port, host);
      servers.push(more);
    } catch {
      more.close();
    }
  }
  tell({ type: 'listening', address, family, port });
  return servers;
}

listenAll().then((servers) => {
  main.on('message', (message: ToLookupThread) => {
    for (const server of servers) {
      if (message.type === 'drain') {
        server.close();
        server.closeIdleConnections();
      } else {
        server.closeAllConnections();
      }
    }
    if (message.type === 'drain') tell({ type: 'drained' });
    else main.close();
  });
}, (err: NodeJS.ErrnoException) => tell({ type: 'listen-failed', code: err.code, message: err.message }));

/**
 * A request that is not HTTP, too slow or with headers too large, answered as fastify's
 * defaultClientErrorHandler answers it (fastify.js), which clients met before the thread.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Client Timeout']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Exceeded maximum allowed HTTP header size']
      : [400, 'Client Error'];
  const text = STATUS_CODES[status]!;
  const body = `{"error":"${text}","message":"${message}","statusCode":${status}}`;
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\n\r\n${body}`);
  socket.destroy(err);
}
