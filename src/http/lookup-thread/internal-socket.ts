/**
 * The main thread's side of the lookup thread: the fastify app's HTTP server, never
 * listening itself, is given the connections of a unix socket that only the lookup thread
 * uses (upstream.ts). The socket lives in a folder of its own made by mkdtemp (mode 0700)
 * and is itself 0600, so only this user's processes can connect; both are removed on close.
 *
 * Each connection starts with a PROXY header (proxy-header.ts) naming the client; the
 * connection is handed to the HTTP server (node:http's documented `emit('connection')`)
 * only after it, with `remoteAddress`, `remotePort` and `remoteFamily` set to the
 * client's: routes, logs and forward auth see the client as they would without the thread.
 * A connection that does not start with a valid header is dropped.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_PROXY_HEADER_BYTES, parseProxyHeader, type ProxiedPeer } from './proxy-header.js';

/** The lookup thread writes the header with its first request: anything slower is not the thread. */
const HEADER_TIMEOUT_MS = 10_000;
const CRLF = Buffer.from('\r\n');

export class InternalSocket {
  readonly path: string;
  readonly #dir: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(dir: string, server: Server) {
    this.#dir = dir;
    this.path = join(dir, 'http.sock');
    this.#server = server;
  }

  /** Listens, and hands each connection, once its header is read, to `http`. */
  static async open(http: HttpServer): Promise<InternalSocket> {
    const dir = await mkdtemp(join(tmpdir(), 'uid-listener-http-'));
    let internal: InternalSocket | undefined;
    const server = createServer((socket) => internal!.#accept(socket, http));
    internal = new InternalSocket(dir, server);
    // An upstream connection lives as long as the client connection it carries; the lookup thread ends it.
    http.keepAliveTimeout = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(internal!.path, () => { server.off('error', reject); resolve(); });
      });
      await chmod(internal.path, 0o600);
    } catch (err) {
      server.close();
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return internal;
  }

  /** Stops accepting, ends what is still connected, removes the socket and its folder. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    await rm(this.#dir, { recursive: true, force: true });
  }

  #accept(socket: Socket, http: HttpServer): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(HEADER_TIMEOUT_MS, () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf(CRLF);
        if (end === -1 && head.length < MAX_PROXY_HEADER_BYTES) continue;
        socket.off('readable', onReadable);
        let peer: ProxiedPeer | null;
        try {
          if (end === -1 || end + CRLF.length > MAX_PROXY_HEADER_BYTES) throw new Error('PROXY header too long');
          peer = parseProxyHeader(head.toString('latin1', 0, end));
        } catch {
          socket.destroy();
          return;
        }
        const rest = head.subarray(end + CRLF.length);
        if (rest.length > 0) socket.unshift(rest);
        socket.setTimeout(0);
        Object.defineProperties(socket, {
          remoteAddress: { value: peer?.remoteAddress, configurable: true },
          remotePort: { value: peer?.remotePort, configurable: true },
          remoteFamily: { value: peer?.remoteFamily, configurable: true },
        });
        http.emit('connection', socket);
        return;
      }
    };
    socket.on('readable', onReadable);
  }
}
