/**
 * Metrics of the shared table on Redis (docs/high-availability.md "Watching it"), read at
 * scrape time like the others: whether Redis is reachable, the replica's lag, the outage
 * queue, and the accounting records this listener holds unacknowledged in the stream.
 */
import type { Registry } from 'prom-client';
import type { RedisStoreStats } from '../mappings/redis/events.js';
import { readMetric } from './metrics.js';

export interface StoreMetricsView {
  readonly up: boolean;
  readonly queueDepth: number;
  readonly stats: Readonly<RedisStoreStats>;
  /** Per accounting group: stream records delivered to this listener and not yet acknowledged. */
  readonly pendingAccounting: readonly { readonly group: string; readonly pending: number }[];
}

export function registerStoreMetrics(registry: Registry, from: () => StoreMetricsView | undefined): void {
  const gauge = (name: string, help: string, read: (view: StoreMetricsView) => number) =>
    readMetric('gauge', registry, name, help, [], (set) => {
      const view = from();
      if (view) set({}, read(view));
    });
  const counter = (name: string, help: string, read: (view: StoreMetricsView) => number) =>
    readMetric('counter', registry, name, help, [], (add) => {
      const view = from();
      if (view) add({}, read(view));
    });
  gauge('uid_store_up', 'Whether the shared table (Redis) is reachable (1) or not (0)', (v) => (v.up ? 1 : 0));
  gauge('uid_store_replica_lag_seconds', 'How long the last change took from the script that made it to this listener\'s replica',
    (v) => v.stats.lastLagMs / 1000);
  gauge('uid_store_queue_events', 'Events waiting for Redis in the bounded outage queue', (v) => v.queueDepth);
  counter('uid_store_queue_overflow_total', 'Events dropped because the outage queue was full', (v) => v.stats.queueOverflow);
  counter('uid_store_replica_dropped_total', 'Mappings of the shared table this replica left out (Redis holds more than mappings.maxEntries, or one it cannot store)', (v) => v.stats.replicaDropped);
  counter('uid_store_reloads_total', 'Whole-table reloads of the replica (a gap in the change stream, or a table rebuilt in Redis)', (v) => v.stats.reloads);
  counter('uid_store_script_errors_total', 'Script calls Redis answered with an error', (v) => v.stats.scriptErrors);
  readMetric('gauge', registry, 'uid_accounting_stream_pending_records', 'Accounting records of the change stream held by this listener: not yet acknowledged by a TACACS+ server, or their XACK not yet taken by Redis',
    ['group'], (set) => {
      for (const { group, pending } of from()?.pendingAccounting ?? []) set({ group }, pending);
    });
}
