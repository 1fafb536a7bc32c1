/**
 * The XACKs of one accounting group that Redis has not taken yet (stream-queue.ts rule 3).
 * They outlive the leader's lanes: a leader that steps down because Redis went away keeps
 * them and sends them as soon as Redis answers again, before it competes for the lease
 * (stream-accounting.ts). Dropped, the next leader would claim those entries (XAUTOCLAIM)
 * and send records the servers already acknowledged a second time.
 *
 * Kept in memory, not on disk: a listener killed before Redis comes back leaves its
 * entries pending, and they are sent again by the next leader, the at-least-once window
 * docs/high-availability.md states. A file would not close that window (the XACK of a
 * record answered an instant before a SIGKILL is lost either way) and would add an fsync
 * per reply.
 */
import { ReplyError } from 'ioredis';
import type { RedisClient } from '../mappings/redis/connect.js';

export class PendingAcks {
  #ids: string[] = [];
  /** Sent, not yet answered by Redis. */
  #sending = 0;

  constructor(
    readonly client: RedisClient,
    readonly stream: string,
    readonly group: string,
  ) {}

  /** Acks not yet taken by Redis: waiting, or sent and not answered. */
  get size(): number {
    return this.#ids.length + this.#sending;
  }

  /** The entry is done: its XACK goes now (pipelined on the connection, in the turn of the reply), or when Redis is back. */
  add(id: string): void {
    this.#ids.push(id);
    void this.flush().catch(() => {});
  }

  /** Sends every ack waiting; rejects when Redis cannot be reached (they wait for the next try). */
  async flush(): Promise<void> {
    if (this.#ids.length === 0) return;
    const ids = this.#ids;
    this.#ids = [];
    this.#sending += ids.length;
    try {
      await this.client.xack(this.stream, this.group, ...ids);
    } catch (error) {
      // Redis answered with an error (the group was deleted): nothing left to acknowledge.
      if (error instanceof ReplyError) return;
      this.#ids = [...ids, ...this.#ids];
      throw error;
    } finally {
      this.#sending -= ids.length;
    }
  }
}
