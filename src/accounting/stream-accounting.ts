/**
 * Accounting of the shared table, exactly once across listeners (docs/high-availability.md):
 * the change stream is the queue, and one listener at a time, the leader, sends from it.
 *
 * Why one sender: records of one session must leave in order (START before STOP, RFC 8907
 * §7 gives a server no way to reorder them), and a consumer group hands entries to its
 * consumers in any split, so two listeners sending at once could send a STOP before the
 * START another one still holds. The leader holds a lease (`leader` key: SET NX PX
 * claimIdleSeconds, renewed every third of it). A leader that dies stops renewing; after
 * claimIdleSeconds another listener takes the lease, claims every record still pending
 * (XAUTOCLAIM) and sends them first, then carries on with new ones. A leader that cannot
 * renew in time stops sending at once: between a renewal missed and the lease running out
 * a third of the period is left. Should two leaders still overlap (a process stalled, a
 * partition), the new one only claims records idle for claimIdleSeconds, never ones the
 * other is sending right now; a record may then go twice, none is lost.
 *
 * Acks outlive leadership (stream-acks.ts): a leader that lost Redis keeps the XACKs of
 * records the servers acknowledged meanwhile, sends them as soon as Redis answers (on the
 * connection's `ready`, and before each lease attempt: none is tried while acks cannot be
 * sent), so the next leader finds those entries acknowledged instead of sending them again.
 */
import type { RedisClient } from '../mappings/redis/connect.js';
import { accountingGroupName, type TableKeys } from '../mappings/redis/keys.js';
import type { AccountingEvent } from './accounting-events.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher.js';
import type { AccountingRecord, RecordSender } from './record.js';
import type { RecordPolicy } from './records.js';
import { PendingAcks } from './stream-acks.js';
import { StreamQueue, createConsumerGroup } from './stream-queue.js';

export interface StreamAccountingOptions {
  /** A new connection to the table's Redis. */
  readonly connect: () => RedisClient;
  readonly keys: TableKeys;
  /** This listener's name: its consumer in each group and the lease's value. */
  readonly consumer: string;
  readonly claimIdleMs: number;
}

export interface StreamLaneGroup extends RecordSender {
  readonly name: string;
}

interface StreamLane {
  readonly queue: StreamQueue;
  readonly dispatcher: Dispatcher;
}

