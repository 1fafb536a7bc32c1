/**
 * The one place where components' typed events become log lines (STYLE §3; Vector's
 * internal_events). Each event kind has one level and one message; fields are the
 * event's own (none carries a secret or a message body). Rate limiting happens where the
 * events are made (syslog sources, server groups), so this stays a plain mapping.
 */
import type { AccountingEvent } from '../accounting/accounting-events.js';
import type { ServerGroupEvent } from '../accounting/server-group.js';
import type { AuditEvent } from '../audit/events.js';
import { errorFields } from '../errors.js';
import type { UnmatchedSampleEvent } from '../identify/unmatched-sample.js';
import type { MappingTableEvent, SnapshotEvent } from '../mappings/events.js';
import type { RedisStoreEvent } from '../mappings/redis/events.js';
import type { SyslogEvent } from '../syslog/events.js';
import type { UdpWorkersEvent } from '../udp-workers/events.js';
import type { Logger } from './logger.js';

export interface Reporter {
  syslog(event: SyslogEvent): void;
  table(event: MappingTableEvent): void;
  store(event: RedisStoreEvent): void;
  snapshot(event: SnapshotEvent): void;
  accounting(event: AccountingEvent): void;
  serverGroup(event: ServerGroupEvent): void;
  udpWorkers(event: UdpWorkersEvent): void;
  audit(event: AuditEvent): void;
  identify(event: UnmatchedSampleEvent): void;
}

