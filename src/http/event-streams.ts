/**
 * GET /v1/events: table changes as Server-Sent Events (HTML Living Standard §9.2) to any
 * number of clients, without ever making the table wait or letting memory grow.
 *
 * Each client is a cursor into the shared EventRing. A change is pushed into the ring and
 * each client is pumped: frames are written until the response's buffer reaches its high
 * water mark (write() returns false); then the client waits for 'drain' and its cursor
 * stays behind, the backlog being the ring itself, shared by all. A client whose cursor
 * falls out of the ring is dropped (it reconnects with Last-Event-ID and is told to
 * resync). So memory is bounded by the ring plus one stream buffer (16 KiB) per client,
 * and publishing costs O(clients) with no I/O waits.
 */
import type { ServerResponse } from 'node:http';
import type { MappingChange, MappingTable } from '../mappings/table.js';
import { EventRing } from './event-ring.js';
import type { ResyncEventBody } from './schemas.js';

export interface EventStreamOptions {
  /** Recent changes kept for Last-Event-ID resume. */
  readonly ringSize: number;
  /** Interval of the keep-alive comment that stops proxies timing an idle stream out. */
  readonly heartbeatMs: number;
  /** Concurrent streams; more are refused with 503. */
  readonly maxClients: number;
}

export const EVENT_STREAM_DEFAULTS: EventStreamOptions = {
  ringSize: 10_000,
  heartbeatMs: 15_000,
  maxClients: 64,
};

/** Sent first: how long a disconnected EventSource waits before reconnecting. */
const RETRY_MS = 3000;
const HEARTBEAT = ': keep-alive\n\n';
const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no', // ask nginx-style proxies not to buffer the stream
};

interface Client {
  readonly res: ServerResponse;
  /** Sequence number of the next change to send. */
  next: number;
}

export class EventStreams {
  private readonly ring: EventRing;
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    table: MappingTable,
    private readonly options: EventStreamOptions,
    /** A client fell out of the ring and was disconnected; `remote` is its address. */
    private readonly onDrop: (remote: string | undefined) => void,
  ) {
    this.ring = new EventRing(options.ringSize);
    this.unsubscribe = table.subscribe((change) => this.publish(change));
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  get maxClients(): number {
    return this.options.maxClients;
  }

  get full(): boolean {
    return this.clients.size >= this.options.maxClients;
  }

  /** Takes over a response: headers, then resume or resync, then live changes. */
  open(res: ServerResponse, lastEventId: string | undefined): void {
    res.writeHead(200, HEADERS);
    res.write(`retry: ${RETRY_MS}\n\n`);
    const client: Client = { res, next: this.ring.head + 1 };
    if (lastEventId !== undefined) {
      const seq = this.ring.parseId(lastEventId);
      if (seq !== undefined && seq + 1 >= this.ring.oldest) client.next = seq + 1;
      else res.write(this.resyncFrame(lastEventId, seq === undefined ? 'unknown' : 'too-old'));
    }
    this.clients.add(client);
    res.on('drain', () => this.pump(client));
    res.on('close', () => this.clients.delete(client));
    res.on('error', () => this.remove(client));
    this.pump(client);
  }

  /**
   * Ends every stream and stops listening to the table (server shutdown). A client with
   * unsent data is cut off rather than ended: a reader that stalled would otherwise hold
   * the shutdown until it read on.
   */
  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const { res } of this.clients) {
      if (res.writableLength > 0) res.destroy();
      else res.end();
    }
    this.clients.clear();
  }

  private publish(change: MappingChange): void {
    this.ring.push(change);
    for (const client of this.clients) this.pump(client);
  }

  private pump(client: Client): void {
    const { res } = client;
    if (res.destroyed || res.writableEnded) return this.remove(client);
    if (client.next < this.ring.oldest) {
      this.onDrop(res.socket?.remoteAddress);
      return this.remove(client);
    }
    if (client.next > this.ring.head || res.writableNeedDrain) return; // nothing new, or resumes on 'drain'
    res.cork();
    while (client.next <= this.ring.head) {
      if (!res.write(this.ring.frame(client.next++))) break; // the rest waits for 'drain'
    }
    res.uncork();
  }

  private beat(): void {
    for (const { res } of this.clients) {
      if (!res.writableNeedDrain) res.write(HEARTBEAT);
    }
  }

  private remove(client: Client): void {
    this.clients.delete(client);
    client.res.destroy();
  }

  private resyncFrame(lastEventId: string, reason: ResyncEventBody['reason']): string {
    const why = reason === 'too-old'
      ? `the changes after this id are no longer held (the server keeps the last ${this.options.ringSize})`
      : 'this id is not from the running server (it restarted, or the id is malformed)';
    const data: ResyncEventBody = {
      reason,
      lastEventId,
      message: `${why}: reload the table with GET /v1/mappings, then apply the events that follow`,
    };
    // The id moves the client to "now", so a reconnect after this resumes from here.
    return `id: ${this.ring.idOf(this.ring.head)}\nevent: resync\ndata: ${JSON.stringify(data)}\n\n`;
  }
}
