/**
 * A TACACS+ accounting sink for the soak run (scripts/soak.mjs), written from RFC 8907
 * like test/support/tacacs-server.ts but in plain JavaScript and lean: it de-obfuscates
 * each REQUEST (§4.5), reads its flags and arguments (§7.1), counts it, and answers
 * SUCCESS (§7.2), keeping the connection when the client asks for single-connect (§4.3).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';

const FLAG_START = 0x02;
const FLAG_STOP = 0x04;
const FLAG_WATCHDOG = 0x08;
const SINGLE_CONNECT = 0x04;

export class TacacsSink {
  /**
   * Records by kind, each session's START and STOP counted once; `duplicates` are records
   * received again (at-least-once resends); `system` counts service=system records apart.
   */
  counts = { start: 0, stop: 0, watchdog: 0, system: 0, duplicates: 0, invalid: 0 };
  /** Sessions whose START arrived and STOP not yet: memory follows the active sessions. */
  #open = new Set();

  #key;
  #server;
  #sockets = new Set();

  constructor(key) {
    this.#key = Buffer.from(key, 'utf8');
    this.#server = createServer((socket) => this.#accept(socket));
  }

  listen() {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve(this.#server.address().port)));
  }

  close() {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket) {
    this.#sockets.add(socket);
    let buffered = Buffer.alloc(0);
    let single = false;
    socket.on('error', () => {});
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const replies = [];
      while (buffered.length >= 12) {
        const length = buffered.readUInt32BE(8);
        if (buffered.length < 12 + length) break;
        const packet = buffered.subarray(0, 12 + length);
        buffered = buffered.subarray(12 + length);
        if (packet[3] & SINGLE_CONNECT) single = true;
        replies.push(this.#reply(packet, single));
      }
      if (replies.length > 0) socket.write(replies.length === 1 ? replies[0] : Buffer.concat(replies));
    });
  }

  /** §4.5: the pseudo-pad for a body of `length` octets. */
  #pad(sessionId, version, seqNo, length) {
    const pad = Buffer.allocUnsafe(Math.ceil(length / 16) * 16);
    const prefix = Buffer.concat([sessionId, this.#key, Buffer.from([version, seqNo])]);
    let previous = Buffer.alloc(0);
    for (let at = 0; at < length; at += 16) {
      previous = createHash('md5').update(prefix).update(previous).digest();
      previous.copy(pad, at);
    }
    return pad;
  }

  #reply(packet, single) {
    const sessionId = packet.subarray(4, 8);
    const body = Buffer.from(packet.subarray(12));
    const pad = this.#pad(sessionId, packet[0], packet[2], body.length);
    for (let i = 0; i < body.length; i++) body[i] ^= pad[i];
    this.#count(body);
    const reply = Buffer.alloc(12 + 5);
    reply[0] = packet[0];
    reply[1] = 0x03;
    reply[2] = packet[2] + 1;
    reply[3] = single ? SINGLE_CONNECT : 0;
    sessionId.copy(reply, 4);
    reply.writeUInt32BE(5, 8);
    reply[16] = 0x01; // SUCCESS; server_msg and data empty
    const replyPad = this.#pad(sessionId, reply[0], reply[2], 5);
    for (let i = 0; i < 5; i++) reply[12 + i] ^= replyPad[i];
    return reply;
  }

  /** §7.1: flags, then the argument list; `service=system` marks the listener's own records. */
  #count(body) {
    if (body.length < 9) {
      this.counts.invalid++;
      return;
    }
    const flags = body[0];
    const argCount = body[8];
    let at = 9 + argCount + body[5] + body[6] + body[7];
    let system = false;
    let task = '';
    for (let i = 0; i < argCount; i++) {
      const length = body[9 + i];
      const arg = body.toString('latin1', at, at + length);
      if (arg === 'service=system') system = true;
      else if (arg.startsWith('task_id=')) task = arg.slice(8);
      at += length;
    }
    if (at !== body.length || task === '') this.counts.invalid++;
    else if (system) this.counts.system++;
    else if (flags === FLAG_START) this.#session(task, true);
    else if (flags === FLAG_STOP) this.#session(task, false);
    else if (flags & FLAG_WATCHDOG) this.counts.watchdog++;
    else this.counts.invalid++;
  }

  /** A START opens its session, a STOP closes it; anything else is a repeat (records of one session arrive in order). */
  #session(task, start) {
    if (start ? this.#open.has(task) : !this.#open.has(task)) {
      this.counts.duplicates++;
    } else if (start) {
      this.#open.add(task);
      this.counts.start++;
    } else {
      this.#open.delete(task);
      this.counts.stop++;
    }
  }
}
