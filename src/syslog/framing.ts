/**
 * Stream framing, byte by byte and chunk-agnostic: RFC 6587 §3.4.1 octet counting (the
 * framing RFC 5425 §4.3 requires for TLS) and §3.4.2 non-transparent LF framing (CR LF
 * accepted). The method is chosen per connection from its first byte: a digit 1-9 starts
 * an octet count (`MSG-LEN = NONZERO-DIGIT *DIGIT`), anything else is LF framing.
 *
 * Messages are handed out as slices of the received chunk; only a message that spans
 * chunks is copied, into a buffer that never grows beyond `maxMessageBytes`.
 * Every message leaves without its trailing CR, LF and NUL bytes.
 */

/** Why a connection's framing cannot continue; the connection is closed. */
export type FramingFailure =
  | 'count-not-digit' // a byte other than a digit (or the SP after one) where a count must be
  | 'count-zero' // a count starting with 0 (RFC 6587: MSG-LEN starts with NONZERO-DIGIT)
  | 'count-too-large'; // a count beyond maxMessageBytes (also any count with too many digits)

/** What the framer tells its owner; called synchronously while a chunk is pushed. */
export interface FrameSink {
  /** A complete message. Return false to stop delivering until `resume()` (back-pressure). */
  message(data: Buffer): boolean;
  /** An LF frame longer than the limit was discarded up to its LF. */
  oversize(): void;
  /** A frame that is empty once trailing CR/LF/NUL are removed (but not a bare empty line). */
  malformed(): void;
}

/** `done`: chunk consumed. `paused`: the sink said stop; call `resume()`. `failed`: see `failure`. */
export type FeedResult = 'done' | 'paused' | 'failed';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const NUL = 0x00;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

// Parser states.
const FRAME_START = 0;
const COUNT = 1;
const BODY = 2;
const LINE = 3;
const FAILED = 4;

/** Index after the last byte that is not a trailing CR, LF or NUL. */
export function trimmedEnd(data: Buffer, start: number, end: number): number {
  while (end > start) {
    const b = data[end - 1];
    if (b !== LF && b !== CR && b !== NUL) break;
    end--;
  }
  return end;
}

export class Framer {
  /** Set once the first byte of the connection has been seen. */
  mode: 'octet-counting' | 'lf' | undefined;
  failure: FramingFailure | undefined;

