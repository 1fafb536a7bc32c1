/**
 * Chooses where the mapping table lives from `mappings.store` (DESIGN §5): this process
 * (memory, the default) or Redis, shared with the other listeners. The app wires what it
 * gets and asks nothing else of the choice.
 */
import { dirname, join } from 'node:path';
import type { MappingsConfig } from '../config/schema.js';
import type { MappingTableEvent } from './events.js';
import { MemoryMappingTable } from './memory-table.js';
import { redisConnector, type RedisClient } from './redis/connect.js';
import type { RedisStoreEvent } from './redis/events.js';
import type { TableKeys } from './redis/keys.js';
import { RedisMappingTable } from './redis/redis-table.js';

export type StoredTable = MemoryMappingTable | RedisMappingTable;

/** What GET /healthz shows of the table's home (http/schemas.ts StoreHealth). */
export interface TableHealth {
  readonly type: 'memory' | 'redis';
  readonly state: 'ok' | 'degraded';
  readonly reason?: string;
  readonly queueDepth: number;
}

export interface StoreOptions {
  readonly onEvent: (event: MappingTableEvent) => void;
  readonly onStoreEvent: (event: RedisStoreEvent) => void;
  /** Names this listener's Redis connections (CLIENT LIST) and its accounting consumer. */
  readonly listenerName: string;
}

export function createMappingTable(config: MappingsConfig, options: StoreOptions): StoredTable {
  const { store, timeoutMinutes, maxEntries } = config;
  if (store.type === 'memory' || store.url === undefined) return new MemoryMappingTable({ timeoutMinutes, maxEntries, onEvent: options.onEvent });
  return new RedisMappingTable({
    connect: redisConnector({ ...store, type: 'redis', url: store.url }, options.listenerName),
    keyPrefix: store.keyPrefix,
    timeoutMinutes,
    maxEntries,
    queueMaxEvents: store.queueMaxEvents,
    queuePath: outageQueuePath(config),
    streamMaxEntries: store.streamMaxEntries,
    onEvent: options.onEvent,
    onStoreEvent: options.onStoreEvent,
  });
}

/** The folder of a shared table's outage queue (the listener's state folder: the snapshot's). */
export function outageQueuePath(config: MappingsConfig): string {
  return config.store.queuePath ?? join(dirname(config.snapshot.path), 'store-queue');
}

/** Loads a shared table's replica (or says it starts without); the memory table is ready as built. */
export async function startTable(table: StoredTable): Promise<void> {
  if (table instanceof RedisMappingTable) await table.start();
}

/** The table's part of GET /healthz. */
export function storeHealth(table: StoredTable): TableHealth {
  if (table instanceof MemoryMappingTable) return { type: 'memory', state: 'ok', queueDepth: 0 };
  const reason = table.degradedReason;
  return reason === null
    ? { type: 'redis', state: 'ok', queueDepth: table.queueDepth }
    : { type: 'redis', state: 'degraded', reason, queueDepth: table.queueDepth };
}

/** Where accounting takes a shared table's changes from (the change stream), or undefined for memory. */
export function changeStreamOf(table: StoredTable, config: MappingsConfig, consumer: string): { connect: () => RedisClient; keys: TableKeys; consumer: string; claimIdleMs: number } | undefined {
  if (!(table instanceof RedisMappingTable)) return undefined;
  return { connect: () => table.connect('accounting'), keys: table.keys, consumer, claimIdleMs: config.store.claimIdleSeconds * 1000 };
}