/** Renews the lease only while this listener holds it (Redis docs, "Distributed locks": check-and-set in a script). */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class StreamAccounting {
  readonly #options: StreamAccountingOptions;
  readonly #groups: readonly StreamLaneGroup[];
  readonly #policy: RecordPolicy;
  readonly #admit: (record: AccountingRecord) => boolean;
  readonly #dispatch: Pick<DispatcherOptions, 'window' | 'lookahead' | 'retryBaseMs' | 'retryMaxMs'> | undefined;
  readonly #onEvent: ((event: AccountingEvent) => void) | undefined;
  readonly #client: RedisClient;
  /** Per group, on #client: they survive a step-down. */
  readonly #acks: readonly PendingAcks[];
  #lanes: StreamLane[] = [];
  #timer: NodeJS.Timeout | undefined;
  #leaseUntil = 0;
  #turn: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: StreamAccountingOptions, setup: {
    groups: readonly StreamLaneGroup[];
    policy: RecordPolicy;
    admit: (record: AccountingRecord) => boolean;
    dispatch?: Pick<DispatcherOptions, 'window' | 'lookahead' | 'retryBaseMs' | 'retryMaxMs'>;
    onEvent?: (event: AccountingEvent) => void;
  }) {
    this.#options = options;
    this.#groups = setup.groups;
    this.#policy = setup.policy;
    this.#admit = setup.admit;
    this.#dispatch = setup.dispatch;
    this.#onEvent = setup.onEvent;
    this.#client = options.connect();
    this.#acks = setup.groups.map((group) => new PendingAcks(this.#client, options.keys.log, accountingGroupName(group.name)));
    this.#client.on('ready', () => void this.#flushAcks().catch(() => {}));
  }

  /** This listener sends the stream's records now. */
  get leader(): boolean {
    return this.#lanes.length > 0;
  }

  /**
   * Per group: stream entries held by this listener and not yet acknowledged, to the
   * TACACS+ servers or (their XACK not yet taken) to Redis; acks outlive leadership.
   */
  pending(): { group: string; pending: number }[] {
    return this.#groups.map((group, i) => ({ group: group.name, pending: (this.#lanes[i]?.queue.pending ?? 0) + this.#acks[i]!.size }));
  }

  /** Creates the consumer groups (waiting up to `waitMs` for Redis), then competes for the lease. */
  async start(waitMs = 5000): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (const group of this.#groups) {
      while (Date.now() < deadline) {
        try {
          await createConsumerGroup(this.#client, this.#options.keys.log, accountingGroupName(group.name));
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100)); // not connected yet; the leader creates it later
        }
      }
    }
    const every = Math.max(50, Math.floor(this.#options.claimIdleMs / 3));
    this.#timer = setInterval(() => this.#step(), every).unref();
    this.#step();
  }

  /** Stops sending, hands the lease back (another listener takes over at once) and lets go of Redis. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#turn;
    const wasLeader = this.leader;
    await this.#stepDown();
    await withTimeout(this.#flushAcks(), this.#options.claimIdleMs).catch(() => {});
    if (wasLeader) await this.#client.eval(RELEASE, 1, this.#options.keys.leader, this.#options.consumer).catch(() => {});
    this.#client.disconnect();
  }

  #step(): void {
    this.#turn = this.#turn.then(() => (this.#stopped ? undefined : this.#lease())).catch(() => {});
  }

  /** Every group's acks waiting for Redis; rejects if any cannot be sent yet. */
  async #flushAcks(): Promise<void> {
    await Promise.all(this.#acks.map((acks) => acks.flush()));
  }

  async #lease(): Promise<void> {
    const { keys, consumer, claimIdleMs } = this.#options;
    // Our acks land before we compete for the lease (and claim what is still pending).
    if (!this.leader && (await withTimeout(this.#flushAcks(), claimIdleMs / 3).then(() => false, () => true))) return;
    const asked = Date.now();
    let held: boolean;
    try {
      // Bounded: a command sent as the connection drops may wait for a reconnect, and a
      // leader must notice it can no longer renew while a third of its lease is left.
      held = await withTimeout(this.leader
        ? this.#client.eval(RENEW, 1, keys.leader, consumer, claimIdleMs).then((r) => r === 1)
        : this.#client.set(keys.leader, consumer, 'PX', claimIdleMs, 'NX').then((r) => r === 'OK'), claimIdleMs / 3);
      if (held) this.#leaseUntil = asked + claimIdleMs;
    } catch {
      // No answer: the lease runs on from the last renewal that Redis confirmed, not from this try.
      held = this.leader && Date.now() < this.#leaseUntil - claimIdleMs / 3;
    }
    if (held && !this.leader) this.#stepUp();
    else if (!held && this.leader) await this.#stepDown();
  }

  #stepUp(): void {
    const { keys, consumer } = this.#options;
    this.#lanes = this.#groups.map((group, i) => {
      const queue = new StreamQueue({
        client: this.#options.connect(), acks: this.#acks[i]!, stream: keys.log, group: accountingGroupName(group.name),
        consumer, policy: this.#policy, admit: this.#admit, claimIdleMs: this.#options.claimIdleMs,
      });
      const dispatcher = new Dispatcher({ ...this.#dispatch, group: group.name, spool: queue, sender: group, onEvent: this.#onEvent });
      queue.start();
      dispatcher.start();
      return { queue, dispatcher };
    });
    this.#onEvent?.({ type: 'accounting-leader', consumer, leader: true });
  }

  async #stepDown(): Promise<void> {
    const lanes = this.#lanes;
    if (lanes.length === 0) return;
    this.#lanes = [];
    await Promise.all(lanes.map(async ({ queue, dispatcher }) => {
      // Records in flight settle within the servers' timeouts; never wait longer than a lease for them.
      await withTimeout(dispatcher.stop(), this.#options.claimIdleMs).catch(() => {});
      await queue.stop();
    }));
    this.#onEvent?.({ type: 'accounting-leader', consumer: this.#options.consumer, leader: false });
  }
}

/** `promise`, or a rejection after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
