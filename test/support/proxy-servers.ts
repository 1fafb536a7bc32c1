/**
 * Real proxies for the integration tests (Debian `squid` and `nginx-light`), each started
 * in the foreground on its own config in a temp folder (logs, pid, cache there), listening
 * on an ephemeral loopback port; a small origin server for them to forward to; and an HTTP
 * client that sends from a chosen loopback address, so each test client has its own %SRC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './listener-config.js';
import { waitUntil } from './listener.js';

export interface ProxyProcess {
  readonly dir: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** The proxy's own log so far (Squid cache.log, nginx error.log). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** A folder every user may enter and write: Squid drops to `proxy` and writes its logs there. */
export async function openTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o777);
  return dir;
}

export async function freePort(): Promise<number> {
  return (await freePorts()).http;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Spawns `command`, waits until it listens on `port` (failing early, with its log, if it exits). */
export async function startProxy(dir: string, port: number, logFile: string, command: string, args: string[]): Promise<ProxyProcess> {
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { output += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { output += c; });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const log = async () => `${output}${await readFile(join(dir, logFile), 'utf8').catch(() => '')}`;
  try {
    await waitUntil(async () => {
      if (exited) throw new Error(`${command} exited at start:\n${await log()}`);
      return portOpen(port);
    }, `${command} listening on ${port}`, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    dir, port, child, log,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An origin server on 127.0.0.1 that echoes, as JSON, the request headers it received. */
export async function startOrigin(): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, headers: req.headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

export interface ClientAnswer { readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: string }

/** One GET to 127.0.0.1:`port` sent from `from` (a loopback address), `path` as given (absolute URI for a forward proxy). */
export function get(port: number, path: string, from: string, headers: Record<string, string> = {}): Promise<ClientAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

