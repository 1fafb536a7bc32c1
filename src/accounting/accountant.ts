/**
 * The accounting sink (docs/accounting.md): subscribes to the mapping table, turns each change
 * into records (records.ts) and appends every record to every group's spool (IOS
 * broadcast); each group's dispatcher sends from its own spool, with its own failover.
 *
 * Ingestion never waits for accounting: the table's listener only builds records and
 * queues them (spool.append never blocks or throws). Also here: the periodic WATCHDOG
 * timer, system records when accounting starts and stops, the active sessions, and
 * `status()` for `GET /v1/accounting`.
 *
 * Wiring: build the table, `restore()` the snapshot result, then `start()` before the
 * syslog sources; on shutdown stop the sources, `stop()` this, then close the groups.
 */
import { join } from 'node:path';
import type { AccountingConfig } from '../config/schema.js';
import type { Mapping, MappingChange, MappingTable } from '../mappings/table.js';
import type { AccountingEvent } from './accounting-events.js';
import { Dispatcher, type DispatcherOptions, type DispatcherStats } from './dispatcher.js';
import type { AccountingRecord, RecordKind, RecordSender } from './record.js';
import { oversizeField, recordPolicy, recordsForChange, startRecord, stopRecord, systemRecord, watchdogRecord, type RecordPolicy } from './records.js';
import { AccountedSessions } from './sessions.js';
import { StreamAccounting, type StreamAccountingOptions } from './stream-accounting.js';
import { Spool, type SpoolOptions, type SpoolStats } from './spool.js';
import { ACCOUNTING_RECORDS } from './spool-format.js';
import type { AccountingStatus, GroupStatus } from './status.js';

/** A server group as the accountant sees it; the transport's ServerGroup fits as it is. */
export interface AccountingGroup extends RecordSender {
  readonly name: string;
  /** The transport's view; `queueDepth` is added here. */
  status?(): Omit<GroupStatus, 'queueDepth'>;
}

export interface AccountantOptions {
  readonly config: Pick<AccountingConfig, 'mode' | 'update' | 'suppressNullUsername' | 'timezone' | 'spool' | 'spoolMaxBytes'>;
  readonly groups: readonly AccountingGroup[];
  readonly table: Pick<MappingTable, 'subscribe'>;
  readonly onEvent?: (event: AccountingEvent) => void;
  /** Epoch ms for record times; pass the table's clock. Default `Date.now`. */
  readonly now?: () => number;
  /** How long `stop()` waits for the system stop record to be confirmed; default 5000 ms. */
  readonly stopWaitMs?: number;
  /** Tuning (tests, benchmarks). */
  readonly spool?: Pick<SpoolOptions, 'segmentBytes' | 'batchDelayMs' | 'batchMaxRecords' | 'cacheRecords'>;
  readonly dispatch?: Pick<DispatcherOptions, 'window' | 'lookahead' | 'retryBaseMs' | 'retryMaxMs'>;
  /**
   * The shared table: mapping records come from its change stream (stream-accounting.ts),
   * sent by whichever listener leads; the table's changes only keep the sessions view.
   * System records (this listener's start and stop) stay in the local spool.
   */
  readonly stream?: StreamAccountingOptions;
}

/** What a snapshot restore found (the snapshot's SnapshotRestore fits). */
export interface RestoredMappings {
  /** Back in the table: active sessions (their START went to the groups of `startsSentTo`); read once, here. */
  readonly restored: Iterable<Mapping>;
  /** Timed out while the listener was down: their STOP (reason timeout) is sent now. */
  readonly expired?: readonly Mapping[];
  /** Left out over maxEntries: their STOP (reason capacity) is sent now. */
  readonly evicted?: readonly Mapping[];
  /**
   * The groups that were sent the START of every restored session (the run that wrote the
   * snapshot, in start-stop mode); undefined: all groups. In start-stop mode another group
   * gets those STARTs now and no STOP of a session that ended while the listener was down.
   */
  readonly startsSentTo?: readonly string[];
}

/** A record queued before the spools open, and the groups it goes to (undefined: all). */
interface Pending {
  readonly record: AccountingRecord;
  readonly groups: ReadonlySet<string> | undefined;
}

/** Per group, for metrics: spool and dispatcher counters plus the spool's depth. */
export interface GroupAccountingStats {
  readonly group: string;
  readonly spool: Readonly<SpoolStats>;
  readonly dispatch: Readonly<DispatcherStats>;
  readonly spoolRecords: number;
  readonly spoolBytes: number;
}

export interface AccountantStats {
  /** Records built, per kind (each is appended to every group). */
  readonly records: Record<RecordKind, number>;
  /** Records refused before any spool: a field over 255 octets. */
  refused: number;
}