  private state = FRAME_START;
  private count = 0;
  /** Bytes of a message that spans chunks (octet body or LF line), and how many are filled. */
  private partial: Buffer | undefined;
  private partialLength = 0;
  /** In LF mode: the current frame went over the limit and is skipped up to its LF. */
  private discarding = false;
  /** The unprocessed rest of a chunk while the sink has asked to pause. */
  private held: Buffer | undefined;
  private heldOffset = 0;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly sink: FrameSink,
  ) {}

  /** True while the rest of a chunk waits for `resume()`. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  push(chunk: Buffer): FeedResult {
    if (this.state === FAILED) return 'failed';
    if (this.held !== undefined) throw new Error('Framer.push while paused; wait for resume()');
    return this.run(chunk, 0);
  }

  /** Continue delivering the chunk held by a pause. */
  resume(): FeedResult {
    const held = this.held;
    if (held === undefined) return this.state === FAILED ? 'failed' : 'done';
    this.held = undefined;
    return this.run(held, this.heldOffset);
  }

  private run(buf: Buffer, pos: number): FeedResult {
    const end = buf.length;
    while (pos < end) {
      switch (this.state) {
        case FRAME_START: {
          const b = buf[pos]!;
          if (this.mode === undefined) this.mode = b > DIGIT_0 && b <= DIGIT_9 ? 'octet-counting' : 'lf';
          if (this.mode === 'lf') {
            this.state = LINE;
            break;
          }
          // Stray CR/LF between octet-counted frames: some senders add one the count leaves out.
          if (b === LF || b === CR) { pos++; break; }
          if (b === DIGIT_0) return this.fail('count-zero');
          if (b < DIGIT_0 || b > DIGIT_9) return this.fail('count-not-digit');
          this.count = b - DIGIT_0;
          this.state = COUNT;
          pos++;
          break;
        }
        case COUNT: {
          const b = buf[pos++]!;
          if (b === SP) {
            this.state = BODY;
          } else if (b >= DIGIT_0 && b <= DIGIT_9) {
            this.count = this.count * 10 + (b - DIGIT_0);
            if (this.count > this.maxMessageBytes) return this.fail('count-too-large');
          } else {
            return this.fail('count-not-digit');
          }
          break;
        }
        case BODY: {
          const wanted = this.count - this.partialLength;
          if (this.partial === undefined && end - pos >= wanted) {
            const start = pos;
            pos += wanted;
            this.state = FRAME_START;
            if (!this.deliverFrame(buf, start, pos, false)) return this.hold(buf, pos);
            break;
          }
          this.partial ??= Buffer.allocUnsafe(this.count);
          const n = Math.min(wanted, end - pos);
          buf.copy(this.partial, this.partialLength, pos, pos + n);
          this.partialLength += n;
          pos += n;
          if (this.partialLength === this.count) {
            const message = this.takePartial();
            this.state = FRAME_START;
            if (!this.deliverFrame(message, 0, message.length, false)) return this.hold(buf, pos);
          }
          break;
        }
        case LINE: {
          const lf = buf.indexOf(LF, pos);
          const lineEnd = lf === -1 ? end : lf;
          if (!this.discarding && this.partialLength + (lineEnd - pos) > this.maxMessageBytes) {
            this.discarding = true;
            this.partial = undefined;
            this.partialLength = 0;
            this.sink.oversize();
          }
          if (lf === -1) {
            if (!this.discarding) this.appendLine(buf, pos, end);
            pos = end;
            break;
          }
          const start = pos;
          pos = lf + 1;
          if (this.discarding) {
            this.discarding = false;
            break;
          }
          let more: boolean;
          if (this.partial === undefined) {
            more = this.deliverFrame(buf, start, lf, true);
          } else {
            this.appendLine(buf, start, lf);
            const message = this.takePartial();
            more = this.deliverFrame(message, 0, message.length, true);
          }
          if (!more) return this.hold(buf, pos);
          break;
        }
        default:
          return 'failed';
      }
    }
    return 'done';
  }

  /**
   * The stream ended. A last LF-framed message without its LF is delivered (many senders
   * omit the trailer before closing); an unfinished octet-counted frame is malformed.
   */
  end(): void {
    if (this.state === LINE && !this.discarding && this.partial !== undefined) {
      const message = this.takePartial();
      this.deliverFrame(message, 0, message.length, true);
    } else if (this.state === COUNT || this.state === BODY) {
      this.sink.malformed();
      this.state = FRAME_START;
    }
    this.partial = undefined;
    this.partialLength = 0;
  }

  /**
   * The connection ended before its peer finished (idle timeout, reset, stop): an
   * unfinished frame is dropped. True when there was one, so that the owner counts it as
   * malformed and every byte stream is accounted for. After `end()` there is none.
   */
  discard(): boolean {
    const unfinished = this.state === COUNT || this.state === BODY || (this.state === LINE && this.partial !== undefined && !this.discarding);
    this.partial = undefined;
    this.partialLength = 0;
    if (unfinished) this.state = FRAME_START;
    return unfinished;
  }

  /** Trim and hand out one frame; returns false when the sink asked to pause. */
  private deliverFrame(buf: Buffer, start: number, end: number, isLine: boolean): boolean {
    // An empty line (LF or CR LF alone) separates nothing and is not a message.
    if (isLine && (end === start || (end === start + 1 && buf[start] === CR))) return true;
    const stop = trimmedEnd(buf, start, end);
    if (stop === start) {
      this.sink.malformed();
      return true;
    }
    return this.sink.message(start === 0 && stop === buf.length ? buf : buf.subarray(start, stop));
  }

  /** Copy part of an LF line into the growing partial buffer (doubling, capped at the limit). */
  private appendLine(buf: Buffer, start: number, end: number): void {
    const needed = this.partialLength + (end - start);
    if (this.partial === undefined || this.partial.length < needed) {
      let size = Math.max(this.partial?.length ?? 0, 256);
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.maxMessageBytes));
      if (this.partial !== undefined) this.partial.copy(grown, 0, 0, this.partialLength);
      this.partial = grown;
    }
    buf.copy(this.partial, this.partialLength, start, end);
    this.partialLength = needed;
  }

  /** The completed partial message; the buffer is given away (the handler may keep it). */
  private takePartial(): Buffer {
    const message = this.partial!.subarray(0, this.partialLength);
    this.partial = undefined;
    this.partialLength = 0;
    return message;
  }

  /** Keep the rest of the chunk (if any) until `resume()`. */
  private hold(buf: Buffer, pos: number): FeedResult {
    this.held = pos < buf.length ? buf : undefined;
    this.heldOffset = pos;
    return 'paused';
  }

  private fail(reason: FramingFailure): FeedResult {
    this.state = FAILED;
    this.failure = reason;
    this.partial = undefined;
    this.held = undefined;
    return 'failed';
  }
}
