/**
 * Prometheus metrics from the components' plain counters (STYLE §3): nothing on a hot
 * path touches prom-client; every value is read when /metrics is scraped. The names in
 * DESIGN §3 are part of the contract; docs/operations.md lists them all.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GroupAccountingStats } from '../accounting/accountant.js';
import type { AuditStats } from '../audit/events.js';
import type { IdentifyStats } from '../identify/stats.js';
import type { NormaliseStats } from '../identify/normalise.js';
import type { MappingTableStats, SnapshotStats } from '../mappings/events.js';
import type { StreamSourceStats, UdpSourceStats } from '../syslog/stats.js';

export interface SourceView {
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly stats: UdpSourceStats | StreamSourceStats;
}

/** Where each metric reads its numbers; functions, because a reload swaps the objects. */
export interface MetricSources {
  readonly sources: () => readonly SourceView[];
  readonly kernelDrops: () => number;
  /** Current and retired (before a reload) identify counters; their sum is reported. */
  readonly identify: () => readonly IdentifyStats[];
  readonly normalise: () => readonly NormaliseStats[];
  readonly table: () => { readonly size: number; readonly stats: MappingTableStats };
  readonly snapshot: () => SnapshotStats | undefined;
  readonly accounting: () => readonly GroupAccountingStats[];
  /** UDP worker processes, when `syslog.udp.workers` > 0. */
  readonly udpWorkers?: () => { readonly size: number; readonly overflow: number } | undefined;
  /** The audit trail, when `log.audit` is set. */
  readonly audit?: () => AuditStats | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  /** For ServerGroup's onReplyLatency. */
  replyLatency(group: string): (seconds: number) => void;
}

type Labels = Record<string, string>;

type Read = (put: (labels: Labels, value: number) => void) => void;

/** A metric whose values are read from the components' counters at scrape time. */
function readMetric(kind: 'counter' | 'gauge', registry: Registry, name: string, help: string, labelNames: readonly string[], read: Read): void {
  const options = { name, help, labelNames, registers: [registry] };
  if (kind === 'counter') new Counter({ ...options, collect() { this.reset(); read((labels, value) => this.inc(labels, value)); } });
  else new Gauge({ ...options, collect() { this.reset(); read((labels, value) => this.set(labels, value)); } });
}

