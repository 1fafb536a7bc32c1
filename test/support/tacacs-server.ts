/**
 * A TACACS+ accounting server for tests, written from RFC 8907 (§4.1 header, §4.3 single
 * connection, §4.5 obfuscation, §7.1 REQUEST, §7.2 REPLY) and RFC 9887 (TLS 1.3), not
 * from our client: nothing here imports src/accounting, so a misreading of the RFC in the
 * client cannot hide behind the same misreading here.
 *
 * It listens on 127.0.0.1:0, checks every packet, records every valid request and answers
 * SUCCESS. What it does can be switched at run time (`behaviour`, `failNext`), and it
 * checks the client's side of §4.3: a second packet on a connection before single-connect
 * was established is a protocol violation (logged in `violations`, connection closed).
 */
import { createHash } from 'node:crypto';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createServer as createTlsServer } from 'node:tls';

export type ReplyKind = 'success' | 'error' | 'follow' | 'hang' | 'close';

export interface Behaviour {
  /** success/error/follow: answer with that status; hang: never answer; close: close on receipt. */
  reply: ReplyKind;
  /** Echo TAC_PLUS_SINGLE_CONNECT_FLAG when the client asks (§4.3); false refuses it. */
  singleConnect: boolean;
  /** Use this key instead of the configured one (a shared-secret mismatch). */
  keyOverride: string | null;
  /** Wait this long before each reply. */
  delayMs: number;
  /** Hold replies until this many wait on one connection, then send them newest first. */
  reverseBatch: number;
}

export interface RecordedRequest {
  /** 1-based number of the connection it came on. */
  readonly connection: number;
  readonly sessionId: number;
  readonly seqNo: number;
  readonly headerFlags: number;
  readonly singleConnectAsked: boolean;
  readonly unencrypted: boolean;
  /** §7.1 body. */
  readonly flags: number;
  readonly authenMethod: number;
  readonly privLvl: number;
  readonly authenType: number;
  readonly authenService: number;
  readonly user: string;
  readonly port: string;
  readonly remAddr: string;
  readonly args: readonly string[];
}

