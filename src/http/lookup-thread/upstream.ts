/**
 * The lookup thread's way to the main thread: every request it does not answer itself is
 * sent on, streaming both ways (request bodies, Server-Sent Events), to the main thread's
 * fastify app on the internal unix socket. Each client connection gets its own upstream
 * connection, opened at its first such request, starting with a PROXY header naming the
 * client (proxy-header.ts), and closed with it: so the main thread sees every request with
 * the address of the connection it came on, as if it had accepted it itself.
 *
 * Hop-by-hop headers (RFC 9110 §7.6.1) are each side's own and are not passed on; the
 * rest, names and order included, is.
 */
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { proxyHeader } from './proxy-header.js';

/** RFC 9110 §7.6.1 (and the non-standard Proxy-Connection); TE and Trailer: this proxy passes no trailers. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);
/** Expect: 100-continue was answered by the thread's own server; framing of a response is the thread's to choose. */
const REQUEST_ONLY = new Set([...HOP_BY_HOP, 'expect']);
const RESPONSE_ONLY = new Set([...HOP_BY_HOP, 'transfer-encoding']);

/** An answer of the thread's own when the main thread cannot be reached: sent as is. */
export type UpstreamFailure = (res: ServerResponse, err: Error) => void;

/**
 * The headers of `raw` (rawHeaders form) without `dropped` ones and those the Connection
 * header names; `Connection: close` itself stays when `keepClose` (the main server closes
 * after an answer whose request body it did not read, and the client must learn so).
 */
function passedOn(raw: readonly string[], dropped: ReadonlySet<string>, keepClose = false): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') {
      for (const name of raw[i + 1]!.split(',')) (named ??= new Set()).add(name.trim().toLowerCase());
    }
  }
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const close = keepClose && name === 'connection' && raw[i + 1]!.trim().toLowerCase() === 'close';
    if (close || (!dropped.has(name) && !named?.has(name))) kept.push(raw[i]!, raw[i + 1]!);
  }
  return kept;
}

/** One upstream connection at a time for one client connection; it opens with the client's PROXY header. */
class ClientAgent extends Agent {
  readonly #path: string;
  readonly #header: string;

  constructor(path: string, client: Duplex) {
    super({ keepAlive: true, maxSockets: 1 });
    this.#path = path;
    this.#header = proxyHeader(client as Socket);
  }

  override createConnection(): Duplex {
    const socket = connect(this.#path);
    socket.write(this.#header);
    return socket;
  }
}

export class Upstream {
  readonly #path: string;
  readonly #failed: UpstreamFailure;
  readonly #agents = new WeakMap<Duplex, ClientAgent>();

  /** `path`: the main thread's internal socket. */
  constructor(path: string, failed: UpstreamFailure) {
    this.#path = path;
    this.#failed = failed;
  }

  /** Sends `req` on; `body`, when the thread already read it, instead of the (consumed) stream. */
  forward(req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
    const onward = httpRequest({
      agent: this.#agentFor(req.socket),
      method: req.method,
      path: req.url,
      headers: passedOn(req.rawHeaders, REQUEST_ONLY),
      setHost: false,
    }, (answer) => this.#relay(answer, res, onward));
    let clientGone = false;
    onward.on('error', (err) => {
      if (clientGone) return;
      if (!res.headersSent) this.#failed(res, err);
      else res.destroy(err);
    });
    // The client went away before the answer was complete: stop the main thread's work on it.
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      onward.destroy();
    });
    if (body !== undefined) onward.end(body);
    else req.pipe(onward);
  }

  #relay(answer: IncomingMessage, res: ServerResponse, onward: ClientRequest): void {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, passedOn(answer.rawHeaders, RESPONSE_ONLY, true));
    // A stream (no length): its headers leave now, not with its first event.
    if (answer.headers['content-length'] === undefined) res.flushHeaders();
    answer.pipe(res);
    answer.on('error', () => { onward.destroy(); res.destroy(); });
  }

  #agentFor(client: Duplex): ClientAgent {
    let agent = this.#agents.get(client);
    if (!agent) {
      const created = new ClientAgent(this.#path, client);
      this.#agents.set(client, (agent = created));
      client.once('close', () => created.destroy());
    }
    return agent;
  }
}
