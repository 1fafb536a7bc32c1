/**
 * One TCP or TLS syslog connection: framing, back-pressure, idle timeout and why it ended.
 *
 * Back-pressure: when the handler returns a promise, delivery stops at that message and
 * the socket is paused until the promise settles, so at most one received chunk waits in
 * memory per connection. Socket errors are caught here and only end the connection.
 */
import type { Socket } from 'node:net';
import { Framer, type FrameSink } from './framing.js';
import type { MessageHandler, Sender } from './message.js';
import type { SourceReporter } from './reporter.js';
import type { CloseReason, StreamSourceStats } from './stats.js';

/** What a connection needs from the source that accepted it. */
export interface ConnectionHost {
  readonly transport: 'tcp' | 'tls';
  readonly stats: StreamSourceStats;
  readonly handler: MessageHandler;
  readonly reporter: SourceReporter;
  readonly maxMessageBytes: number;
  readonly idleTimeoutMs: number;
  connectionClosed(connection: Connection): void;
}

/** Errors that only mean the peer went away. */
const PEER_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export class Connection implements FrameSink {
  readonly address: string;
  /** The sender admitting this peer; replaced when a new sender table still admits it. */
  sender: Sender;
  /** Why it ended (or is ending); undefined means the peer closed it. */
  reason: CloseReason | undefined;
  detail: string | undefined;

  private readonly framer: Framer;
  /** What messages are read from: the accepted socket, or the TLS socket over it. */
  private stream: Socket;
  private established = false;
  /** A handler promise is outstanding; reading is paused until it settles. */
  private waiting = false;
  /** The source is stopping: close once what was received is delivered. */
  private draining = false;
  private peerEnded = false;
  /** Given up on at the stop deadline: nothing more is delivered. */
  private abandoned = false;
  /** The socket has closed (messages already received may still be delivering). */
  private finished = false;
  private reported = false;

  constructor(
    private readonly host: ConnectionHost,
    private readonly socket: Socket,
    address: string,
    sender: Sender,
  ) {
    this.address = address;
    this.sender = sender;
    this.stream = socket;
    this.framer = new Framer(host.maxMessageBytes, this);
    this.watch(socket);
  }

  /** Read from a stream layered over the socket (TLS) instead of the socket itself. */
  layer(stream: Socket): void {
    this.stream = stream;
    this.watch(stream);
  }

  /** Start reading messages (for TLS: once the handshake is done and the peer verified). */
  begin(): void {
    if (this.finished) return;
    this.established = true;
    const stream = this.stream;
    stream.setTimeout(this.host.idleTimeoutMs);
    stream.on('timeout', this.onTimeout);
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
  }

  get isEstablished(): boolean {
    return this.established;
  }

  /** End the connection now; the first reason given is the one counted. */
  close(reason: CloseReason, detail?: string): void {
    this.reason ??= reason;
    this.detail ??= detail;
    if (this.finished) return;
    this.stream.destroy();
    if (this.stream !== this.socket) this.socket.destroy();
  }

  /** Stop reading, deliver what was already received, then close (the source is stopping). */
  shutdown(): void {
    this.draining = true;
    this.reason ??= 'stopped';
    if (!this.established || this.idle) this.close('stopped');
    else this.stream.pause();
  }

  /** Close now and stop delivering, whatever is pending (the stop deadline passed). */
  abandon(): void {
    this.abandoned = true;
    this.close('stopped');
    this.report();
  }

  // FrameSink: called by the framer while a chunk is pushed.

  message(data: Buffer): boolean {
    const host = this.host;
    host.stats.messages.accepted++;
    let pending: void | Promise<void>;
    try {
      pending = host.handler(data, this.sender, host.transport);
    } catch (error) {
      this.handlerFailed(error);
      return true;
    }
    if (pending === undefined) return true;
    this.waiting = true;
    pending.then(this.onSettled, this.onRejected);
    return false;
  }

  oversize(): void {
    this.host.stats.messages.oversize++;
  }

  malformed(): void {
    this.host.stats.messages.malformed++;
  }

  /** Nothing received is waiting to be delivered. */
  private get idle(): boolean {
    return !this.waiting && !this.framer.holding;
  }

  private watch(stream: Socket): void {
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    const result = this.framer.push(chunk);
    if (result === 'paused') this.stream.pause();
    else if (result === 'failed') this.framingFailed();
  };

  /** The handler's promise settled: deliver the rest of the held chunk (even if the socket closed meanwhile). */
  private readonly onSettled = (): void => {
    this.waiting = false;
    if (this.abandoned) return;
    const result = this.framer.resume();
    if (result === 'paused') return;
    if (result === 'failed') {
      this.framingFailed();
      this.report();
      return;
    }
    if (this.peerEnded) this.framer.end();
    if (this.waiting) return; // the last message also returned a promise
    if (this.finished) this.report();
    else if (this.draining) this.close('stopped');
    else this.stream.resume();
  };

  private readonly onRejected = (error: unknown): void => {
    this.handlerFailed(error);
    this.onSettled();
  };

  /** The peer finished sending: a last LF-framed message may lack its LF (RFC 6587 §3.4.2 senders often omit it). */
  private readonly onEnd = (): void => {
    this.peerEnded = true;
    if (this.idle) this.framer.end(); // else after the held messages, in onSettled
  };

  private readonly onTimeout = (): void => {
    // Paused by back-pressure is not idle: wait another period.
    if (this.waiting) this.stream.setTimeout(this.host.idleTimeoutMs);
    else this.close('idle_timeout');
  };

  private readonly onError = (error: NodeJS.ErrnoException): void => {
    if (this.reason !== undefined) return;
    const code = error.code ?? error.message;
    if (!this.established && this.stream !== this.socket) {
      this.reason = 'handshake_failed';
      this.detail = code;
    } else if (!PEER_GONE.has(code)) {
      this.reason = 'socket_error';
      this.detail = code;
    }
  };

  private readonly onClose = (): void => {
    if (this.finished) return;
    this.finished = true;
    this.socket.destroy();
    this.stream.destroy();
    this.report();
  };

  /** Tell the source this connection is over, once its socket closed and nothing waits to be delivered. */
  private report(): void {
    if (this.reported || (!this.abandoned && !(this.finished && this.idle))) return;
    this.reported = true;
    // Closed mid-frame (idle timeout, reset, stop): that partial frame is unusable input.
    if (this.framer.discard()) this.host.stats.messages.malformed++;
    this.host.connectionClosed(this);
  }

  private framingFailed(): void {
    this.host.stats.messages.malformed++;
    this.close('framing_error', this.framer.failure);
  }

  private handlerFailed(error: unknown): void {
    this.host.stats.handlerErrors++;
    this.host.reporter.handlerError(this.sender, error);
  }
}