export function createReporter(log: Logger): Reporter {
  return {
    syslog(event) {
      switch (event.type) {
        case 'listening':
          log.info({ event: event.type, transport: event.transport, address: event.address, port: event.port }, 'syslog listener ready');
          return;
        case 'unknown-sender':
          log.warn({ event: event.type, transport: event.transport, address: event.address, suppressed: event.suppressed },
            `syslog from ${event.address} over ${event.transport} dropped: ${event.hint}${event.yaml ? `\n${event.yaml}` : ''}`);
          return;
        case 'connection-limit':
          log.warn({ event: event.type, transport: event.transport, address: event.address, limit: event.limit, value: event.value, suppressed: event.suppressed },
            `syslog connection from ${event.address} refused: ${event.limit} (${event.value}) reached`);
          return;
        case 'connection-closed':
          log.info({ event: event.type, transport: event.transport, address: event.address, sender: event.sender, reason: event.reason, detail: event.detail },
            `syslog connection from ${event.address} closed: ${event.reason}`);
          return;
        case 'receive-buffer-small':
          log.warn({ event: event.type, requested: event.requested, granted: event.granted },
            `UDP receive buffer is ${event.granted} bytes, not the ${event.requested} configured: bursts may be lost. ${event.fix}`);
          return;
        case 'handler-error':
          log.error({ event: event.type, transport: event.transport, sender: event.sender, error: errorFields(event.error), suppressed: event.suppressed },
            'processing a syslog message failed');
          return;
        case 'listener-error':
          log.error({ event: event.type, transport: event.transport, error: errorFields(event.error) }, 'syslog listener error');
          return;
      }
    },

    table(event) {
      log.error({ event: event.type, error: errorFields(event.error) }, 'a mapping change subscriber failed');
    },

    store(event) {
      switch (event.type) {
        case 'store-loaded':
          log.info({ event: event.type, mappings: event.mappings, ms: event.ms, lastId: event.lastId }, `loaded ${event.mappings} mappings from the shared table`);
          return;
        case 'store-unavailable':
          log.error({ event: event.type, code: event.code, queued: event.queued },
            `the shared table (Redis) is unavailable: ${event.reason}; events are queued and lookups answer from the local replica (stale)`);
          return;
        case 'store-available':
          log.info({ event: event.type, outageMs: event.outageMs, queued: event.queued }, `the shared table (Redis) is back after ${event.outageMs} ms; applying ${event.queued} queued events`);
          return;
        case 'store-queue-full':
          log.error({ event: event.type, code: event.code, limit: event.limit, dropped: event.dropped },
            `${event.dropped} events dropped: the queue for Redis holds ${event.limit} (mappings.store.queueMaxEvents)`);
          return;
        case 'store-queue-restored':
          log.info({ event: event.type, path: event.path, events: event.events }, `${event.events} events queued for Redis by an earlier run are applied first`);
          return;
        case 'store-queue-corrupt':
          log.error({ event: event.type, code: event.code, path: event.path }, event.message);
          return;
        case 'store-queue-io-error':
          log.error({ event: event.type, code: event.code, path: event.path, error: errorFields(event.error) }, event.message);
          return;
        case 'store-replica-dropped':
          log.warn({ event: event.type, code: event.code, reason: event.reason, capacity: event.capacity, dropped: event.dropped },
            event.reason === 'capacity'
              ? `the local replica holds ${event.capacity} mappings (mappings.maxEntries) and Redis holds more: ${event.dropped} left out so far, the least recently refreshed; lookups here miss them`
              : `${event.dropped} mappings left out of the local replica so far; the last could not be stored (not written by this listener's scripts?)`);
          return;
        case 'store-reloaded':
          log.warn({ event: event.type, mappings: event.mappings }, `reloaded the whole shared table: ${event.reason}`);
          return;
        case 'store-script-error':
          log.error({ event: event.type, error: errorFields(event.error) }, 'a shared-table script failed in Redis');
          return;
      }
    },

    snapshot(event) {
      switch (event.type) {
        case 'snapshot-written':
          log.debug({ event: event.type, path: event.path, entries: event.entries, bytes: event.bytes, ms: event.ms }, 'mapping snapshot written');
          return;
        case 'snapshot-renamed':
          log.info({ event: event.type, from: event.from, path: event.path }, `renamed the mapping snapshot ${event.from} to ${event.path} (JSON Lines)`);
          return;
        case 'snapshot-restored':
          log.info({ event: event.type, path: event.path, restored: event.restored, expired: event.expired, evicted: event.evicted, ms: event.ms },
            `restored ${event.restored} mappings from the snapshot`);
          return;
        case 'snapshot-error':
          log.error({ event: event.type, code: event.code, path: event.path, movedTo: event.movedTo, error: event.error === undefined ? undefined : errorFields(event.error) },
            event.message);
          return;
      }
    },

    accounting(event) {
      switch (event.type) {
        case 'spool-opened':
          log.info({ event: event.type, group: event.group, records: event.records, bytes: event.bytes, segments: event.segments },
            event.records > 0 ? `accounting spool of ${event.group} holds ${event.records} records from an earlier run: sending them first` : `accounting spool of ${event.group} opened`);
          return;
        case 'spool-corrupt':
          log.error({ event: event.type, code: event.code, group: event.group, file: event.file, regions: event.regions, bytes: event.bytes }, event.message);
          return;
        case 'spool-io-error':
          log.error({ event: event.type, code: event.code, group: event.group, error: errorFields(event.error) }, event.message);
          return;
        case 'spool-io-recovered':
          log.info({ event: event.type, group: event.group }, `accounting spool of ${event.group} is writable again`);
          return;
        case 'spool-cap-reached':
          log.warn({ event: event.type, group: event.group, maxBytes: event.maxBytes },
            `accounting spool of ${event.group} reached spoolMaxBytes: dropping the oldest WATCHDOG records`);
          return;
        case 'spool-full':
          log.error({ event: event.type, code: event.code, group: event.group, maxBytes: event.maxBytes },
            `accounting spool of ${event.group} is full of START/STOP records: new records are refused until servers take some`);
          return;
        case 'spool-cap-cleared':
          log.info({ event: event.type, group: event.group }, `accounting spool of ${event.group} is below its cap again`);
          return;
        case 'record-refused':
          log.error({ event: event.type, code: event.code, taskId: event.taskId, field: event.field },
            `accounting record for task ${event.taskId} refused: ${event.field} is longer than 255 octets`);
          return;
        case 'record-discarded':
          log.error({ event: event.type, group: event.group, taskId: event.taskId, code: event.code }, event.message);
          return;
        case 'stop-unconfirmed':
          log.warn({ event: event.type, group: event.group, waiting: event.waiting },
            `accounting group ${event.group} did not confirm the stop records in time; ${event.waiting} stay spooled for the next start`);
          return;
        case 'accounting-leader':
          log.info({ event: event.type, consumer: event.consumer, leader: event.leader },
            event.leader ? 'this listener now sends the shared table\'s accounting records' : 'this listener no longer sends the shared table\'s accounting records');
          return;
      }
    },

    serverGroup(event) {
      switch (event.type) {
        case 'server-failed':
          log.warn({ event: event.type, group: event.group, server: event.server, code: event.code }, event.message);
          return;
        case 'server-active':
          log.info({ event: event.type, group: event.group, server: event.server, previous: event.previous },
            `accounting group ${event.group} sends to ${event.server}`);
          return;
        case 'outage':
          log.error({ event: event.type, group: event.group, code: event.code },
            `no TACACS+ server of group ${event.group} answers: records wait in the spool. ${event.message}`);
          return;
        case 'recovered':
          log.info({ event: event.type, group: event.group, server: event.server, downForMs: event.downForMs },
            `accounting group ${event.group} recovered on ${event.server}`);
          return;
      }
    },

    identify(event) {
      // Debug only, and rate-limited per sender where it is made (log.unmatchedSamples).
      log.debug({ event: event.type, sender: event.sender, outcome: event.outcome, reason: event.reason, message: event.message },
        `message from ${event.sender} mapped nothing: ${event.reason}`);
    },

    udpWorkers(event) {
      switch (event.type) {
        case 'udp-worker-exited':
          log.error({ event: event.type, worker: event.worker, code: event.code, signal: event.signal, restartInMs: event.restartInMs },
            `UDP worker ${event.worker} exited (${event.signal ?? `code ${event.code}`}); a new one starts in ${event.restartInMs} ms`);
          return;
        case 'udp-workers-reloaded':
          log.info({ event: event.type, workers: event.workers }, `the ${event.workers} UDP workers took the new configuration`);
          return;
        case 'udp-worker-killed':
          log.warn({ event: event.type, worker: event.worker }, `UDP worker ${event.worker} did not stop in time and was killed`);
          return;
      }
    },

    audit(event) {
      switch (event.type) {
        case 'audit-io-error':
          log.error({ event: event.type, code: 'UID_ERR_AUDIT_IO', path: event.path, error: errorFields(event.error) },
            `the audit trail ${event.path} cannot be written: lines wait in memory and are retried every second`);
          return;
        case 'audit-io-recovered':
          log.info({ event: event.type, path: event.path }, `the audit trail ${event.path} is writable again`);
          return;
        case 'audit-buffer-full':
          log.error({ event: event.type, code: 'UID_ERR_AUDIT_IO', path: event.path, bufferBytes: event.bufferBytes },
            `the audit trail ${event.path} is ${event.bufferBytes} bytes behind: new lines are dropped (uid_audit_lines_total{outcome="dropped"}) until the disk catches up`);
          return;
        case 'audit-buffer-cleared':
          log.warn({ event: event.type, path: event.path, dropped: event.dropped },
            `the audit trail ${event.path} caught up; ${event.dropped} lines were dropped`);
          return;
      }
    },
  };
}