export function createMetrics(from: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  readMetric('counter', registry, 'uid_syslog_messages_total', 'Syslog messages by transport and outcome (accepted, unknown_sender, oversize, malformed)',
    ['transport', 'outcome'], (add) => {
      for (const { transport, stats } of from.sources()) {
        for (const [outcome, value] of Object.entries(stats.messages)) add({ transport, outcome }, value);
      }
    });
  readMetric('counter', registry, 'uid_syslog_handler_errors_total', 'Messages whose processing threw (a bug: see the log)', ['transport'], (add) => {
    for (const { transport, stats } of from.sources()) add({ transport }, stats.handlerErrors);
  });
  readMetric('gauge', registry, 'uid_syslog_connections', 'Open TCP/TLS syslog connections', ['transport'], (set) => {
    for (const { transport, stats } of from.sources()) if ('connections' in stats) set({ transport }, stats.connections.open);
  });
  readMetric('counter', registry, 'uid_syslog_connections_refused_total', 'TCP/TLS connections closed at accept, by reason', ['transport', 'reason'], (add) => {
    for (const { transport, stats } of from.sources()) {
      if ('connections' in stats) for (const [reason, value] of Object.entries(stats.connections.refused)) add({ transport, reason }, value);
    }
  });
  readMetric('counter', registry, 'uid_syslog_connections_closed_total', 'TCP/TLS connections ended, by reason', ['transport', 'reason'], (add) => {
    for (const { transport, stats } of from.sources()) {
      if ('connections' in stats) for (const [reason, value] of Object.entries(stats.connections.closed)) add({ transport, reason }, value);
    }
  });
  readMetric('counter', registry, 'uid_udp_kernel_drops_total', 'UDP datagrams the kernel dropped for want of receive buffer (RcvbufErrors, all sockets of the host)',
    [], (add) => add({}, from.kernelDrops()));

  readMetric('gauge', registry, 'uid_udp_workers', 'UDP worker processes running (syslog.udp.workers)', [], (set) => {
    const workers = from.udpWorkers?.();
    if (workers) set({}, workers.size);
  });

  readMetric('counter', registry, 'uid_identity_events_total', 'Identity events yielded by parse profiles', ['profile', 'event'], (add) => {
    const totals = new Map<string, { event: string; value: number }>();
    for (const stats of from.identify()) {
      for (const [profile, c] of Object.entries(stats.profiles)) {
        const entry = totals.get(profile) ?? { event: c.event, value: 0 };
        entry.value += c.emitted;
        totals.set(profile, entry);
      }
    }
    for (const [profile, { event, value }] of totals) add({ profile, event }, value);
  });
  readMetric('counter', registry, 'uid_identity_dropped_total', 'Messages or matches that yielded no identity event, by reason', ['reason'], (add) => {
    const sum = new Map<string, number>();
    const bump = (reason: string, value: number) => sum.set(reason, (sum.get(reason) ?? 0) + value);
    for (const stats of from.identify()) {
      bump('no_profile_matched', stats.unmatched);
      for (const c of Object.values(stats.profiles)) {
        bump('no_user', c.noUser);
        bump('invalid_user', c.invalidUser);
        bump('no_address', c.noAddress);
        bump('invalid_address', c.invalidAddress);
        bump('address_capped', c.addressCapped);
      }
    }
    const workers = from.udpWorkers?.();
    if (workers) bump('worker_overflow', workers.overflow);
    for (const stats of from.normalise()) {
      bump('ignored_user', stats.ignoredUser);
      bump('not_included', stats.notIncluded);
      bump('excluded', stats.excluded);
    }
    for (const [reason, value] of sum) add({ reason }, value);
  });

  readMetric('gauge', registry, 'uid_mappings', 'IP-to-user mappings in the table', [], (set) => set({}, from.table().size));
  readMetric('counter', registry, 'uid_mapping_changes_total', 'Mapping table changes by kind', ['kind'], (add) => {
    for (const [kind, value] of Object.entries(from.table().stats.changes)) add({ kind }, value);
  });
  readMetric('counter', registry, 'uid_mapping_logouts_ignored_total', 'Logouts that changed nothing: another user is mapped (PAN-OS rule), or nothing is',
    ['reason'], (add) => {
      const { stats } = from.table();
      add({ reason: 'other_user' }, stats.logoutsIgnored);
      add({ reason: 'not_mapped' }, stats.logoutsUnmatched);
    });
  readMetric('counter', registry, 'uid_snapshot_writes_total', 'Mapping snapshot writes by outcome', ['outcome'], (add) => {
    const stats = from.snapshot();
    if (!stats) return;
    add({ outcome: 'written' }, stats.writes);
    add({ outcome: 'failed' }, stats.writeErrors);
    add({ outcome: 'skipped' }, stats.writesSkipped);
  });
  readMetric('gauge', registry, 'uid_snapshot_last_write_timestamp_seconds', 'When the last mapping snapshot was written (0: never)', [], (set) => {
    const stats = from.snapshot();
    if (stats) set({}, stats.lastWriteAt / 1000);
  });

  readMetric('counter', registry, 'uid_accounting_records_total', 'TACACS+ accounting records by group and outcome (sent: SUCCESS; failed: an attempt that failed and will be retried)',
    ['group', 'outcome'], (add) => {
      for (const g of from.accounting()) {
        add({ group: g.group, outcome: 'sent' }, g.dispatch.sent);
        add({ group: g.group, outcome: 'failed' }, g.dispatch.failed);
        add({ group: g.group, outcome: 'discarded' }, g.dispatch.discarded);
      }
    });
  readMetric('gauge', registry, 'uid_accounting_spool_records', 'Accounting records waiting in a group\'s spool', ['group'], (set) => {
    for (const g of from.accounting()) set({ group: g.group }, g.spoolRecords);
  });
  readMetric('gauge', registry, 'uid_accounting_spool_bytes', 'Bytes of records waiting in a group\'s spool', ['group'], (set) => {
    for (const g of from.accounting()) set({ group: g.group }, g.spoolBytes);
  });
  readMetric('counter', registry, 'uid_accounting_spool_lost_total', 'Records a spool could not keep: WATCHDOGs dropped at the size cap, records refused (cap full of STARTs/STOPs, or disk errors)',
    ['group', 'reason'], (add) => {
      for (const g of from.accounting()) {
        add({ group: g.group, reason: 'watchdog_dropped' }, g.spool.dropped);
        add({ group: g.group, reason: 'refused' }, g.spool.refused);
      }
    });
  readMetric('counter', registry, 'uid_accounting_spool_errors_total', 'Spool disk errors and damaged stretches skipped', ['group', 'kind'], (add) => {
    for (const g of from.accounting()) {
      add({ group: g.group, kind: 'io' }, g.spool.ioErrors);
      add({ group: g.group, kind: 'corrupt' }, g.spool.corrupt);
    }
  });
  readMetric('counter', registry, 'uid_audit_lines_total', 'Audit trail lines by outcome (written; dropped: the buffer was full)', ['outcome'], (add) => {
    const stats = from.audit?.();
    if (!stats) return;
    add({ outcome: 'written' }, stats.written);
    add({ outcome: 'dropped' }, stats.dropped);
  });
  readMetric('counter', registry, 'uid_audit_write_errors_total', 'Failed audit trail writes, opens and rotations (retried)', [], (add) => {
    const stats = from.audit?.();
    if (stats) add({}, stats.writeErrors);
  });
  readMetric('counter', registry, 'uid_audit_rotations_total', 'Audit trail files rotated', [], (add) => {
    const stats = from.audit?.();
    if (stats) add({}, stats.rotations);
  });
  readMetric('gauge', registry, 'uid_audit_buffer_bytes', 'Audit trail bytes waiting in memory for the disk', [], (set) => {
    const stats = from.audit?.();
    if (stats) set({}, stats.bufferedBytes);
  });
  const latency = new Histogram({
    name: 'uid_accounting_reply_seconds',
    help: 'TACACS+ request to SUCCESS reply, in seconds (queueing included)',
    labelNames: ['group'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  return {
    registry,
    replyLatency(group) {
      const child = latency.labels({ group });
      return (seconds) => child.observe(seconds);
    },
  };
}
