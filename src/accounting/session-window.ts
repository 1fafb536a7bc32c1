/**
 * How many accounting sessions may be in flight at once on one single-connection
 * connection. RFC 8907 §4.3 lets a client multiplex sessions on a connection without
 * saying how many; pipelining is what makes one connection fast (a few sessions per round
 * trip cap it far below what either end can do), but a server answers in its own time,
 * and a request that waits longer than the reply timeout closes the connection
 * (connection.ts). So the window follows the round trips it sees, in the manner of a TCP
 * congestion window (delay-based, as TCP Vegas):
 *
 * - it starts at `initial` (64, what every connection had before the window adapted);
 * - each reply that came back within an eighth of the reply timeout adds one: while the
 *   server keeps up, the window doubles every round trip, up to `max`;
 * - a reply that took more than a quarter of the timeout halves it, down to 1, once per
 *   round trip: only replies to requests sent after the last cut count, since the ones
 *   before it were queued behind the larger window;
 * - in between it holds.
 *
 * A server that answers N records a second settles with roughly N × timeout / 8 to
 * N × timeout / 4 records in flight, so the last one sent still has most of the timeout to
 * spare; a fast one gets `max`.
 */

/** Where a new connection's window starts. */
export const INITIAL_WINDOW = 64;

export class SessionWindow {
  #size: number;
  /** performance.now() of the last cut; requests sent before it do not cut again. */
  #cutAt = -Infinity;
  readonly #fastMs: number;
  readonly #slowMs: number;

  constructor(
    readonly max: number,
    timeoutMs: number,
    initial = INITIAL_WINDOW,
  ) {
    this.#size = Math.max(1, Math.min(max, initial));
    this.#fastMs = timeoutMs / 8;
    this.#slowMs = timeoutMs / 4;
  }

  /** Sessions that may be in flight now. */
  get size(): number {
    return this.#size;
  }

  /** A reply arrived at `now` for a request sent at `sentAt` (both performance.now() ms). */
  replied(sentAt: number, now: number): void {
    const roundTrip = now - sentAt;
    if (roundTrip <= this.#fastMs) {
      if (this.#size < this.max) this.#size++;
    } else if (roundTrip > this.#slowMs && sentAt > this.#cutAt) {
      this.#size = Math.max(1, this.#size >> 1);
      this.#cutAt = now;
    }
  }
}
