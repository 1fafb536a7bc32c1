/**
 * Starts and stops the lookup thread (worker.ts) from the main thread: the internal socket
 * it hands requests to (internal-socket.ts), its HTTPS material, and its setup. Should the
 * thread die (a fault of ours), the error is logged and a new one takes the port again.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HttpConfig } from '../../config/schema.js';
import type { TableShare } from '../../mappings/table-reader.js';
import type { Logger } from '../../observability/logger.js';
import { listenError } from '../server.js';
import { loadHttpsMaterial } from '../tls.js';
import { InternalSocket } from './internal-socket.js';
import type { FromLookupThread, LookupThreadSetup, ToLookupThread } from './protocol.js';

/**
 * The built worker: beside this file in dist/, and from dist/ too when this file runs as
 * TypeScript source (the test runner), since a worker thread cannot load .ts on Node 20.
 */
const WORKER_SCRIPT = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../../dist/http/lookup-thread/worker.js' : './worker.js', import.meta.url));
const RESTART_DELAY_MS = 1000;
const EXIT_TIMEOUT_MS = 5000;

export interface LookupThreadOptions {
  /** host, port, tls, tokens (resolved) and trustedProxies. */
  readonly config: HttpConfig;
  readonly table: TableShare;
  /** shared-metrics.ts; the main server reads it for /metrics. */
  readonly metrics: SharedArrayBuffer;
  /** The main fastify app's server: it answers what the thread hands on. */
  readonly server: HttpServer;
  readonly logger: Logger;
}

export class LookupThread {
  readonly #internal: InternalSocket;
  readonly #setup: LookupThreadSetup;
  readonly #logger: Logger;
  #worker: Worker | undefined;
  #address: AddressInfo | undefined;
  #stopping = false;
  #restart: NodeJS.Timeout | undefined;

  private constructor(internal: InternalSocket, setup: LookupThreadSetup, logger: Logger) {
    this.#internal = internal;
    this.#setup = setup;
    this.#logger = logger;
  }

  /** Resolves once the thread listens; throws UID_ERR_LISTEN or UID_ERR_TLS_MATERIAL as the main server would. */
  static async start(options: LookupThreadOptions): Promise<LookupThread> {
    const { config } = options;
    const tls = config.tls ? loadHttpsMaterial(config.tls) : undefined;
    const internal = await InternalSocket.open(options.server);
    const setup: LookupThreadSetup = {
      host: config.host,
      port: config.port,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
      tokens: config.tokens,
      trustedProxies: config.trustedProxies,
      upstream: internal.path,
      table: options.table,
      metrics: options.metrics,
    };
    const thread = new LookupThread(internal, setup, options.logger);
    try {
      await thread.#spawn();
    } catch (err) {
      await internal.close();
      throw err;
    }
    return thread;
  }

  /** Where the public socket is bound. */
  get address(): AddressInfo {
    return this.#address!;
  }

  /** Stops taking connections; those open (event streams among them) go on until stop. */
  async drain(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restart);
    const worker = this.#worker;
    if (!worker) return;
    await this.#ask(worker, { type: 'drain' }, 'drained');
  }

  /** Ends every connection, the thread and the internal socket. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restart);
    const worker = this.#worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'stop' } satisfies ToLookupThread);
      const timer = setTimeout(() => void worker.terminate(), EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await this.#internal.close();
  }

  #spawn(): Promise<void> {
    const worker = new Worker(WORKER_SCRIPT, { workerData: this.#setup });
    this.#worker = worker;
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: FromLookupThread) => {
        if (message.type === 'listening') {
          listening = true;
          this.#address = { address: message.address, family: message.family, port: message.port };
          resolve();
        } else if (message.type === 'listen-failed') {
          void worker.terminate();
          reject(listenError(message, this.#setup));
        } else if (message.type === 'error') {
          this.#logger.error({ component: 'http', err: { message: message.message, stack: message.stack } }, 'the lookup thread could not answer a request');
        }
      });
      worker.on('error', (err) => {
        this.#logger.error({ component: 'http', err }, 'the lookup thread failed');
        if (!listening) reject(err);
      });
      worker.on('exit', (code) => {
        if (this.#worker === worker) this.#worker = undefined;
        if (!listening || this.#stopping) return;
        this.#logger.error({ component: 'http', code }, `the lookup thread exited; a new one starts in ${RESTART_DELAY_MS} ms`);
        this.#restart = setTimeout(() => {
          this.#spawn().catch((err: unknown) => this.#logger.error({ component: 'http', err }, 'the lookup thread could not be restarted; the HTTP API is down'));
        }, RESTART_DELAY_MS);
      });
    });
  }

  #ask(worker: Worker, message: ToLookupThread, answer: FromLookupThread['type']): Promise<void> {
    return new Promise<void>((resolve) => {
      const onMessage = (reply: FromLookupThread): void => {
        if (reply.type !== answer) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve();
      };
      const onExit = (): void => { worker.off('message', onMessage); resolve(); };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.postMessage(message);
    });
  }
}
