/**
 * What the listener process and its UDP workers say to each other over the cluster IPC
 * channel (JSON). A worker says `alive` once it listens to the channel; the listener sends
 * `start` (with everything a worker needs to admit, match and normalise), later `reload`
 * (answered by `reloaded`) and `stop`; the worker answers `ready` or `failed`, then
 * streams `events` batches, `stats` and rare syslog `event`s, and `stopped` last.
 *
 * Identity events travel packed, FIELDS values per event in one flat array
 * `[at, event, user, ip, profile, sender, timeoutMs (-1: none), ...]`, where `at` is when the worker received the
 * message on the host's monotonic clock (nanoseconds): the listener merges the workers'
 * streams in that order (merge.ts). `upTo` promises that this worker's later events all
 * come after that time.
 */
import type { MappingsConfig, SenderConfig } from '../config/schema.js';
import type { ErrorFields } from '../errors.js';
import type { ProfileDefinition } from '../identify/definition.js';
import type { IdentityEvent } from '../identify/event.js';
import type { NormaliseStats } from '../identify/normalise.js';
import type { IdentifyStats } from '../identify/stats.js';
import type { SyslogEvent } from '../syslog/events.js';
import type { UdpSourceStats } from '../syslog/stats.js';

export interface WorkerSetup {
  readonly udp: { readonly host: string; readonly port: number; readonly receiveBufferBytes: number };
  readonly maxMessageBytes: number;
  readonly senders: readonly SenderConfig[];
  readonly profiles: readonly ProfileDefinition[];
  readonly mappings: Pick<MappingsConfig, 'ignoreUsers' | 'includeNetworks' | 'excludeNetworks'>;
}

/** An Error as it crosses the channel (errorFields makes one). */
export type WireError = ErrorFields;

/** A worker's counters since it started (reloads included). */
export interface WorkerStats {
  readonly udp: UdpSourceStats;
  readonly identify: IdentifyStats;
  readonly normalise: NormaliseStats;
  /** Identity events dropped because the listener process fell too far behind (WORKER_BACKLOG). */
  readonly overflow: number;
}

export type ToWorker =
  | { readonly type: 'start'; readonly setup: WorkerSetup }
  | { readonly type: 'reload'; readonly setup: WorkerSetup; readonly generation: number }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'alive' }
  | { readonly type: 'ready'; readonly address: string; readonly port: number; readonly family: string }
  | { readonly type: 'failed'; readonly error: WireError }
  | { readonly type: 'events'; readonly upTo: number; readonly events: readonly (string | number)[] }
  | { readonly type: 'stats'; readonly stats: WorkerStats }
  | { readonly type: 'reloaded'; readonly generation: number }
  | { readonly type: 'event'; readonly event: SyslogEvent }
  | { readonly type: 'stopped' };

export const FIELDS = 7;

/** Appends one event received at `at` to a packed batch. */
export function pack(batch: (string | number)[], at: number, event: IdentityEvent): void {
  batch.push(at, event.event, event.user, event.ip, event.profile, event.sender, event.timeoutMs ?? -1);
}

/** The event at `offset` of a packed batch. */
export function unpack(batch: readonly (string | number)[], offset: number): IdentityEvent {
  const event = batch[offset + 1] as IdentityEvent['event'];
  const user = batch[offset + 2] as string;
  const ip = batch[offset + 3] as string;
  const profile = batch[offset + 4] as string;
  const sender = batch[offset + 5] as string;
  const timeoutMs = batch[offset + 6] as number;
  return timeoutMs < 0 ? { event, user, ip, profile, sender } : { event, user, ip, profile, sender, timeoutMs };
}

/** Now on the host's monotonic clock, in nanoseconds: the same clock in every process. */
export function monotonicNow(): number {
  return Number(process.hrtime.bigint());
}

export function fromWire(wire: WireError): Error {
  return Object.assign(new Error(wire.message), wire.code === undefined ? {} : { code: wire.code });
}
