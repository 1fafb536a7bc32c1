/**
 * Feeds the local replica from the change stream (keys.ts rule 4), on a connection of
 * its own (XREAD BLOCK holds it).
 *
 * Start: remember the stream's last id, read the whole table with HSCAN (in slices, never
 * one huge reply that would stall Redis), then tail the stream from the remembered id.
 * Entries written while the scan ran are applied again on top of what it read; each
 * entry carries the whole resulting mapping, so replaying them in order ends in the same
 * state as Redis (a snapshot read atomically with the id would need one reply of the
 * whole table). Afterwards XREAD from the last id applied: a listener that was away
 * catches up from where it left. After a reconnect it checks first that nothing it
 * missed was trimmed (`trim`) and that the table is the one it knew (`ids` epoch: a Redis
 * that lost its data starts a new one); otherwise it reloads.
 */
import type { RedisClient } from './connect.js';
import type { MappingChange } from '../table.js';
import { compareIds, decodeChange, decodeMapping, type LoggedChange } from './codec.js';
import type { TableKeys } from './keys.js';
import type { Replica } from './replica.js';

export interface ChangeFeedOptions {
  /** For the load and checks (normal commands). */
  readonly client: RedisClient;
  /** For XREAD BLOCK only. */
  readonly reader: RedisClient;
  readonly keys: TableKeys;
  readonly replica: Replica;
  /** Each change, after the replica applied it, in stream order. */
  readonly onChange: (logged: LoggedChange) => void;
  readonly onLoaded: (info: { mappings: number; ms: number; lastId: string; reason: string | null }) => void;
}

const READ_COUNT = 1000;
const BLOCK_MS = 2000;
const RETRY_MS = 250;
const SCAN_COUNT = 1000;
/** Changes remembered by id for `whenApplied` callers whose reply came after the feed applied it. */
const RECENT_MAX = 10_000;

interface Waiter {
  readonly id: string;
  readonly resolve: (change: MappingChange | null) => void;
}

