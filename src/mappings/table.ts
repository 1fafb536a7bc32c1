/**
 * The mapping table: the one piece of state (DESIGN §1). Narrow and async-capable on
 * purpose: the in-memory table answers synchronously, a shared table on Valkey/Redis
 * (DESIGN §5) will answer with promises, and callers treat both alike.
 */
import type { IdentityEvent } from '../identify/event.js';

export interface Mapping {
  /** Unique per mapping lifetime (becomes the accounting task_id); kept across refreshes. */
  readonly id: string;
  readonly ip: string;
  /** As first seen; comparisons are case-insensitive. */
  readonly user: string;
  readonly sender: string;
  readonly profile: string;
  /** Epoch milliseconds. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** lastSeen + timeoutMs; `Number.POSITIVE_INFINITY` when timeoutMs is 0. */
  readonly expiresAt: number;
  /**
   * The timeout of the event that made or last refreshed it (IdentityEvent.timeoutMs, or
   * the table's default); 0 = until logout. Each refresh re-applies its event's timeout.
   */
  readonly timeoutMs: number;
}

export type RemovalReason = 'logout' | 'admin';

export type MappingChange =
  | { readonly kind: 'added'; readonly mapping: Mapping }
  /** Another user took the address: `previous` ends (reason `replaced`), `mapping` begins. */
  | { readonly kind: 'user-changed'; readonly mapping: Mapping; readonly previous: Mapping }
  /** Same user seen again: timeout extended; `newinfo` when sender or profile differ. */
  | { readonly kind: 'refreshed'; readonly mapping: Mapping; readonly newinfo: boolean }
  | { readonly kind: 'removed'; readonly mapping: Mapping; readonly reason: RemovalReason }
  /** Timed out (reason `timeout`). */
  | { readonly kind: 'expired'; readonly mapping: Mapping }
  /** Pushed out by `maxEntries` (reason `capacity`). */
  | { readonly kind: 'evicted'; readonly mapping: Mapping };

export type ChangeKind = MappingChange['kind'];

export type MaybePromise<T> = T | Promise<T>;

export type ChangeListener = (change: MappingChange) => void;

export interface MappingPage {
  readonly items: readonly Mapping[];
  /** Opaque; absent on the last page. */
  readonly next?: string;
}

export interface MappingTable {
  /** Applies a login or logout; returns the change it made, or null when it changed nothing. */
  apply(event: IdentityEvent): MaybePromise<MappingChange | null>;
  get(ip: string): MaybePromise<Mapping | undefined>;
  byUser(user: string): MaybePromise<readonly Mapping[]>;
  page(cursor: string | undefined, limit: number): MaybePromise<MappingPage>;
  /** Admin removal (HTTP DELETE); reported as `removed` with reason `admin`. */
  delete(ip: string): MaybePromise<MappingChange | null>;
  readonly size: number;
  /** Every change, including expiries and evictions nobody asked for; returns unsubscribe. */
  subscribe(listener: ChangeListener): () => void;
}
