/**
 * GET /v1/events read with fetch and a stream reader instead of EventSource, because
 * EventSource cannot send an Authorization header (and a token in the URL would end up in
 * proxy logs). Parsing follows the HTML Living Standard §9.2.6 "Interpreting an event
 * stream": lines end in CRLF, LF or CR; a blank line dispatches; `:` starts a comment; one
 * space after the colon is dropped; `id`, `event`, `data` (joined by LF) and `retry`.
 * It reconnects on its own, sending Last-Event-ID so no change is missed.
 */
import { request, Unauthorized } from './api.js';

export interface ServerEvent { readonly id: string; readonly type: string; readonly data: string }

export class EventStreamParser {
  #buffer = '';
  #type = '';
  #data: string[] = [];
  /** The last `id` seen (sent back as Last-Event-ID) and the server's `retry`. */
  lastId = '';
  retryMs = 3000;

  /** Feeds decoded text; returns the events it completes. */
  push(chunk: string): ServerEvent[] {
    this.#buffer += chunk;
    const events: ServerEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A CR at the very end may be the first half of a CRLF: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): ServerEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#type = '';
        return undefined;
      }
      const event = { id: this.lastId, type: this.#type || 'message', data: this.#data.join('\n') };
      this.#type = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#type = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }
}

export type StreamState = 'live' | 'reconnecting';

/** Reads the stream until `signal` aborts; `onState` says whether it is connected. Errors other than aborts only reconnect. */
export async function followEvents(onEvent: (event: ServerEvent) => void, onState: (state: StreamState) => void, signal: AbortSignal): Promise<void> {
  const parser = new EventStreamParser();
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (parser.lastId) headers['last-event-id'] = parser.lastId;
      const response = await request('/v1/events', { headers, signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState('live');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) onEvent(event);
      }
    } catch (error) {
      if (signal.aborted || error instanceof Unauthorized) throw error;
    }
    onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, parser.retryMs));
  }
}
