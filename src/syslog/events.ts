/**
 * Rare things the syslog sources report (never per accepted message): the lead maps them
 * to log lines and metrics in src/observability. No event carries message content,
 * certificate material or a secret.
 */
import type { Transport } from './message.js';
import type { CloseReason } from './stats.js';

export type SyslogEvent =
  /** A source is bound and receiving. */
  | { readonly type: 'listening'; readonly transport: Transport; readonly address: string; readonly port: number }
  /**
   * Traffic from an address no sender admits over this transport, dropped (UDP) or closed
   * at accept (TCP/TLS). Rate-limited: `suppressed` reports held back since the last one.
   * `yaml` is the config that would admit it (valid YAML, ready to paste under the root);
   * absent when admitting it would weaken a sender that covers the address (senders.ts).
   */
  | {
      readonly type: 'unknown-sender';
      readonly transport: Transport;
      readonly address: string;
      readonly hint: string;
      readonly yaml?: string;
      readonly suppressed: number;
    }
  /** A connection was refused because a connection limit is reached. Rate-limited. */
  | {
      readonly type: 'connection-limit';
      readonly transport: Transport;
      readonly address: string;
      readonly limit: 'maxConnections' | 'maxConnectionsPerSender';
      readonly value: number;
      readonly suppressed: number;
    }
  /** A connection ended for a reason other than the peer closing it or the source stopping. */
  | {
      readonly type: 'connection-closed';
      readonly transport: Transport;
      readonly address: string;
      readonly sender: string;
      readonly reason: CloseReason;
      /** What exactly: the framing failure, TLS error code, certificate problem. */
      readonly detail: string | undefined;
    }
  /** The kernel granted a smaller UDP receive buffer than configured: bursts may be lost. */
  | {
      readonly type: 'receive-buffer-small';
      readonly transport: 'udp';
      readonly requested: number;
      readonly granted: number;
      /** How to raise the kernel's limit. */
      readonly fix: string;
    }
  /** The message handler threw or its promise rejected. Rate-limited. */
  | {
      readonly type: 'handler-error';
      readonly transport: Transport;
      readonly sender: string;
      readonly error: unknown;
      readonly suppressed: number;
    }
  /** The listening socket reported an error after it was bound (e.g. EMFILE at accept). */
  | { readonly type: 'listener-error'; readonly transport: Transport; readonly error: Error };

export type SyslogEventHandler = (event: SyslogEvent) => void;
