/**
 * A server group (one entry of `accounting.groups`): the records side hands it every
 * record (it is the group's `RecordSender`); inside the group, PAN-OS failover:
 *
 * - use the first server that connects and answers, and keep using it while it works;
 * - when it fails (any retriable error: retry.ts decides), try the next one, in order,
 *   and stay there;
 * - after `retryIntervalSeconds` on a backup, one record probes the first server again;
 *   if it answers, the group returns to it;
 * - when no server answers, the record is rejected (UID_ERR_TACACS_UNAVAILABLE: the
 *   caller keeps it in its spool and retries) and ONE `outage` event is emitted for the
 *   whole outage, then ONE `recovered` event when a server answers again.
 *
 * RFC 8907 §4.4: on ERROR the client "MUST behave as if the server could not be connected
 * to", so ERROR and FOLLOW fail over like a dead server does.
 */
import type { TacacsServerConfig } from '../config/schema.js';
import { UidError, type ErrorCode } from '../errors.js';
import type { AccountingRecord, RecordSender } from './record.js';
import { isRetriable } from './retry.js';
import { DEFAULT_LIMITS, ServerClient, type ServerClientLimits } from './server-client.js';
import type { GroupStatus, ServerStatus } from './status.js';
import { endpointFromConfig } from './transport-config.js';

/** Rare state changes, for logs and metrics (never a secret; `message` is operator-facing). */
export type ServerGroupEvent =
  | { readonly type: 'server-failed'; readonly group: string; readonly server: string; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'server-active'; readonly group: string; readonly server: string; readonly previous: string | null }
  | { readonly type: 'outage'; readonly group: string; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'recovered'; readonly group: string; readonly server: string; readonly downForMs: number };

/** Counters for metrics; plain numbers, read at scrape time. */
export interface ServerGroupStats {
  /** send() calls. */
  requests: number;
  /** Records a server answered with SUCCESS. */
  sent: number;
  /** Records rejected to the caller (they stay in the caller's spool). */
  failed: number;
  /** Tries on one server, and how many of those failed. */
  attempts: number;
  attemptFailures: number;
  /** Times the group moved to another server after a failure, and outages begun. */
  failovers: number;
  outages: number;
}

/** GroupStatus without queueDepth, which the spool owns: `{ ...group.status(), queueDepth }`. */
export type TransportGroupStatus = Omit<GroupStatus, 'queueDepth'>;

export interface ServerGroupOptions {
  readonly name: string;
  /** In failover order; resolved config (secret values, absolute paths). */
  readonly servers: readonly TacacsServerConfig[];
  readonly retryIntervalSeconds: number;
  readonly onEvent?: (event: ServerGroupEvent) => void;
  /** The round trip of each SUCCESS, in seconds (for a histogram). */
  readonly onReplyLatency?: (seconds: number) => void;
  readonly limits?: ServerClientLimits;
  /** Wall clock in ms; tests pass their own to step over the retry interval. */
  readonly now?: () => number;
}

interface Server {
  readonly client: ServerClient;
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'tls';
  readonly label: string;
  health: 'unknown' | 'ok' | 'failed';
  lastErrorAt: number | null;
  lastError: string | null;
}

export class ServerGroup implements RecordSender {
  readonly name: string;
  /** The most records one of its servers takes in flight at once (RecordSender). */
  readonly sendWindow: number;
  readonly stats: ServerGroupStats = { requests: 0, sent: 0, failed: 0, attempts: 0, attemptFailures: 0, failovers: 0, outages: 0 };
  private readonly servers: readonly Server[];
  private readonly retryIntervalMs: number;
  private readonly now: () => number;
  /** Index of the server records go to first. */
  private current = 0;
  /** Index of the server that last took records as the group's server (for status and events). */
  private active: number | null = null;
  /** When the group left the first server (for the retry interval). */
  private onBackupSince = 0;
  private probing = false;
  private downSince: number | null = null;
  private lastError: string | null = null;
  private closed: UidError | null = null;

  /** Throws UID_ERR_TLS_MATERIAL / UID_ERR_CONFIG_SECRET when a server cannot be set up. */
  constructor(private readonly options: ServerGroupOptions) {
    if (options.servers.length === 0) {
      throw new UidError('UID_ERR_CONFIG_VALUE', `accounting group ${options.name} has no servers`);
    }
    this.name = options.name;
    this.retryIntervalMs = options.retryIntervalSeconds * 1000;
    this.now = options.now ?? Date.now;
    this.sendWindow = (options.limits ?? DEFAULT_LIMITS).maxInFlight;
    this.servers = options.servers.map((config) => {
      const endpoint = endpointFromConfig(config);
      const { transport } = endpoint;
      return {
        client: new ServerClient(endpoint, options.limits ?? DEFAULT_LIMITS),
        host: transport.host,
        port: transport.port,
        transport: transport.kind,
        label: transport.label,
        health: 'unknown' as const,
        lastErrorAt: null,
        lastError: null,
      };
    });
  }

