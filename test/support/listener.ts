/**
 * Runs the real listener for end-to-end tests: a config written into a temp folder
 * (listener-config.ts: free ports on 127.0.0.1, the shipped profiles copied so a test may
 * edit them, data under `data/`), then either a child process (`node dist/main.js start
 * --config …`, for signals, SIGKILL and exit codes; `npm test` builds dist first) or the
 * same App inside the test process (faster, for everything else). Both capture the JSON log lines and
 * give the same helpers: wait for a log line, query HTTP and /metrics, restart on the
 * same folder. Senders and clients are in listener-clients.ts. Should another test take a
 * port between its choice and the start, the start is retried on fresh ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import type { UdpClient } from './listener-clients.js';
import { freePorts, prepare, removeListenerDirs, type ListenerOptions, type Ports } from './listener-config.js';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** One pino line as JSON: `msg`, numeric `level` (30 info, 40 warn, 50 error) and the event's fields. */
export interface LogLine { readonly level: number; readonly msg: string; readonly [field: string]: unknown }

const running = new Set<Listener>();

/** SIGKILLs (process) or stops (in process) whatever is still running. */
export async function haltListeners(): Promise<void> {
  await Promise.all([...running].map((l) => l.halt()));
}

/** For afterEach/afterAll: halts whatever is still running and removes the temp folders. */
export async function cleanupListeners(): Promise<void> {
  await haltListeners();
  await removeListenerDirs();
}

process.once('exit', () => {
  for (const l of running) if (l instanceof ListenerProcess) l.child.kill('SIGKILL');
});

/** Resolves once `check` holds; polls every 20 ms, throws `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type LogMatch = string | RegExp | ((line: LogLine) => boolean);

interface LogWaiter { readonly test: (line: LogLine) => boolean; readonly resolve: (line: LogLine) => void }

/** What both kinds of listener share: the folder, ports, log capture and HTTP helpers. */
export abstract class Listener {
  readonly lines: LogLine[] = [];
  /** The bearer token the helpers send, when the config sets tokens. */
  token: string | undefined;
  readonly #waiters = new Set<LogWaiter>();

  constructor(readonly dir: string, readonly ports: Ports, readonly options: ListenerOptions) {}

  get configFile(): string {
    return join(this.dir, 'config.yaml');
  }

  /** Stops it whichever way is quickest (cleanup). */
  abstract halt(): Promise<void>;

  /** Every log line so far as text, and stderr for a process: what a secrets scan reads. */
  abstract get output(): string;

  /** A number of log lines so far, to wait only for lines that come after it. */
  mark(): number {
    return this.lines.length;
  }

