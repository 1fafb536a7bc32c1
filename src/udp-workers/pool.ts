/**
 * Syslog over UDP received by several worker processes (`syslog.udp.workers`), for hosts
 * where one thread cannot keep up: node:dgram costs microseconds per datagram (one recvmsg
 * and one JS callback each), which bounds a single thread well below what the network can
 * deliver. Workers are cluster workers: the cluster module binds the socket once in this
 * process and shares the handle, every worker reads from it and the kernel hands each
 * datagram to one of them (Node 20 and later alike). Each worker admits, matches and
 * normalises (worker.ts); this process owns the table and applies their identity events in
 * receive order (merge.ts).
 *
 * Guarantees kept: the sender allow-list comes first (in the worker, before any parsing);
 * every message is counted (workers report their counters every 250 ms and when they
 * stop, and the counters of a worker that exits are kept); stop drains (workers stop
 * reading, send what they hold, then exit; then everything held is applied); a reload
 * reaches every worker, and a worker started later gets the current configuration. A
 * worker that exits unasked is replaced after a delay that grows while it keeps failing.
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { UidError } from '../errors.js';
import type { IdentityEvent } from '../identify/event.js';
import { addNormaliseStats, newNormaliseStats, type NormaliseStats } from '../identify/normalise.js';
import { addSenderStats, createSenderStats, type SenderStats } from '../identify/sender-stats.js';
import { addIdentifyStats, createStats, type IdentifyStats } from '../identify/stats.js';
import type { UnmatchedSampleEvent } from '../identify/unmatched-sample.js';
import type { SyslogEvent, SyslogEventHandler } from '../syslog/events.js';
import { addUdpStats, newUdpStats, type UdpSourceStats } from '../syslog/stats.js';
import type { UdpWorkersEventHandler } from './events.js';
import { OrderedMerge } from './merge.js';
import { fromWire, monotonicNow, type FromWorker, type ToWorker, type WireError, type WorkerSetup, type WorkerStats } from './protocol.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.js', import.meta.url));
const STOP_TIMEOUT_MS = 5000;
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A worker that lived this long resets the restart delay. */
const STABLE_MS = 60_000;

export interface UdpWorkersOptions {
  readonly workers: number;
  /** What a worker needs, as configured now: read whenever a worker starts. */
  readonly setup: () => WorkerSetup;
  /** Applies one identity event (the table), in receive order. */
  readonly apply: (event: IdentityEvent) => void;
  /** The workers' syslog events (each kind a peer can provoke is rate-limited per worker). */
  readonly onEvent?: SyslogEventHandler;
  readonly onPoolEvent?: UdpWorkersEventHandler;
  /** The workers' unmatched-message samples (log.unmatchedSamples). */
  readonly onIdentifyEvent?: (event: UnmatchedSampleEvent) => void;
  /** The worker entry; default the compiled worker.js beside this file. */
  readonly script?: string;
}

interface Member {
  readonly id: number;
  readonly worker: Worker;
  readonly startedAt: number;
  /** It has been sent `start` (a worker not yet started reads the current setup then). */
  started: boolean;
  stats: WorkerStats | undefined;
  exited: Promise<void>;
}

export class UdpWorkers {
  readonly transport = 'udp' as const;
  readonly #options: UdpWorkersOptions;
  readonly #merge: OrderedMerge;
  readonly #members = new Map<number, Member>();
  readonly #retired = { udp: newUdpStats(), identify: createStats([]), normalise: newNormaliseStats(), senders: createSenderStats(), overflow: 0 };
  #applyErrors = 0;
  #address: AddressInfo | undefined;
  #stopping = false;
  #restartDelay = RESTART_MIN_MS;
  #restartTimer: NodeJS.Timeout | undefined;
  /** The latest reload, and the workers that have not confirmed it yet. */
  #generation = 0;
  readonly #reloading = new Set<number>();
  /** Events reported once per pool, not once per worker. */
  readonly #reported = new Set<SyslogEvent['type']>();

  constructor(options: UdpWorkersOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError('UdpWorkers needs at least one worker');
    this.#options = options;
    this.#merge = new OrderedMerge((event) => this.#apply(event));
  }