  async send(record: AccountingRecord): Promise<void> {
    this.stats.requests++;
    if (this.closed !== null) {
      this.stats.failed++;
      throw this.closed;
    }
    const count = this.servers.length;
    let start = this.current;
    const probe = start !== 0 && !this.probing && this.now() - this.onBackupSince >= this.retryIntervalMs;
    if (probe) {
      this.probing = true;
      start = 0;
    }
    let lastError: UidError | undefined;
    try {
      for (let k = 0; k < count; k++) {
        const index = (start + k) % count;
        const server = this.servers[index]!;
        this.stats.attempts++;
        const began = performance.now();
        try {
          await server.client.send(record);
        } catch (error) {
          this.stats.attemptFailures++;
          if (!isRetriable(error) || this.closed !== null) {
            this.stats.failed++;
            throw error;
          }
          lastError = error as UidError;
          this.serverFailed(index, lastError, probe);
          continue;
        }
        this.options.onReplyLatency?.((performance.now() - began) / 1000);
        this.serverAnswered(index, probe || k > 0);
        return;
      }
    } finally {
      if (probe) this.probing = false;
    }
    this.stats.failed++;
    throw this.noServerAnswered(lastError!);
  }

  /** Ends every connection; whatever is queued or in flight rejects with UID_ERR_TACACS_CLOSED. */
  close(): void {
    this.closed ??= new UidError('UID_ERR_TACACS_CLOSED', `accounting group ${this.name} closed`);
    for (const server of this.servers) server.client.close();
  }

  status(): TransportGroupStatus {
    const current = this.servers[this.active ?? this.current]!;
    return {
      name: this.name,
      currentServer: this.downSince !== null ? null : current.label,
      state: this.downSince !== null ? 'down' : current === this.servers[0] ? 'up' : 'failing-over',
      lastError: this.lastError,
      servers: this.servers.map((server): ServerStatus => ({
        host: server.host,
        port: server.port,
        transport: server.transport,
        state: server.health === 'failed' ? 'failed'
          : server.client.connected ? 'connected'
          : server.health === 'ok' ? 'idle' : 'unknown',
        lastErrorAt: server.lastErrorAt === null ? null : new Date(server.lastErrorAt).toISOString(),
        lastError: server.lastError,
      })),
    };
  }

  private serverFailed(index: number, error: UidError, probe: boolean): void {
    const server = this.servers[index]!;
    const message = `${server.label}: ${error.message}`;
    server.lastErrorAt = this.now();
    server.lastError = error.message;
    this.lastError = message;
    if (server.health !== 'failed') {
      server.health = 'failed';
      this.emit({ type: 'server-failed', group: this.name, server: server.label, code: error.code, message });
    }
    if (probe && index === 0) {
      this.onBackupSince = this.now(); // the first server is still down: wait another interval
    } else if (index === this.current && this.downSince === null) {
      this.current = (index + 1) % this.servers.length;
      this.stats.failovers++;
      if (index === 0) this.onBackupSince = this.now();
    }
  }

  /** `moved`: the record reached this server by failing over or probing, not by being sent to the current one. */
  private serverAnswered(index: number, moved: boolean): void {
    const server = this.servers[index]!;
    server.health = 'ok';
    this.stats.sent++;
    if (this.downSince !== null) {
      const downForMs = this.now() - this.downSince;
      this.downSince = null;
      this.emit({ type: 'recovered', group: this.name, server: server.label, downForMs });
    }
    if (!moved && this.active !== null) return; // an answer to a record sent before the group moved on
    if (moved && index !== this.current) {
      this.current = index;
      if (index !== 0) this.onBackupSince = this.now();
    }
    if (index !== this.active) {
      const previous = this.active === null ? null : this.servers[this.active]!.label;
      this.active = index;
      this.emit({ type: 'server-active', group: this.name, server: server.label, previous });
    }
  }

  private noServerAnswered(last: UidError): UidError {
    const error = new UidError('UID_ERR_TACACS_UNAVAILABLE',
      `no server of accounting group ${this.name} answered (last: ${this.lastError ?? last.message}); the record waits in the spool`,
      { cause: last });
    if (this.downSince === null) {
      this.downSince = this.now();
      this.stats.outages++;
      this.emit({ type: 'outage', group: this.name, code: error.code, message: error.message });
    }
    this.current = 0; // when servers come back, start again with the first one
    return error;
  }

  private emit(event: ServerGroupEvent): void {
    this.options.onEvent?.(event);
  }
}
