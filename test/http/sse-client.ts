/**
 * A minimal Server-Sent Events client for the tests: parses the stream as it arrives
 * (HTML Living Standard §9.2.6: fields, comments, blank-line dispatch) and lets a test
 * wait for a condition on what has arrived so far, with a deadline instead of sleeps.
 */
import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  /** Everything received, as text. */
  text = '';
  ended = false;
  private buffer = '';
  private readonly waiters = new Set<() => void>();

  private constructor(readonly req: ClientRequest, readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.feed(chunk));
    const end = () => { this.ended = true; this.wake(); };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  /** Opens GET /v1/events; resolves once the response headers arrive. */
  static open(port: number, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/events', headers, agent: false });
      req.on('response', (res) => resolve(new SseClient(req, res)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Resolves when `condition` holds on what has arrived; rejects after `timeoutMs`. */
  waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${this.events.length} events: ${JSON.stringify(this.events.slice(-3))}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  waitForEvents(count: number): Promise<void> {
    return this.waitFor(() => this.events.length >= count, `${count} events`);
  }

  close(): void {
    this.req.destroy();
  }

  private feed(chunk: string): void {
    this.text += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) { this.comments.push(line.slice(1).trim()); continue; }
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') { event = value; isEvent = true; }
        else if (field === 'data') { data.push(value); isEvent = true; }
      }
      if (isEvent) this.events.push({ id, event, data: data.join('\n') });
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