export class ChangeFeed {
  readonly #options: ChangeFeedOptions;
  #lastId = '0-0';
  #epoch: string | null = null;
  #loaded = false;
  #verify = false;
  #closed = false;
  #running: Promise<void> | undefined;
  /** In id order from #waitersHead on (the ones before it are done). */
  #waiters: Waiter[] = [];
  #waitersHead = 0;
  readonly #recent = new Map<string, MappingChange>();
  readonly #loadedOnce: Promise<void>;
  #markLoaded!: () => void;

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
    this.#loadedOnce = new Promise((resolve) => {
      this.#markLoaded = resolve;
    });
    // After any reconnect, check for a gap before reading on.
    options.reader.on('ready', () => {
      this.#verify = true;
    });
  }

  /** The id of the last change applied to the replica. */
  get lastId(): string {
    return this.#lastId;
  }

  /** The replica holds the table (it may lag behind while Redis is unreachable). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Resolves once the first load has finished (never, while Redis stays away). */
  whenLoaded(): Promise<void> {
    return this.#loadedOnce;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** The change the entry `id` made, once the replica has applied it (null if it was skipped by a reload). */
  whenApplied(id: string): Promise<MappingChange | null> {
    if (compareIds(id, this.#lastId) <= 0) return Promise.resolve(this.#recent.get(id) ?? null);
    return new Promise((resolve) => {
      this.#waiters.push({ id, resolve });
      // Replies from several connections may come in any order: keep the queue in id order.
      for (let i = this.#waiters.length - 1; i > this.#waitersHead && compareIds(this.#waiters[i - 1]!.id, id) > 0; i--) {
        [this.#waiters[i - 1], this.#waiters[i]] = [this.#waiters[i]!, this.#waiters[i - 1]!];
      }
    });
  }

  /** Resolves once the replica has applied everything in the stream now. */
  async caughtUp(): Promise<void> {
    const last = await this.#options.client.xrevrange(this.#options.keys.log, '+', '-', 'COUNT', 1);
    const id = last[0]?.[0];
    if (id !== undefined) await this.whenApplied(id);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#options.reader.disconnect();
    await this.#running;
    for (const waiter of this.#waiters.slice(this.#waitersHead)) waiter.resolve(null);
    this.#waiters = [];
    this.#waitersHead = 0;
  }

  async #loop(): Promise<void> {
    while (!this.#closed) {
      try {
        if (!this.#loaded) await this.#load(null);
        else if (this.#verify) await this.#check();
        await this.#read();
      } catch {
        if (this.#closed) return;
        // Redis away: the clients reconnect on their own; check for a gap when it is back.
        this.#verify = this.#loaded;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  async #read(): Promise<void> {
    const { reader, keys } = this.#options;
    const reply = (await reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', keys.log, this.#lastId)) as
      [string, [string, string[]][]][] | null;
    if (reply === null) return;
    for (const [, entries] of reply) {
      for (const [id, fields] of entries) this.#apply(id, fields);
    }
  }

  #apply(id: string, fields: string[]): void {
    let logged: LoggedChange;
    try {
      logged = decodeChange(fields);
    } catch {
      // Not written by our scripts (someone else wrote to the key): skipped, never a stuck feed.
      this.#lastId = id;
      this.#release(null, id);
      return;
    }
    this.#options.replica.apply(logged.change);
    this.#lastId = id;
    this.#recent.set(id, logged.change);
    if (this.#recent.size > RECENT_MAX) this.#recent.delete(this.#recent.keys().next().value!);
    this.#options.onChange(logged);
    this.#release(logged.change, id);
  }

  /** Resolves the waiters up to `id`: with `change` for `id` itself. */
  #release(change: MappingChange | null, id: string): void {
    const waiters = this.#waiters;
    let done = this.#waitersHead;
    while (done < waiters.length && compareIds(waiters[done]!.id, id) <= 0) {
      const waiter = waiters[done++]!;
      waiter.resolve(waiter.id === id ? change : (this.#recent.get(waiter.id) ?? null));
    }
    this.#waitersHead = done;
    if (done === waiters.length) {
      this.#waiters = [];
      this.#waitersHead = 0;
    } else if (done > 1024 && done * 2 > waiters.length) {
      this.#waiters = waiters.slice(done);
      this.#waitersHead = 0;
    }
  }

  /** After a reconnect: reload when changes we did not see were trimmed, or the table was rebuilt. */
  async #check(): Promise<void> {
    const { client, keys } = this.#options;
    const [trimmed, epoch] = await Promise.all([client.get(keys.trim), client.hget(keys.ids, 'epoch')]);
    this.#verify = false;
    if (epoch !== this.#epoch) await this.#load('the table in Redis is not the one this listener knew (Redis lost its data?)');
    else if (trimmed !== null && compareIds(this.#lastId, trimmed) < 0) await this.#load('changes this listener missed were trimmed from the stream');
  }

  async #load(reason: string | null): Promise<void> {
    const { client, keys, replica } = this.#options;
    const started = Date.now();
    const [last, epoch] = await Promise.all([client.xrevrange(keys.log, '+', '-', 'COUNT', 1), client.hget(keys.ids, 'epoch')]);
    const mappings = [];
    let cursor = '0';
    do {
      const [next, flat] = await client.hscan(keys.map, cursor, 'COUNT', SCAN_COUNT);
      for (let i = 0; i + 1 < flat.length; i += 2) {
        try {
          mappings.push(decodeMapping(flat[i]!, flat[i + 1]!));
        } catch {
          // a field our scripts did not write: not a mapping
        }
      }
      cursor = next;
    } while (cursor !== '0');
    replica.load(mappings);
    this.#lastId = last[0]?.[0] ?? '0-0';
    this.#epoch = epoch;
    this.#loaded = true;
    this.#verify = false;
    this.#release(null, this.#lastId);
    this.#options.onLoaded({ mappings: replica.size, ms: Date.now() - started, lastId: this.#lastId, reason });
    this.#markLoaded();
  }
}
