/**
 * Plain numeric counters of the syslog sources. Components only increment them; the lead
 * exports them through prom-client (`uid_syslog_messages_total{transport,outcome}` takes
 * the keys of `messages` as its `outcome` label values, unchanged).
 */

/**
 * What happened to a message (docs/syslog.md "Counters"):
 * - accepted: handed to the pipeline;
 * - unknown_sender: from an address (or over a transport) no sender admits; never parsed.
 *   UDP counts datagrams, streams count refused connections under `connections.refused`;
 * - oversize: a datagram or LF frame longer than maxMessageBytes, dropped;
 * - malformed: unusable input — a framing error that closed a connection, a datagram or
 *   frame that is empty once trailing CR/LF/NUL are removed (NUL-only input), an
 *   octet-counted frame cut off by the peer closing, any frame left unfinished when the
 *   connection is closed on our side or reset (idle timeout, reset, stop).
 */
export const MESSAGE_OUTCOMES = ['accepted', 'unknown_sender', 'oversize', 'malformed'] as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];
export type MessageCounters = Record<MessageOutcome, number>;

/** Why a stream connection was closed at accept, before any byte was read. */
export const REFUSE_REASONS = ['unknown_sender', 'max_connections', 'max_connections_per_sender', 'stopping'] as const;
export type RefuseReason = (typeof REFUSE_REASONS)[number];

/** Why an accepted stream connection ended. */
export const CLOSE_REASONS = [
  'peer', // the sender closed it
  'idle_timeout',
  'handshake_timeout',
  'handshake_failed', // TLS handshake error (protocol, cipher, bad certificate)
  'certificate_rejected', // missing, untrusted or unpinned client certificate
  'framing_error', // a bad octet count (RFC 6587 §3.4.1)
  'sender_removed', // a sender table swap no longer admits it
  'socket_error',
  'stopped', // the source stopped
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

export interface ConnectionCounters {
  /** Connections open now (a gauge). */
  open: number;
  accepted: number;
  refused: Record<RefuseReason, number>;
  closed: Record<CloseReason, number>;
}

export interface UdpSourceStats {
  readonly messages: MessageCounters;
  /** The handler threw; the message counts as accepted. */
  handlerErrors: number;
}

export interface StreamSourceStats extends UdpSourceStats {
  readonly connections: ConnectionCounters;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const counters = {} as Record<K, number>;
  for (const key of keys) counters[key] = 0;
  return counters;
}

export function newUdpStats(): UdpSourceStats {
  return { messages: zeroes(MESSAGE_OUTCOMES), handlerErrors: 0 };
}

/** Adds the message counters of `from` into `into`. */
export function addUdpStats(into: UdpSourceStats, from: UdpSourceStats): void {
  for (const outcome of MESSAGE_OUTCOMES) into.messages[outcome] += from.messages[outcome];
  into.handlerErrors += from.handlerErrors;
}

export function newStreamStats(): StreamSourceStats {
  return {
    messages: zeroes(MESSAGE_OUTCOMES),
    handlerErrors: 0,
    connections: { open: 0, accepted: 0, refused: zeroes(REFUSE_REASONS), closed: zeroes(CLOSE_REASONS) },
  };
}
