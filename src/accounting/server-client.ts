/**
 * The client for one TACACS+ server: turns `send(record)` into sessions on connections.
 *
 * With `singleConnection` it opens one connection and offers single-connection mode
 * (RFC 8907 §4.3); records queue while that is negotiated, then share the connection, as
 * many at a time as its window allows (session-window.ts: up to `maxInFlight`). If the server does not echo the flag, or single-connection
 * is off, each record gets its own connection (connect, send, reply, close), at most
 * `maxConnections` at once. A failed connect fails every record waiting for a connection
 * at once, so a dead server costs one connect timeout, not one per record.
 */
import type { Socket } from 'node:net';
import { UidError } from '../errors.js';
import { Connection, type Job } from './connection.js';
import type { AccountingRecord } from './record.js';
import type { ServerEndpoint } from './transport-config.js';

export interface ServerClientLimits {
  /** Most sessions in flight at once on a single-connection connection (the adaptive window's bound). */
  readonly maxInFlight: number;
  /** Connections at once when every session needs its own. */
  readonly maxConnections: number;
  /** Close an unused single-connection connection after this long. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerClientLimits = { maxInFlight: 1024, maxConnections: 8, idleTimeoutMs: 60_000 };

class PendingRecord implements Job {
  retried = false;

  constructor(
    readonly record: AccountingRecord,
    private readonly resolve: () => void,
    private readonly reject: (error: UidError) => void,
  ) {}

  settle(error: UidError | null): void {
    if (error === null) this.resolve();
    else this.reject(error);
  }
}

export class ServerClient {
  /** Records waiting for a connection or for room in the window, oldest first. */
  private readonly queue: PendingRecord[] = [];
  /** The single-connection connection (negotiating or established). */
  private shared: Connection | null = null;
  private readonly oneShots = new Set<Connection>();
  private opening = 0;
  /** What we know of the server's single-connection support. */
  private mode: 'unknown' | 'single' | 'one-shot';
  private closedWith: UidError | null = null;

  constructor(
    private readonly endpoint: ServerEndpoint,
    private readonly limits: ServerClientLimits = DEFAULT_LIMITS,
  ) {
    this.mode = endpoint.singleConnection ? 'unknown' : 'one-shot';
  }

  get label(): string {
    return this.endpoint.transport.label;
  }

  /** True while a connection to the server is open. */
  get connected(): boolean {
    return (this.shared !== null && !this.shared.isClosed) || this.oneShots.size > 0;
  }

  /** Resolves on SUCCESS; rejects with a UidError (see retry.ts for which are retriable). */
  send(record: AccountingRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closedWith !== null) {
        reject(this.closedWith);
        return;
      }
      this.queue.push(new PendingRecord(record, resolve, reject));
      this.pump();
    });
  }

  /** Ends every connection; records queued or in flight reject with UID_ERR_TACACS_CLOSED. */
  close(): void {
    if (this.closedWith !== null) return;
    this.closedWith = new UidError('UID_ERR_TACACS_CLOSED', `accounting client for ${this.label} closed`);
    this.failQueue(this.closedWith);
    this.shared?.destroy(this.closedWith);
    for (const connection of this.oneShots) connection.destroy(this.closedWith);
  }

  private failQueue(error: UidError): void {
    for (const waiting of this.queue.splice(0)) waiting.settle(error);
  }

  private pump(): void {
    while (this.queue.length > 0 && this.closedWith === null) {
      if (this.mode === 'one-shot') {
        if (this.oneShots.size + this.opening >= this.limits.maxConnections) return;
        this.open(this.queue.shift()!, false);
        continue;
      }
      const shared = this.shared;
      if (shared !== null && !shared.isClosed) {
        if (!shared.canSend()) return;
        shared.send(this.queue.shift()!);
        continue;
      }
      if (this.opening === 0) this.open(this.queue.shift()!, true);
      return;
    }
  }

  private open(first: PendingRecord, offerSingleConnect: boolean): void {
    this.opening++;
    let opened: Promise<Socket>;
    try {
      opened = this.endpoint.transport.open();
    } catch (error) {
      opened = Promise.reject(new UidError('UID_ERR_TACACS_CONNECT',
        `cannot connect to ${this.label}: ${(error as Error).message}`, { cause: error }));
    }
    opened.then(
      (socket) => {
        this.opening--;
        if (this.closedWith !== null) {
          socket.destroy();
          first.settle(this.closedWith);
          return;
        }
        const connection = new Connection(socket, {
          label: this.label,
          kind: this.endpoint.transport.kind,
          key: this.endpoint.key,
          timeoutMs: this.endpoint.timeoutMs,
          offerSingleConnect,
          maxInFlight: this.limits.maxInFlight,
          idleTimeoutMs: this.limits.idleTimeoutMs,
          onSessionDone: this.onSessionDone,
          onClosed: this.onClosed,
        });
        if (offerSingleConnect) this.shared = connection;
        else this.oneShots.add(connection);
        connection.send(first);
        this.pump();
      },
      (error: UidError) => {
        this.opening--;
        first.settle(error);
        // The server cannot be reached now: fail everything waiting for a connection.
        this.failQueue(error);
        if (this.endpoint.singleConnection) this.mode = 'unknown';
      },
    );
  }

  private readonly onSessionDone = (connection: Connection): void => {
    if (connection === this.shared && connection.mode !== 'negotiating') {
      this.mode = connection.mode === 'single' ? 'single' : 'one-shot';
    }
    this.pump();
  };

  private readonly onClosed = (connection: Connection, unanswered: Job[], error: UidError): void => {
    if (connection === this.shared) this.shared = null;
    this.oneShots.delete(connection);
    const retry = connection.lostWhileIdle && this.closedWith === null;
    const again: PendingRecord[] = [];
    for (const job of unanswered) {
      const pending = job as PendingRecord;
      if (retry && !pending.retried) {
        pending.retried = true;
        again.push(pending);
      } else {
        job.settle(error);
      }
    }
    if (again.length > 0) this.queue.unshift(...again);
    // A connection that never completed a session (a wrong key, a refused client
    // certificate) says the server cannot be used now, as a failed connect does.
    if (connection.completedSessions === 0 && !retry) this.failQueue(error);
    this.pump();
  };
}
