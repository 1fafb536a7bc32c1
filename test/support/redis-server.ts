/**
 * A real redis-server for tests (no mocks of Redis): started from /usr/bin/redis-server
 * (the Debian package; .ci/run installs it) on 127.0.0.1 and a free port, in a temp folder,
 * without persistence unless a test asks for it, as a single-node Cluster if it asks for
 * that. `stop()` and `start()` again on the same port and folder make an outage; with
 * `appendonly` the data survives it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';

export interface RedisServerOptions {
  /** Keep data across stop/start (append-only file, fsync every write). */
  readonly persistent?: boolean;
  /** A single-node Redis Cluster: cluster mode, every slot assigned to it, started once cluster_state is ok. */
  readonly cluster?: boolean;
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once a TCP connect to the port succeeds (redis-server accepts once ready to serve). */
async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class RedisServer {
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(readonly port: number, readonly dir: string, readonly options: RedisServerOptions) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freeTcpPort(), await mkdtemp(join(tmpdir(), 'uid-redis-')), options);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null;
  }

  /** Starts (again) on the same port and folder. */
  async start(): Promise<void> {
    const persistence = this.options.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
      : ['--appendonly', 'no', '--save', ''];
    const cluster = this.options.cluster
      ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, 'nodes.conf'), '--cluster-announce-ip', '127.0.0.1']
      : [];
    const child = spawn(REDIS_SERVER, [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning', ...persistence, ...cluster,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { this.#output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.#output += d.toString(); });
    this.#child = child;
    try {
      await waitForPort(this.port, child);
      if (this.options.cluster) await this.#assignSlots();
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.#output}`);
    }
  }

  /** Every slot on this one node (kept in nodes.conf across a restart), then waits for cluster_state:ok. */
  async #assignSlots(timeoutMs = 10_000): Promise<void> {
    const client = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      const slots = (await client.call('CLUSTER', 'SLOTS')) as unknown[];
      if (slots.length === 0) await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      const deadline = Date.now() + timeoutMs;
      while (!String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`the cluster on ${this.port} did not reach cluster_state:ok within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILL: Redis gone at once, as in a crash or a cut cable (with `persistent`, what was fsync'd stays). */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Stops it and removes its folder. */
  async close(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
