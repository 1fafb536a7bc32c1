/**
 * A UDP worker process (a cluster worker that UdpWorkers forks): it reads the shared syslog
 * UDP socket, admits by the sender table, matches the profiles and normalises — the same
 * code and order as the listener process runs in-process — and sends the identity events
 * to the listener process, which owns the table, in batches: the first event of a batch
 * sends it FLUSH_MS later (IPC costs tens of microseconds a message, so batching is what
 * makes workers pay). It keeps no state besides its counters.
 *
 * Back-pressure: should the listener process fall behind, at most MAX_IN_FLIGHT batches
 * wait in the channel and at most WORKER_BACKLOG events here; events beyond that are
 * counted (`overflow`) and dropped, so a flood cannot grow memory without bound.
 */
import { errorFields } from '../errors.js';
import { addIdentifyStats, createStats, type IdentifyStats } from '../identify/stats.js';
import { addNormaliseStats, createNormaliser, newNormaliseStats, type Normaliser } from '../identify/normalise.js';
import { ProfileSet } from '../identify/profile-set.js';
import type { IdentityEvent } from '../identify/event.js';
import type { SyslogEvent } from '../syslog/events.js';
import type { MessageHandler, Sender } from '../syslog/message.js';
import { SenderTable } from '../syslog/senders.js';
import { UdpSource } from '../syslog/udp.js';
import { FIELDS, monotonicNow, pack, type FromWorker, type ToWorker, type WorkerSetup } from './protocol.js';

/** How long the first event of a batch waits for company. */
export const FLUSH_MS = 5;
/** How often a worker with nothing to send still says how far it has got (merge.ts). */
export const HEARTBEAT_MS = 20;
const STATS_MS = 250;
const MAX_IN_FLIGHT = 64;
export const WORKER_BACKLOG = 100_000;

interface Pipeline {
  readonly senders: SenderTable;
  readonly profiles: ProfileSet;
  readonly normalise: Normaliser;
}

function build(setup: WorkerSetup): Pipeline {
  return {
    senders: new SenderTable(setup.senders),
    profiles: ProfileSet.compile(setup.profiles),
    normalise: createNormaliser(setup.mappings, setup.profiles),
  };
}

function send(message: FromWorker, done?: () => void): void {
  if (process.connected) process.send!(message, undefined, undefined, done ? () => done() : undefined);
}

class Worker {
  #pipeline: Pipeline | undefined;
  #source: UdpSource | undefined;
  #batch: (string | number)[] = [];
  #flushScheduled = false;
  #inFlight = 0;
  #overflow = 0;
  /** The sender of the message being matched, and when it was received. */
  #sender: Sender | undefined;
  #receivedAt = 0;
  readonly #retiredIdentify: IdentifyStats = createStats([]);
  readonly #retiredNormalise = newNormaliseStats();
  readonly #timers: NodeJS.Timeout[] = [];

  readonly #handle: MessageHandler = (data, sender) => {
    this.#sender = sender;
    // Read first, so that the order across workers is the order they read in (to within
    // the microsecond between recvmsg and here), whatever matching then costs.
    this.#receivedAt = monotonicNow();
    this.#pipeline!.profiles.forSender(sender).match(data, sender, this.#emit);
  };

  readonly #emit = (event: IdentityEvent): void => {
    const normalised = this.#pipeline!.normalise(event, this.#sender!);
    if (normalised === null) return;
    if (this.#batch.length >= WORKER_BACKLOG * FIELDS) {
      this.#overflow++;
      return;
    }
    pack(this.#batch, this.#receivedAt, normalised);
    this.#schedule();
  };

  async start(setup: WorkerSetup): Promise<void> {
    this.#pipeline = build(setup);
    const source = new UdpSource({
      ...setup.udp,
      maxMessageBytes: setup.maxMessageBytes,
      senders: this.#pipeline.senders,
      handler: this.#handle,
      onEvent: (event) => send({ type: 'event', event: onWire(event) }),
    });
    try {
      await source.start();
    } catch (error) {
      send({ type: 'failed', error: errorFields(error) }, () => process.exit(1));
      return;
    }
    this.#source = source;
    const { address, port, family } = source.address();
    send({ type: 'ready', address, port, family });
    this.#timers.push(setInterval(() => this.#flush(), HEARTBEAT_MS), setInterval(() => this.#sendStats(), STATS_MS));
  }

  reload(setup: WorkerSetup): void {
    const previous = this.#pipeline;
    if (!previous) return;
    // The listener process compiled this very setup before sending it; should it fail here
    // anyway, the worker exits and its replacement starts from the current setup.
    this.#pipeline = build(setup);
    addIdentifyStats(this.#retiredIdentify, previous.profiles.stats);
    addNormaliseStats(this.#retiredNormalise, previous.normalise.stats);
    this.#source?.setSenders(this.#pipeline.senders);
  }

  /** Stops receiving, sends what is left and the final counters, then leaves. */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.#source?.stop();
    this.#flush(true);
    this.#sendStats();
    send({ type: 'stopped' }, () => process.disconnect());
  }

  #schedule(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setTimeout(() => {
      this.#flushScheduled = false;
      this.#flush();
    }, FLUSH_MS);
  }

  /** Sends the batch (empty: only how far this worker has got) unless the channel is full. */
  #flush(force = false): void {
    if (this.#inFlight >= MAX_IN_FLIGHT && !force) return;
    const events = this.#batch;
    this.#batch = [];
    this.#inFlight++;
    send({ type: 'events', upTo: monotonicNow(), events }, () => {
      this.#inFlight--;
      if (this.#batch.length > 0) this.#schedule();
    });
  }

  #sendStats(): void {
    const pipeline = this.#pipeline;
    const source = this.#source;
    if (!pipeline || !source) return;
    const identify = createStats([]);
    addIdentifyStats(identify, this.#retiredIdentify);
    addIdentifyStats(identify, pipeline.profiles.stats);
    const normalise = newNormaliseStats();
    addNormaliseStats(normalise, this.#retiredNormalise);
    addNormaliseStats(normalise, pipeline.normalise.stats);
    send({ type: 'stats', stats: { udp: source.stats, identify, normalise, overflow: this.#overflow } });
  }
}

/** Errors as plain objects: JSON carries nothing else. */
function onWire(event: SyslogEvent): SyslogEvent {
  return 'error' in event ? ({ ...event, error: errorFields(event.error) } as unknown as SyslogEvent) : event;
}

const worker = new Worker();
process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'start':
      void worker.start(message.setup);
      return;
    case 'reload':
      worker.reload(message.setup);
      send({ type: 'reloaded', generation: message.generation });
      return;
    case 'stop':
      void worker.stop();
      return;
  }
});
// The listener process is gone (it stopped or crashed): nothing to deliver to.
process.on('disconnect', () => process.exit(0));
// The listener process decides when workers stop and reload. A signal sent to the whole
// process group (Ctrl-C in a terminal, systemd's default KillMode) must not end a worker
// before the listener's `stop` has let it hand over what it holds.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
send({ type: 'alive' });
