/** What the shared table on Redis reports besides table changes: counters and rare typed events. */
import type { ErrorCode } from '../../errors.js';

export interface RedisStoreStats {
  /** Events applied through the scripts. */
  applied: number;
  /** Events queued while Redis was unavailable (they are applied, in order, when it is back). */
  queued: number;
  /** Events dropped because the outage queue was full (`uid_store_queue_overflow_total`). */
  queueOverflow: number;
  /** Script calls that failed with an error Redis answered (not a lost connection). */
  scriptErrors: number;
  /** Whole-table reloads of the replica after a gap in the stream or a table rebuilt in Redis. */
  reloads: number;
  /**
   * Mappings of the shared table this listener's replica left out (`uid_store_replica_dropped_total`):
   * Redis held more than this listener's maxEntries, or one the replica cannot store.
   */
  replicaDropped: number;
  /** From the script that made the last change to this replica applying it (clocks of Redis and listener). */
  lastLagMs: number;
}

export function newRedisStoreStats(): RedisStoreStats {
  return { applied: 0, queued: 0, queueOverflow: 0, scriptErrors: 0, reloads: 0, replicaDropped: 0, lastLagMs: 0 };
}

export type RedisStoreEvent =
  | { readonly type: 'store-loaded'; readonly mappings: number; readonly ms: number; readonly lastId: string }
  | {
      readonly type: 'store-unavailable';
      readonly code: Extract<ErrorCode, 'UID_ERR_STORE_UNAVAILABLE'>;
      /** Why (the client's error), never a password: URLs are reported without their credentials. */
      readonly reason: string;
      readonly queued: number;
    }
  | { readonly type: 'store-available'; readonly outageMs: number; readonly queued: number }
  | {
      readonly type: 'store-queue-full';
      readonly code: Extract<ErrorCode, 'UID_ERR_STORE_QUEUE_FULL'>;
      readonly limit: number;
      /** Events dropped so far in this outage. */
      readonly dropped: number;
    }
  | { readonly type: 'store-queue-restored'; readonly path: string; readonly events: number }
  | {
      readonly type: 'store-queue-corrupt';
      readonly code: Extract<ErrorCode, 'UID_ERR_SPOOL_CORRUPT'>;
      readonly path: string;
      readonly message: string;
    }
  | {
      readonly type: 'store-queue-io-error';
      readonly code: Extract<ErrorCode, 'UID_ERR_STORE_QUEUE_IO'>;
      readonly path: string;
      readonly message: string;
      readonly error: unknown;
    }
  | {
      readonly type: 'store-replica-dropped';
      readonly code: Extract<ErrorCode, 'UID_ERR_STORE_REPLICA_DROPPED'>;
      /** capacity: Redis holds more than `capacity` (another listener configured larger); unusable: not a mapping the replica can store. */
      readonly reason: 'capacity' | 'unusable';
      readonly capacity: number;
      /** Mappings left out so far. */
      readonly dropped: number;
    }
  | { readonly type: 'store-reloaded'; readonly reason: string; readonly mappings: number }
  | { readonly type: 'store-script-error'; readonly error: unknown };