  /** The first line from `after` on whose `msg` includes `match` (or matches it, or passes it). */
  waitForLog(match: LogMatch, { after = 0, timeoutMs = 15_000 } = {}): Promise<LogLine> {
    const test = typeof match === 'function' ? match
      : typeof match === 'string' ? (l: LogLine) => l.msg.includes(match) : (l: LogLine) => match.test(l.msg);
    const found = this.lines.slice(after).find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: LogWaiter = { test, resolve: (line) => { clearTimeout(timer); resolve(line); } };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no log line ${String(match)} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-8).map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  protected addLine(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 60, msg: `(not JSON) ${text}` };
    }
    this.lines.push(line);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.test(line)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(line);
    }
  }

  /** One HTTP request to the API; the body is parsed as JSON when it is JSON. */
  async http(method: string, path: string, { token, body }: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`http://127.0.0.1:${this.ports.http}${path}`, {
      method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Prometheus text, or empty
    }
    return { status: response.status, body: parsed };
  }

  /** GET /v1/mappings/{ip}: the mapping, or null on 404. */
  async mapping(ip: string, token = this.token): Promise<{ ip: string; user: string; sender: string; profile: string } | null> {
    const { status, body } = await this.http('GET', `/v1/mappings/${ip}`, token === undefined ? {} : { token });
    if (status === 404) return null;
    if (status !== 200) throw new Error(`GET /v1/mappings/${ip}: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Waits until `ip` is mapped (to `user`, when given) and returns the mapping. */
  async waitForMapping(ip: string, user?: string, timeoutMs = 10_000): Promise<{ ip: string; user: string; sender: string; profile: string }> {
    let found: Awaited<ReturnType<Listener['mapping']>> = null;
    await waitUntil(async () => {
      found = await this.mapping(ip);
      return found !== null && (user === undefined || found.user === user);
    }, `a mapping of ${ip}${user ? ` to ${user}` : ''}`, timeoutMs);
    return found!;
  }


  /** /metrics as `name{label="v",…}` → value (labels in exposition order). */
  async metrics(): Promise<Map<string, number>> {
    const { status, body } = await this.http('GET', '/metrics', this.token === undefined ? {} : { token: this.token });
    if (status !== 200) throw new Error(`GET /metrics: ${status}`);
    const values = new Map<string, number>();
    for (const line of String(body).split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const cut = line.lastIndexOf(' ');
      values.set(line.slice(0, cut), Number(line.slice(cut + 1)));
    }
    return values;
  }
}

/** UDP messages the listener counted, whatever their outcome. */
async function udpCounted(listener: Listener): Promise<number> {
  let total = 0;
  for (const [key, value] of await listener.metrics()) if (key.startsWith('uid_syslog_messages_total{transport="udp"')) total += value;
  return total;
}

/**
 * Sends datagrams (one message each) in bursts, waiting after each until the listener has
 * counted it: UDP has no back-pressure, and a burst larger than the receive buffer the
 * kernel granted (208 KiB on many systems) would be dropped by the kernel.
 */
export async function sendCounted(listener: Listener, udp: UdpClient, messages: Iterable<string | Buffer>, burst = 40): Promise<void> {
  let expected = await udpCounted(listener);
  let pending = 0;
  const settle = async () => {
    expected += pending;
    pending = 0;
    await waitUntil(async () => (await udpCounted(listener)) >= expected, `${expected} UDP messages counted`);
  };
  for (const message of messages) {
    await udp.send(message);
    if (++pending === burst) await settle();
  }
  await settle();
}

/** A metric's value from `metrics()`, 0 when absent; `labels` in the order the registry prints them. */
export function metric(values: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const keys = Object.entries(labels);
  const key = keys.length === 0 ? name : `${name}{${keys.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
  return values.get(key) ?? 0;
}

/** How the listener words a port taken by another program (syslog sources, HTTP). */
const PORT_CLASH = /already in use|another process uses it/;

/** The listener as a child process: `node dist/main.js start --config <dir>/config.yaml`. */
export class ListenerProcess extends Listener {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(dir: string, ports: Ports, options: ListenerOptions, readonly child: ChildProcess) {
    super(dir, ports, options);
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      pending += chunk;
      for (let lf = pending.indexOf('\n'); lf !== -1; lf = pending.indexOf('\n')) {
        this.addLine(pending.slice(0, lf));
        pending = pending.slice(lf + 1);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk; });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.#exit = { code, signal };
      running.delete(this);
      resolve(this.#exit);
    }));
  }

  /**
   * Starts a child and waits for "uid-listener started". With `ports` given (a restart on
   * the same ports, or a port-clash test) a failed start is returned as it is (check
   * `exited`); otherwise a port taken meanwhile by another test means a retry on new ports.
   */
  static async start(options: ListenerOptions = {}, ports?: Ports): Promise<ListenerProcess> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
    for (let attempt = 1; ; attempt++) {
      const chosen = ports ?? (await freePorts());
      const dir = await prepare(options, chosen);
      const [command, ...args] = [...(options.wrapper ?? []), process.execPath, MAIN, 'start', '--config', join(dir, 'config.yaml')];
      const child = spawn(command!, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...options.env },
      });
      const listener = new ListenerProcess(dir, chosen, { ...options, dir }, child);
      running.add(listener);
      const outcome = await Promise.race([
        listener.waitForLog((l) => l.msg === 'uid-listener started', { timeoutMs: 30_000 }).then(() => 'started' as const),
        listener.exited.then(() => 'exited' as const),
      ]);
      if (outcome === 'started' || ports !== undefined) return listener;
      if (!PORT_CLASH.test(listener.stderr) || attempt >= 3) {
        throw new Error(`the listener exited at start (${JSON.stringify(listener.#exit)}): ${listener.stderr}${listener.stdout.slice(-2000)}`);
      }
    }
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM and wait for the exit. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.#exit) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.#exit) this.child.kill('SIGKILL');
    await this.exited;
  }

  halt(): Promise<void> {
    return this.kill();
  }

  /** A new process on the same folder and ports (the config as it is now on disk). */
  restart(): Promise<ListenerProcess> {
    return ListenerProcess.start({ ...this.options, dir: this.dir, keepConfig: true }, this.ports);
  }
}

/** The same App inside the test process (no signals, but no process start either). */
export class InProcessListener extends Listener {
  #app: App | undefined;
  #text = '';

  get app(): App {
    if (!this.#app) throw new Error('the in-process listener is not running');
    return this.#app;
  }

  static async start(options: ListenerOptions = {}): Promise<InProcessListener> {
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts();
      const dir = await prepare(options, ports);
      const listener = new InProcessListener(dir, ports, { ...options, dir });
      try {
        await listener.#run();
        return listener;
      } catch (error) {
        if (!PORT_CLASH.test(String((error as Error).message)) || attempt >= 3) throw error;
      }
    }
  }

  async #run(): Promise<void> {
    const loaded = await loadConfig(this.configFile);
    const log = createLogger(loaded.config.log.level, {
      write: (text: string) => {
        this.#text += text;
        this.addLine(text.trimEnd());
      },
    });
    const app = new App(loaded, log);
    try {
      await app.start();
    } catch (error) {
      await app.stop().catch(() => undefined);
      throw error;
    }
    this.#app = app;
    running.add(this);
  }

  get output(): string {
    return this.#text;
  }

  async stop(): Promise<void> {
    const app = this.#app;
    this.#app = undefined;
    running.delete(this);
    await app?.stop();
  }

  halt(): Promise<void> {
    return this.stop();
  }
}
