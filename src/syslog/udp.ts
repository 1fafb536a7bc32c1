/**
 * Syslog over UDP (RFC 5426): one datagram is one message; a datagram holding several
 * LF-separated messages (some relays batch) yields each, empty lines skipped. Host `::`
 * listens on IPv6 and, where the system allows (net.ipv6.bindv6only=0), IPv4 too.
 *
 * The per-datagram path allocates nothing beyond what node:dgram hands over (a slice only
 * when a trailing CR/LF must go) and does one Map lookup for the sender. Loss at the
 * socket is silent, so a large receive buffer is requested and what the kernel granted is
 * checked (kernel-drops.ts reads the drops it does count).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { SyslogEventHandler } from './events.js';
import { trimmedEnd } from './framing.js';
import { listenError } from './listen-error.js';
import type { MessageHandler, Sender } from './message.js';
import { SourceReporter } from './reporter.js';
import type { SenderTable } from './senders.js';
import { newUdpStats, type UdpSourceStats } from './stats.js';

export interface UdpSourceOptions {
  readonly host: string;
  readonly port: number;
  /** SO_RCVBUF to request. */
  readonly receiveBufferBytes: number;
  readonly maxMessageBytes: number;
  readonly senders: SenderTable;
  readonly handler: MessageHandler;
  readonly onEvent?: SyslogEventHandler;
}

const LF = 0x0a;
const CR = 0x0d;

export class UdpSource {
  readonly transport = 'udp' as const;
  readonly stats: UdpSourceStats = newUdpStats();
  /** The receive buffer the kernel granted (usable bytes), known once started. */
  receiveBufferBytes = 0;

  private socket: Socket | undefined;
  private senders: SenderTable;
  private readonly handler: MessageHandler;
  private readonly maxMessageBytes: number;
  private readonly reporter: SourceReporter;

  constructor(private readonly options: UdpSourceOptions) {
    this.senders = options.senders;
    this.handler = options.handler;
    this.maxMessageBytes = options.maxMessageBytes;
    this.reporter = new SourceReporter('udp', options.onEvent);
  }

  /** Resolves once bound; rejects with UID_ERR_LISTEN (one line with the fix). */
  start(): Promise<void> {
    const { host, port } = this.options;
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        socket.close();
        reject(listenError(error, 'syslog udp', host, port, 'syslog.udp.port'));
      };
      socket.once('error', failed);
      socket.bind({ address: host, port }, () => {
        socket.off('error', failed);
        socket.on('error', (error) => this.reporter.emit({ type: 'listener-error', transport: 'udp', error }));
        this.socket = socket;
        this.sizeReceiveBuffer(socket);
        socket.on('message', this.onMessage);
        const bound = socket.address();
        this.reporter.emit({ type: 'listening', transport: 'udp', address: bound.address, port: bound.port });
        resolve();
      });
    });
  }

  /** Stops receiving; a datagram is handled synchronously, so nothing is in flight. */
  stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  /** Takes effect for the next datagram. */
  setSenders(table: SenderTable): void {
    this.senders = table;
  }

  address(): AddressInfo {
    if (!this.socket) throw new Error('UdpSource is not started');
    return this.socket.address();
  }

  private readonly onMessage = (data: Buffer, remote: RemoteInfo): void => {
    const sender = this.senders.lookup(remote.address, 'udp');
    const counters = this.stats.messages;
    if (sender === undefined) {
      counters.unknown_sender++;
      this.reporter.unknownSender(remote.address, this.senders);
      return;
    }
    if (data.length > this.maxMessageBytes) {
      counters.oversize++;
      return;
    }
    const end = trimmedEnd(data, 0, data.length);
    if (end === 0) {
      counters.malformed++;
      return;
    }
    const lf = data.indexOf(LF);
    if (lf === -1 || lf >= end) {
      this.deliver(end === data.length ? data : data.subarray(0, end), sender);
    } else {
      this.deliverBatch(data, end, sender);
    }
  };

  /** A datagram of several LF-separated messages (some relays batch). */
  private deliverBatch(data: Buffer, end: number, sender: Sender): void {
    let start = 0;
    while (start < end) {
      let lf = data.indexOf(LF, start);
      if (lf === -1 || lf > end) lf = end;
      const isEmptyLine = lf === start || (lf === start + 1 && data[start] === CR);
      if (!isEmptyLine) {
        const stop = trimmedEnd(data, start, lf);
        if (stop === start) this.stats.messages.malformed++;
        else this.deliver(data.subarray(start, stop), sender);
      }
      start = lf + 1;
    }
  }

  private deliver(message: Buffer, sender: Sender): void {
    this.stats.messages.accepted++;
    try {
      // UDP cannot pause, so a returned promise only needs its rejection caught.
      const pending = this.handler(message, sender, 'udp');
      if (pending !== undefined) pending.then(undefined, (error: unknown) => this.handlerFailed(sender, error));
    } catch (error) {
      this.handlerFailed(sender, error);
    }
  }

  private handlerFailed(sender: Sender, error: unknown): void {
    this.stats.handlerErrors++;
    this.reporter.handlerError(sender, error);
  }

  private sizeReceiveBuffer(socket: Socket): void {
    const requested = this.options.receiveBufferBytes;
    try {
      socket.setRecvBufferSize(requested);
    } catch {
      // Refused outright; what is left is reported below.
    }
    // Linux doubles the value for its bookkeeping and getsockopt returns the double (socket(7)).
    const granted = socket.getRecvBufferSize();
    this.receiveBufferBytes = process.platform === 'linux' ? Math.floor(granted / 2) : granted;
    if (this.receiveBufferBytes < requested) {
      this.reporter.emit({
        type: 'receive-buffer-small',
        transport: 'udp',
        requested,
        granted: this.receiveBufferBytes,
        fix: `raise the kernel limit: sysctl -w net.core.rmem_max=${requested} (persist it in /etc/sysctl.d/), then restart`,
      });
    }
  }
}
