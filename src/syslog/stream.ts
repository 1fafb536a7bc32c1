/**
 * What TCP and TLS syslog sources share: the listening socket, admission at accept (the
 * sender allow-list and connection limits, before any byte is read or a TLS handshake
 * begins), sender-table swaps, and an orderly stop.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionHost } from './connection.js';
import type { SyslogEventHandler } from './events.js';
import { listenError } from './listen-error.js';
import type { MessageHandler } from './message.js';
import { SourceReporter } from './reporter.js';
import type { SenderTable } from './senders.js';
import { newStreamStats, type StreamSourceStats } from './stats.js';

export interface StreamSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
  /** Open connections at once, all senders together. */
  readonly maxConnections: number;
  /** Open connections at once from one remote address. */
  readonly maxConnectionsPerSender: number;
  /** Close a connection that sent nothing for this long. */
  readonly idleTimeoutMs: number;
  readonly senders: SenderTable;
  readonly handler: MessageHandler;
  readonly onEvent?: SyslogEventHandler;
  /** At stop, how long to wait for handler promises before closing anyway (default 5 s). */
  readonly drainTimeoutMs?: number;
}

const ignore = (): void => {};

export abstract class StreamSource implements ConnectionHost {
  readonly stats: StreamSourceStats = newStreamStats();
  readonly handler: MessageHandler;
  readonly reporter: SourceReporter;
  readonly maxMessageBytes: number;
  readonly idleTimeoutMs: number;

  protected senders: SenderTable;
  private server: Server | undefined;
  private stopping = false;
  private readonly connections = new Set<Connection>();
  private readonly perAddress = new Map<string, number>();
  /** Resolves stop() once the last connection has delivered and closed. */
  private drained: (() => void) | undefined;

  constructor(
    readonly transport: 'tcp' | 'tls',
    protected readonly options: StreamSourceOptions,
  ) {
    this.senders = options.senders;
    this.handler = options.handler;
    this.maxMessageBytes = options.maxMessageBytes;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.reporter = new SourceReporter(transport, options.onEvent);
  }

  /** Resolves once bound; rejects with UID_ERR_LISTEN (one line with the fix). */
  start(): Promise<void> {
    const { host, port } = this.options;
    const server = createServer({ allowHalfOpen: false });
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        server.close();
        reject(listenError(error, `syslog ${this.transport}`, host, port, `syslog.${this.transport}.port`));
      };
      server.once('error', failed);
      server.listen({ host, port }, () => {
        server.off('error', failed);
        server.on('error', (error) => this.reporter.emit({ type: 'listener-error', transport: this.transport, error }));
        server.on('connection', this.onConnection);
        this.server = server;
        this.stopping = false;
        const bound = server.address() as AddressInfo;
        this.reporter.emit({ type: 'listening', transport: this.transport, address: bound.address, port: bound.port });
        resolve();
      });
    });
  }

  /**
   * Stops accepting, lets each connection deliver what it already received (waiting for
   * handler promises up to drainTimeoutMs), closes every connection, then resolves.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server || this.stopping) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const drained = new Promise<void>((resolve) => { this.drained = resolve; });
    for (const connection of this.connections) connection.shutdown();
    this.checkDrained();
    const deadline = setTimeout(() => {
      for (const connection of [...this.connections]) connection.abandon();
    }, this.options.drainTimeoutMs ?? 5000);
    try {
      await Promise.all([closed, drained]);
    } finally {
      clearTimeout(deadline);
      this.server = undefined;
    }
  }

  /**
   * A new allow-list, for new connections and for the open ones: a connection the new
   * table no longer admits is closed (`sender_removed`); the others carry on with the
   * sender entry that now admits them.
   */
  setSenders(table: SenderTable): void {
    this.senders = table;
    for (const connection of this.connections) {
      const sender = table.lookup(connection.address, this.transport);
      if (sender === undefined) {
        connection.close('sender_removed');
        continue;
      }
      connection.sender = sender;
      this.recheck(connection);
    }
  }

  address(): AddressInfo {
    if (!this.server) throw new Error(`${this.transport} source is not started`);
    return this.server.address() as AddressInfo;
  }

  /** Start a connection admitted at accept (TCP: read now; TLS: handshake first). */
  protected abstract open(connection: Connection, socket: Socket): void;

  /** After a sender swap: may this established connection stay with its (new) sender? */
  protected abstract recheck(connection: Connection): void;

  connectionClosed(connection: Connection): void {
    this.connections.delete(connection);
    const left = (this.perAddress.get(connection.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(connection.address, left);
    else this.perAddress.delete(connection.address);
    const counters = this.stats.connections;
    counters.open--;
    const reason = connection.reason ?? 'peer';
    counters.closed[reason]++;
    if (reason !== 'peer' && reason !== 'stopped') {
      this.reporter.emit({
        type: 'connection-closed',
        transport: this.transport,
        address: connection.address,
        sender: connection.sender.name,
        reason,
        detail: connection.detail,
      });
    }
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.connections.size === 0) this.drained?.();
  }

  private readonly onConnection = (socket: Socket): void => {
    socket.on('error', ignore); // until a Connection owns it; a refused socket may still report a reset
    const address = socket.remoteAddress;
    const counters = this.stats.connections;
    if (address === undefined || this.stopping) {
      if (address !== undefined) counters.refused.stopping++;
      socket.destroy(); // undefined: the peer is already gone
      return;
    }
    const sender = this.senders.lookup(address, this.transport);
    if (sender === undefined) {
      counters.refused.unknown_sender++;
      this.stats.messages.unknown_sender++;
      this.reporter.unknownSender(address, this.senders);
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.options.maxConnections) {
      counters.refused.max_connections++;
      this.reporter.connectionLimit(address, 'maxConnections', this.options.maxConnections);
      socket.destroy();
      return;
    }
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (fromAddress >= this.options.maxConnectionsPerSender) {
      counters.refused.max_connections_per_sender++;
      this.reporter.connectionLimit(address, 'maxConnectionsPerSender', this.options.maxConnectionsPerSender);
      socket.destroy();
      return;
    }
    socket.off('error', ignore);
    const connection = new Connection(this, socket, address, sender);
    this.connections.add(connection);
    this.perAddress.set(address, fromAddress + 1);
    counters.open++;
    counters.accepted++;
    this.open(connection, socket);
  };
}