interface Lane {
  readonly group: AccountingGroup;
  readonly spool: Spool;
  readonly dispatcher: Dispatcher;
}

/** Most periodic WATCHDOGs built per tick; the rest follow on the next ticks. */
const WATCHDOGS_PER_TICK = 5000;
const TICK_MS = 1000;

export class Accountant {
  readonly stats: AccountantStats = { records: { start: 0, stop: 0, watchdog: 0, 'watchdog-update': 0 }, refused: 0 };
  readonly #options: AccountantOptions;
  readonly #policy: RecordPolicy;
  readonly #sessions: AccountedSessions;
  readonly #periodic: boolean;
  readonly #onEvent: ((event: AccountingEvent) => void) | undefined;
  readonly #now: () => number;
  #lanes: Lane[] = [];
  #pending: Pending[] = [];
  #unsubscribe: (() => void) | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #started = false;
  #startedAt = 0;
  #systemTaskId = '';
  #stream: StreamAccounting | undefined;
  readonly #onChange = (change: MappingChange): void => this.#record(change);

  constructor(options: AccountantOptions) {
    this.#options = options;
    this.#policy = recordPolicy(options.config);
    const periodMinutes = options.config.update.periodicMinutes;
    this.#periodic = this.#policy.mode === 'start-stop' && periodMinutes > 0;
    this.#sessions = new AccountedSessions(this.#periodic ? periodMinutes * 60_000 : 0);
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Sessions restored from the snapshot, and the ends missed while down; call before
   * `start()`. Every STOP has its START (start-stop mode): a group that was not sent the
   * START of a restored session gets it now, stamped with the mapping's first-seen time,
   * and gets no STOP of a session that ended unseen while the listener was down.
   */
  restore(result: RestoredMappings): void {
    if (this.#policy.mode === 'none') return;
    const now = this.#now();
    const restored: Mapping[] = [];
    for (const mapping of result.restored) if (this.#accounted(mapping)) restored.push(mapping);
    this.#sessions.restore(restored, now);
    const sent = this.#policy.mode === 'start-stop' && result.startsSentTo ? new Set(result.startsSentTo) : undefined;
    const groups = this.#options.groups.map((group) => group.name);
    const unstarted = sent ? new Set(groups.filter((name) => !sent.has(name))) : new Set<string>();
    if (unstarted.size > 0) for (const mapping of restored) this.#queue(startRecord(mapping, this.#policy), unstarted);
    for (const mapping of result.expired ?? []) this.#queue(stopRecord(mapping, this.#policy, Math.min(now, mapping.expiresAt), 'timeout'), sent);
    for (const mapping of result.evicted ?? []) this.#queue(stopRecord(mapping, this.#policy, now, 'capacity'), sent);
  }

  /** Opens the spools (records left by the last run go first), then listens to the table. */
  async start(): Promise<void> {
    if (this.#policy.mode === 'none' || this.#started) return;
    this.#started = true;
    const { config, groups, onEvent } = this.#options;
    this.#lanes = await Promise.all(
      groups.map(async (group) => {
        const spool = await Spool.open({ ...this.#options.spool, codec: ACCOUNTING_RECORDS, dir: join(config.spool, group.name), group: group.name, maxBytes: config.spoolMaxBytes, onEvent });
        const dispatcher = new Dispatcher({ ...this.#options.dispatch, group: group.name, spool, sender: group, onEvent });
        return { group, spool, dispatcher };
      }),
    );
    this.#startedAt = this.#now();
    this.#systemTaskId = `system-${this.#startedAt.toString(36)}`;
    this.#broadcast(systemRecord('start', this.#systemTaskId, this.#startedAt, this.#policy, this.#startedAt));
    for (const { record, groups } of this.#pending) this.#broadcast(record, groups);
    this.#pending = [];
    for (const lane of this.#lanes) lane.dispatcher.start();
    if (this.#options.stream) {
      this.#stream = new StreamAccounting(this.#options.stream, {
        groups, policy: this.#policy, admit: (record) => this.#admit(record), onEvent,
        ...(this.#options.dispatch ? { dispatch: this.#options.dispatch } : {}),
      });
      await this.#stream.start();
    }
    this.#unsubscribe = this.#options.table.subscribe(this.#onChange);
    if (this.#periodic) this.#ticker = setInterval(() => this.#tick(), TICK_MS).unref();
  }

  /**
   * Stops listening, sends the system stop record and waits up to `stopWaitMs` for every
   * group to confirm it; whatever is unconfirmed stays in the spool for the next start.
   */
  async stop(): Promise<void> {
    if (this.#lanes.length === 0) return;
    this.#started = false;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#ticker);
    await this.#stream?.stop();
    this.#stream = undefined;
    const record = systemRecord('stop', this.#systemTaskId, this.#startedAt, this.#policy, this.#now());
    const deadline = Date.now() + (this.#options.stopWaitMs ?? 5000); // real time, whatever the record clock
    const lanes = this.#lanes;
    this.#lanes = [];
    if (record) this.stats.records.stop++;
    await Promise.all(
      lanes.map(async (lane) => {
        const seq = record ? lane.spool.append(record) : 0;
        const confirmed = seq > 0 && (await withDeadline(lane.spool.whenGone(seq).then(() => true), deadline, false));
        if (record && !confirmed) this.#onEvent?.({ type: 'stop-unconfirmed', group: lane.group.name, waiting: lane.spool.depth });
        await withDeadline(lane.dispatcher.stop(), deadline, undefined);
        await lane.spool.close();
      }),
    );
  }

  /**
   * `GET /v1/accounting`: active sessions (the first `maxSessions`, oldest-scheduled first)
   * and each group's state. Listing costs O(sessions listed): callers serving large tables
   * pass their page size; `sessionsTotal` counts them all.
   */
  status(maxSessions = Infinity): AccountingStatus {
    const now = this.#now();
    return {
      mode: this.#policy.mode,
      sessionsTotal: this.#sessions.size,
      sessions: this.#sessions.list(now, maxSessions),
      groups: this.#lanes.map(({ group, spool, dispatcher }) => ({
        ...(group.status?.() ?? {
          name: group.name,
          currentServer: null,
          state: dispatcher.failing ? 'down' : 'up',
          lastError: null,
          servers: [],
        }),
        queueDepth: spool.depth + (this.#stream?.pending().find((p) => p.group === group.name)?.pending ?? 0),
      })),
    };
  }

  /** Active accounted sessions (the full count, where `status()` lists the first ones). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  groupStats(): GroupAccountingStats[] {
    return this.#lanes.map(({ group, spool, dispatcher }) => ({
      group: group.name,
      spool: spool.stats,
      dispatch: dispatcher.stats,
      spoolRecords: spool.depth,
      spoolBytes: spool.bytes,
    }));
  }

  /** The table's listener: bookkeeping and queueing only, never a wait or a throw. */
  #record(change: MappingChange): void {
    const now = this.#now();
    switch (change.kind) {
      case 'added':
        if (this.#accounted(change.mapping)) this.#sessions.open(change.mapping, now);
        break;
      case 'refreshed':
        this.#sessions.update(change.mapping);
        break;
      case 'user-changed':
        this.#sessions.close(change.previous.id);
        if (this.#accounted(change.mapping)) this.#sessions.open(change.mapping, now);
        break;
      default:
        this.#sessions.close(change.mapping.id);
    }
    if (this.#stream) return; // the leader sends these from the change stream
    for (const record of recordsForChange(change, this.#policy, now)) this.#broadcast(record);
  }

  /** Per group: change-stream records this listener holds unacknowledged (shared table only). */
  streamPending(): { group: string; pending: number }[] {
    return this.#stream?.pending() ?? [];
  }

  #tick(): void {
    if (this.#stream && !this.#stream.leader) return; // one listener sends the periodic WATCHDOGs
    const now = this.#now();
    for (const mapping of this.#sessions.takeDue(now, WATCHDOGS_PER_TICK)) {
      this.#broadcast(watchdogRecord(mapping, this.#policy, now));
    }
  }

  #accounted(mapping: Mapping): boolean {
    return !(this.#policy.suppressNullUsername && mapping.user.length === 0);
  }

  /** Before start the spools are not open yet: such records go out right after the system start. */
  #queue(record: AccountingRecord | null, groups: ReadonlySet<string> | undefined): void {
    if (this.#lanes.length > 0) this.#broadcast(record, groups);
    else if (record) this.#pending.push({ record, groups });
  }

  /** To every group's spool, or only to `groups`. */
  #broadcast(record: AccountingRecord | null, groups?: ReadonlySet<string>): void {
    if (!record || !this.#admit(record)) return;
    for (const lane of this.#lanes) if (!groups || groups.has(lane.group.name)) lane.spool.append(record);
  }

  /** Counts a record about to be sent, or refuses it (a field over 255 octets). */
  #admit(record: AccountingRecord): boolean {
    const field = oversizeField(record);
    if (field !== null) {
      this.stats.refused++;
      this.#onEvent?.({ type: 'record-refused', code: 'UID_ERR_TACACS_FIELD', taskId: record.orderKey, field });
      return false;
    }
    this.stats.records[record.kind]++;
    return true;
  }
}

/** `promise`'s value, or `fallback` once `deadline` (Date.now epoch ms) has passed. */
function withDeadline<T>(promise: Promise<T>, deadline: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