  /** Resolves once every worker receives; rejects with UID_ERR_LISTEN (and stops them) when the port cannot be bound. */
  async start(): Promise<void> {
    this.#stopping = false;
    cluster.setupPrimary({ exec: this.#options.script ?? WORKER_SCRIPT, silent: false });
    const starting = Array.from({ length: this.#options.workers }, () => this.#fork());
    const results = await Promise.allSettled(starting);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await this.stop();
      throw failure.reason;
    }
  }

  /**
   * Sends the new configuration to every worker; each swaps it in for its next message and
   * `udp-workers-reloaded` is reported once all have (a worker started later reads it anyway).
   */
  reload(): void {
    const setup = this.#options.setup();
    const generation = ++this.#generation;
    this.#reloading.clear();
    for (const member of this.#members.values()) {
      if (!member.started) continue;
      this.#reloading.add(member.id);
      this.#send(member.worker, { type: 'reload', setup, generation });
    }
  }

  /** Workers stop reading, deliver what they hold and exit; then everything held is applied. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    await Promise.all([...this.#members.values()].map(async (member) => {
      this.#send(member.worker, { type: 'stop' });
      const deadline = setTimeout(() => {
        this.#options.onPoolEvent?.({ type: 'udp-worker-killed', worker: member.id });
        member.worker.process.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      await member.exited;
      clearTimeout(deadline);
    }));
    this.#merge.flush();
  }

  address(): AddressInfo {
    if (!this.#address) throw new Error('UdpWorkers is not started');
    return this.#address;
  }

  /** All workers' message counters together, those that exited included (read at scrape time). */
  get stats(): UdpSourceStats {
    const total = newUdpStats();
    addUdpStats(total, this.#retired.udp);
    for (const m of this.#members.values()) if (m.stats) addUdpStats(total, m.stats.udp);
    total.handlerErrors += this.#applyErrors;
    return total;
  }

  /** Identify counters of every worker (live ones, and those that exited), for metrics. */
  identifyStats(): IdentifyStats[] {
    return [this.#retired.identify, ...[...this.#members.values()].flatMap((m) => (m.stats ? [m.stats.identify] : []))];
  }

  normaliseStats(): NormaliseStats[] {
    return [this.#retired.normalise, ...[...this.#members.values()].flatMap((m) => (m.stats ? [m.stats.normalise] : []))];
  }

  senderStats(): SenderStats[] {
    return [this.#retired.senders, ...[...this.#members.values()].flatMap((m) => (m.stats ? [m.stats.senders] : []))];
  }

  /** Events dropped because this process fell behind its workers. */
  get overflow(): number {
    let total = this.#retired.overflow;
    for (const m of this.#members.values()) total += m.stats?.overflow ?? 0;
    return total;
  }

  /** Live workers. */
  get size(): number {
    return this.#members.size;
  }

  /** Starts one worker; resolves when it receives, rejects when it cannot bind. */
  #fork(): Promise<void> {
    const worker = cluster.fork();
    const id = worker.id;
    this.#merge.open(id, monotonicNow());
    const member: Member = { id, worker, startedAt: Date.now(), started: false, stats: undefined, exited: new Promise((resolve) => worker.once('exit', () => resolve())) };
    this.#members.set(id, member);
    return new Promise((resolve, reject) => {
      let settled = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'alive':
            member.started = true;
            this.#send(worker, { type: 'start', setup: this.#options.setup() });
            return;
          case 'ready':
            this.#address ??= { address: message.address, port: message.port, family: message.family };
            settled = true;
            resolve();
            return;
          case 'failed':
            settled = true;
            reject(asListenError(message.error));
            return;
          case 'events':
            this.#merge.push(id, message.upTo, message.events);
            return;
          case 'stats':
            member.stats = message.stats;
            return;
          case 'event':
            this.#forward(message.event);
            return;
          case 'identify':
            this.#options.onIdentifyEvent?.(message.event);
            return;
          case 'reloaded':
            if (message.generation === this.#generation) this.#confirmReload(id);
            return;
          case 'stopped':
            return;
        }
      });
      worker.once('exit', (code, signal) => {
        this.#exited(member, code, signal);
        if (!settled) reject(new Error(`UDP worker ${id} exited (${signal ?? code}) before it was ready`));
      });
    });
  }

  #exited(member: Member, code: number | null, signal: string | null): void {
    this.#members.delete(member.id);
    this.#confirmReload(member.id);
    this.#merge.close(member.id);
    const stats = member.stats;
    if (stats) {
      addUdpStats(this.#retired.udp, stats.udp);
      addIdentifyStats(this.#retired.identify, stats.identify);
      addNormaliseStats(this.#retired.normalise, stats.normalise);
      addSenderStats(this.#retired.senders, stats.senders);
      this.#retired.overflow += stats.overflow;
    }
    if (this.#stopping) return;
    if (Date.now() - member.startedAt > STABLE_MS) this.#restartDelay = RESTART_MIN_MS;
    const delay = this.#restartDelay;
    this.#restartDelay = Math.min(RESTART_MAX_MS, delay * 2);
    this.#options.onPoolEvent?.({ type: 'udp-worker-exited', worker: member.id, code, signal, restartInMs: delay });
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopping) this.#fork().catch(() => undefined); // a failed restart exits and is retried the same way
    }, delay);
    this.#restartTimer.unref();
  }

  #confirmReload(id: number): void {
    if (!this.#reloading.delete(id) || this.#reloading.size > 0) return;
    this.#options.onPoolEvent?.({ type: 'udp-workers-reloaded', workers: this.#members.size });
  }

  #apply(event: IdentityEvent): void {
    try {
      this.#options.apply(event);
    } catch (error) {
      this.#applyErrors++;
      this.#options.onEvent?.({ type: 'handler-error', transport: 'udp', sender: event.sender, error, suppressed: 0 });
    }
  }

  #forward(event: SyslogEvent): void {
    if (event.type === 'listening' || event.type === 'receive-buffer-small') {
      if (this.#reported.has(event.type)) return;
      this.#reported.add(event.type);
    }
    const restored = 'error' in event ? { ...event, error: fromWire(event.error as WireError) } : event;
    this.#options.onEvent?.(restored as SyslogEvent);
  }

  #send(worker: Worker, message: ToWorker): void {
    if (worker.isConnected()) worker.send(message);
  }
}

/** A worker's bind failure, as the one-line UID_ERR_LISTEN the CLI prints. */
function asListenError(wire: WireError): Error {
  return wire.code === 'UID_ERR_LISTEN' ? new UidError('UID_ERR_LISTEN', wire.message) : fromWire(wire);
}
