/**
 * The syslog sources a config enables, started and stopped together: what app.ts wires.
 * TLS file paths in the config must already be resolved against the config file's folder.
 */
import type { SyslogConfig } from '../config/schema.js';
import type { SyslogEventHandler } from './events.js';
import type { MessageHandler } from './message.js';
import type { SenderTable } from './senders.js';
import { TcpSource } from './tcp.js';
import { TlsSource } from './tls.js';
import { UdpSource } from './udp.js';

export type SyslogSource = UdpSource | TcpSource | TlsSource;

export interface SyslogSourcesOptions {
  readonly senders: SenderTable;
  readonly handler: MessageHandler;
  readonly onEvent?: SyslogEventHandler;
}

export class SyslogSources {
  readonly sources: readonly SyslogSource[];

  constructor(config: SyslogConfig, options: SyslogSourcesOptions) {
    const { senders, handler, onEvent } = options;
    const stream = {
      maxMessageBytes: config.maxMessageBytes,
      maxConnections: config.maxConnections,
      maxConnectionsPerSender: config.maxConnectionsPerSender,
      idleTimeoutMs: config.idleTimeoutSeconds * 1000,
      senders,
      handler,
      onEvent,
    };
    const sources: SyslogSource[] = [];
    if (config.udp.enabled) {
      const { host, port, receiveBufferBytes } = config.udp;
      sources.push(new UdpSource({ host, port, receiveBufferBytes, maxMessageBytes: config.maxMessageBytes, senders, handler, onEvent }));
    }
    if (config.tls.enabled) {
      const { host, port, cert, key, ca, requireClientCert } = config.tls;
      sources.push(new TlsSource({
        ...stream, host, port, cert, key, ca, requireClientCert, handshakeTimeoutMs: config.handshakeTimeoutSeconds * 1000,
      }));
    }
    if (config.tcp.enabled) {
      const { host, port } = config.tcp;
      sources.push(new TcpSource({ ...stream, host, port }));
    }
    this.sources = sources;
  }

  /** Starts every source; if one cannot, stops those that did and rejects with its error. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.sources.map((source) => source.start()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await this.stop();
      throw failure.reason;
    }
  }

  /** Stops accepting everywhere, drains the streams, closes everything. */
  async stop(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.stop()));
  }

  /** Swaps the sender allow-list of every source (see StreamSource.setSenders). */
  setSenders(table: SenderTable): void {
    for (const source of this.sources) source.setSenders(table);
  }
}