export interface TestServerOptions {
  /** Shared secret (plain TCP). */
  readonly key?: string;
  /** TLS 1.3 with client-certificate verification against `ca`. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer };
}

const VALID_ACCT_FLAGS = new Set([0x02, 0x04, 0x08, 0x0a]);

/** §4.5, computed from the RFC's formula: the pad for a body of `length` octets. */
function pseudoPad(sessionId: Buffer, key: Buffer, version: number, seqNo: number, length: number): Buffer {
  const pad = Buffer.alloc(length);
  const prefix = Buffer.concat([sessionId, key, Buffer.from([version, seqNo])]);
  let previous = Buffer.alloc(0);
  for (let at = 0; at < length; at += 16) {
    previous = createHash('md5').update(Buffer.concat([prefix, previous])).digest();
    previous.copy(pad, at, 0, Math.min(16, length - at));
  }
  return pad;
}

function xorInPlace(body: Buffer, pad: Buffer): void {
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ pad[i]!;
}

interface ConnectionState {
  readonly id: number;
  readonly socket: Socket;
  buffered: Buffer;
  sessions: number;
  /** Sessions whose reply has not been written yet. */
  open: number;
  single: boolean;
  held: Buffer[];
}

export class TacacsTestServer {
  readonly requests: RecordedRequest[] = [];
  /** Why packets were refused (bad header, bad body, §4.3 violations). */
  readonly violations: string[] = [];
  connectionsAccepted = 0;
  /** TLS connections that resumed an earlier session with a ticket (RFC 9887 §3.6). */
  resumedConnections = 0;
  behaviour: Behaviour = { reply: 'success', singleConnect: true, keyOverride: null, delayMs: 0, reverseBatch: 0 };
  private readonly overrides: ReplyKind[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  private server: Server;
  private boundPort = 0;

  private constructor(private readonly options: TestServerOptions) {
    this.server = this.createListener();
  }

  static async start(options: TestServerOptions): Promise<TacacsTestServer> {
    const server = new TacacsTestServer(options);
    await server.listen(0);
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** The next `count` requests get `reply` instead of `behaviour.reply`. */
  failNext(count: number, reply: ReplyKind): void {
    for (let i = 0; i < count; i++) this.overrides.push(reply);
  }

  /** Resolves once `predicate` holds (checked after every request and connection change). */
  waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`test TACACS+ server: ${what} not reached within ${timeoutMs} ms (${this.requests.length} requests)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  waitForRequests(count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.requests.length >= count, timeoutMs, `${count} requests`);
  }

  /** Destroys every connection but keeps listening. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Stops listening and destroys every connection at once (a crashed server). */
  kill(): Promise<void> {
    this.dropConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Stops listening and closes every connection. */
  stop(): Promise<void> {
    for (const socket of this.sockets) socket.end();
    return this.kill();
  }

  /** Listens again on the same port after kill() or stop(). */
  async restart(): Promise<void> {
    this.server = this.createListener();
    await this.listen(this.boundPort);
  }

  private createListener(): Server {
    const tls = this.options.tls;
    if (tls === undefined) return createTcpServer((socket) => this.accept(socket));
    return createTlsServer({
      cert: tls.cert,
      key: tls.key,
      ca: tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    }, (socket) => this.accept(socket));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address !== null && typeof address === 'object') this.boundPort = address.port;
        resolve();
      });
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private accept(socket: Socket): void {
    this.connectionsAccepted++;
    if (socket instanceof TLSSocket && socket.isSessionReused()) this.resumedConnections++;
    this.sockets.add(socket);
    const state: ConnectionState = {
      id: this.connectionsAccepted, socket, buffered: Buffer.alloc(0), sessions: 0, open: 0, single: false, held: [],
    };
    socket.on('data', (chunk: Buffer) => this.onData(state, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.notify();
    });
    this.notify();
  }

  private refuse(state: ConnectionState, why: string): void {
    this.violations.push(`connection ${state.id}: ${why}`);
    state.socket.destroy();
    this.notify();
  }

  private onData(state: ConnectionState, chunk: Buffer): void {
    state.buffered = Buffer.concat([state.buffered, chunk]);
    state.socket.cork(); // the replies to one chunk of requests leave in one write
    try {
      while (state.buffered.length >= 12 && !state.socket.destroyed) {
        const length = state.buffered.readUInt32BE(8);
        if (length > 65536) return this.refuse(state, `body length ${length} over the 2^16 limit (§4.1)`);
        if (state.buffered.length < 12 + length) return;
        const packet = Buffer.from(state.buffered.subarray(0, 12 + length));
        state.buffered = state.buffered.subarray(12 + length);
        this.onPacket(state, packet);
      }
    } finally {
      state.socket.uncork();
    }
  }

  private onPacket(state: ConnectionState, packet: Buffer): void {
    const version = packet[0]!;
    const seqNo = packet[2]!;
    const headerFlags = packet[3]!;
    // §4.1 major 0xc; §5.4.1 accounting uses minor_version 0.
    if (version !== 0xc0) return this.refuse(state, `version 0x${version.toString(16)}`);
    if (packet[1] !== 0x03) return this.refuse(state, `type ${packet[1]!} is not accounting`);
    if (seqNo !== 1) return this.refuse(state, `seq_no ${seqNo}: an accounting session starts at 1`);
    if (state.sessions > 0 && !state.single) {
      return this.refuse(state, 'second packet before single-connect was established (§4.3)');
    }
    state.sessions++;
    state.open++;
    const singleConnectAsked = (headerFlags & 0x04) !== 0;
    const unencrypted = (headerFlags & 0x01) !== 0;
    const tls = this.options.tls !== undefined;
    const key = Buffer.from(this.behaviour.keyOverride ?? this.options.key ?? '', 'utf8');
    const sessionId = packet.subarray(4, 8);
    const first = state.sessions === 1;
    if (!tls && unencrypted) return this.refuse(state, 'TAC_PLUS_UNENCRYPTED_FLAG on a non-TLS connection (§4.5: drop)');
    if (tls && !unencrypted) {
      // RFC 9887 §4: answer ERROR with the flag set, and end the session.
      this.violations.push(`connection ${state.id}: obfuscated packet over TLS`);
      this.reply(state, packet, 0x02, 'obfuscation over TLS', first && singleConnectAsked, true);
      return;
    }

    const body = packet.subarray(12);
    if (!tls) xorInPlace(body, pseudoPad(sessionId, key, version, seqNo, body.length));
    const request = this.parseBody(state, packet, body, singleConnectAsked, unencrypted);
    if (typeof request === 'string') {
      // §4.5: lengths that do not add up (a key mismatch) MUST be answered with ERROR.
      this.violations.push(`connection ${state.id}: ${request}`);
      this.reply(state, packet, 0x02, 'bad request', first && singleConnectAsked, true);
      return;
    }
    this.requests.push(request);
    this.notify();

    const kind = this.overrides.shift() ?? this.behaviour.reply;
    if (kind === 'close') {
      state.socket.destroy();
      return;
    }
    if (kind === 'hang') return;
    const status = kind === 'success' ? 0x01 : kind === 'error' ? 0x02 : 0x21;
    const answer = (): void => this.reply(state, packet, status, kind === 'success' ? '' : `told to answer ${kind}`, first && singleConnectAsked, false);
    if (this.behaviour.delayMs > 0) setTimeout(answer, this.behaviour.delayMs);
    else answer();
  }

  /** §7.1 body checks; returns the request or why it is invalid. */
  private parseBody(state: ConnectionState, packet: Buffer, body: Buffer, singleConnectAsked: boolean, unencrypted: boolean): RecordedRequest | string {
    if (body.length < 9) return `body of ${body.length} octets is shorter than the fixed fields`;
    const flags = body[0]!;
    if (!VALID_ACCT_FLAGS.has(flags)) return `accounting flags 0x${flags.toString(16)} are not a valid combination (§7.1)`;
    const userLength = body[5]!;
    const portLength = body[6]!;
    const remAddrLength = body[7]!;
    const argCount = body[8]!;
    let total = 9 + argCount + userLength + portLength + remAddrLength;
    for (let i = 0; i < argCount; i++) total += body[9 + i] ?? 0;
    if (total !== body.length) return `field lengths add up to ${total}, body is ${body.length} (key mismatch?)`;
    let at = 9 + argCount;
    const text = (length: number): string => {
      const value = body.toString('utf8', at, at + length);
      at += length;
      return value;
    };
    const user = text(userLength);
    const port = text(portLength);
    const remAddr = text(remAddrLength);
    const args: string[] = [];
    for (let i = 0; i < argCount; i++) args.push(text(body[9 + i]!));
    return {
      connection: state.id,
      sessionId: packet.readUInt32BE(4),
      seqNo: packet[2]!,
      headerFlags: packet[3]!,
      singleConnectAsked,
      unencrypted,
      flags,
      authenMethod: body[1]!,
      privLvl: body[2]!,
      authenType: body[3]!,
      authenService: body[4]!,
      user,
      port,
      remAddr,
      args,
    };
  }

  /** §7.2 REPLY: server_msg_len, data_len, status, server_msg; then §4.3 connection handling. */
  private reply(state: ConnectionState, request: Buffer, status: number, message: string, echoSingle: boolean, thenClose: boolean): void {
    if (state.socket.destroyed) return;
    const tls = this.options.tls !== undefined;
    const msg = Buffer.from(message, 'utf8');
    const packet = Buffer.alloc(12 + 5 + msg.length);
    packet[0] = 0xc0;
    packet[1] = 0x03;
    packet[2] = request[2]! + 1;
    const single = echoSingle && this.behaviour.singleConnect && !thenClose;
    packet[3] = (tls ? 0x01 : 0) | (single ? 0x04 : 0);
    request.copy(packet, 4, 4, 8);
    packet.writeUInt32BE(5 + msg.length, 8);
    packet.writeUInt16BE(msg.length, 12);
    packet.writeUInt16BE(0, 14);
    packet[16] = status;
    msg.copy(packet, 17);
    if (!tls) {
      const key = Buffer.from(this.behaviour.keyOverride ?? this.options.key ?? '', 'utf8');
      xorInPlace(packet.subarray(12), pseudoPad(packet.subarray(4, 8), key, packet[0], packet[2], packet.length - 12));
    }
    if (state.sessions === 1 && single) state.single = true;
    state.open--;
    if (this.behaviour.reverseBatch > 1 && !thenClose) {
      state.held.push(packet);
      if (state.held.length < this.behaviour.reverseBatch) return;
      const held = state.held.reverse();
      state.held = [];
      state.socket.write(Buffer.concat(held));
    } else {
      state.socket.write(packet);
    }
    // §4.3/§4.4: without single-connect, or after an ERROR for a bad packet, close when done.
    if (thenClose || (!state.single && state.open === 0)) state.socket.end();
  }
}
