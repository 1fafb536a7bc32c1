/**
 * The workers' identity events, applied in the order the workers received their messages.
 *
 * Every worker reads the same socket, so two messages about one address may be read by two
 * workers microseconds apart and reach this process in the other order. Each worker's
 * stream is in its own receive order and each batch carries `upTo` (nothing earlier will
 * follow from that worker); an event is applied once every live worker has promised
 * nothing earlier can come, oldest first across workers (a k-way merge on receive time).
 * A worker with nothing to say still sends `upTo` every HEARTBEAT_MS, which bounds how long
 * an event waits. A lane that closed (its worker exited) no longer holds the others back.
 */
import type { IdentityEvent } from '../identify/event.js';
import { FIELDS, unpack } from './protocol.js';

/** Applied entries a lane keeps before it is compacted. */
const COMPACT_AFTER = 4096;

interface Lane {
  /** Receive times and events not applied yet, from `head` on. */
  times: number[];
  events: IdentityEvent[];
  head: number;
  /** Nothing this lane sends later will be earlier than this. */
  upTo: number;
  open: boolean;
}

export class OrderedMerge {
  readonly #lanes = new Map<number, Lane>();

  constructor(private readonly apply: (event: IdentityEvent) => void) {}

  /** A new lane whose events will all come after `since` (its worker started after then). */
  open(id: number, since: number): void {
    this.#lanes.set(id, { times: [], events: [], head: 0, upTo: since, open: true });
  }

  /** The lane's worker is gone: what it sent is still applied, in order; it holds nobody back. */
  close(id: number): void {
    const lane = this.#lanes.get(id);
    if (!lane) return;
    lane.open = false;
    this.#drain(false);
  }

  /** A batch from lane `id`, packed (protocol.ts), every receive time at most `upTo`. */
  push(id: number, upTo: number, batch: readonly (string | number)[]): void {
    const lane = this.#lanes.get(id);
    if (!lane) return;
    for (let offset = 0; offset < batch.length; offset += FIELDS) {
      lane.times.push(batch[offset] as number);
      lane.events.push(unpack(batch, offset));
    }
    if (upTo > lane.upTo) lane.upTo = upTo;
    this.#drain(false);
  }

  /** Applies everything held, in order (all workers have stopped). */
  flush(): void {
    this.#drain(true);
  }

  /** Events held back, waiting for a slower worker's promise. */
  get pending(): number {
    let count = 0;
    for (const lane of this.#lanes.values()) count += lane.times.length - lane.head;
    return count;
  }

  #drain(all: boolean): void {
    let safe = Infinity;
    if (!all) for (const lane of this.#lanes.values()) if (lane.open && lane.upTo < safe) safe = lane.upTo;
    for (;;) {
      let next: Lane | undefined;
      for (const lane of this.#lanes.values()) {
        if (lane.head < lane.times.length && (next === undefined || lane.times[lane.head]! < next.times[next.head]!)) next = lane;
      }
      if (next === undefined || next.times[next.head]! > safe) break;
      const event = next.events[next.head]!;
      next.head++;
      this.apply(event);
    }
    for (const [id, lane] of this.#lanes) {
      if (lane.head === lane.times.length) {
        lane.times.length = 0;
        lane.events.length = 0;
        lane.head = 0;
        if (!lane.open) this.#lanes.delete(id);
      } else if (lane.head >= COMPACT_AFTER && lane.head * 2 >= lane.times.length) {
        // Under steady load a lane is rarely empty: drop what was applied now and then.
        lane.times.splice(0, lane.head);
        lane.events.splice(0, lane.head);
        lane.head = 0;
      }
    }
  }
}
