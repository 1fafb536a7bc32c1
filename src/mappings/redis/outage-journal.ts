/**
 * The outage queue's file (docs/high-availability.md "Redis unavailable"): events waiting
 * for Redis are written to `<queuePath>/` in the accounting spool's format and by its rules
 * (src/accounting/spool.ts): checksummed frames fdatasync'd in group commits (an event is
 * durable within `batchDelayMs`, 2 ms, of its arrival), an ack ledger for the ones applied
 * in Redis, damaged frames skipped and reported (UID_ERR_SPOOL_CORRUPT), a write failure
 * reported once (UID_ERR_STORE_QUEUE_IO) with the events kept in memory meanwhile. So a
 * listener killed or restarted while Redis is away loses none of what it queued: at start
 * the file's events go first, in their order, when Redis is (or comes) back.
 *
 * An event applied in Redis whose ack entry was not yet written when the listener died is
 * applied again after the restart: a login twice is a refresh, a logout twice is ignored.
 * The bound is the queue's (`queueMaxEvents`, counted in events), not the spool's cap.
 */
import type { IdentityEvent } from '../../identify/event.js';
import type { AccountingEvent } from '../../accounting/accounting-events.js';
import type { SpoolCodec } from '../../accounting/spool-format.js';
import { Spool } from '../../accounting/spool.js';
import type { RedisStoreEvent } from './events.js';
import type { Queued } from './outage-queue.js';

const LOGIN = 0;
const LOGOUT = 1;

/** Frame kind 0 login, 1 logout; payload [ip, user, sender, profile, timeoutMs or null]. */
export const IDENTITY_EVENTS: SpoolCodec<IdentityEvent> = {
  kind: (event) => (event.event === 'login' ? LOGIN : LOGOUT),
  text: (event) => JSON.stringify([event.ip, event.user, event.sender, event.profile, event.timeoutMs ?? null]),
  decode(kind, value) {
    if ((kind !== LOGIN && kind !== LOGOUT) || !Array.isArray(value) || value.length !== 5) return null;
    const [ip, user, sender, profile, timeoutMs] = value as unknown[];
    if (typeof ip !== 'string' || typeof user !== 'string' || typeof sender !== 'string' || typeof profile !== 'string') return null;
    if (timeoutMs !== null && typeof timeoutMs !== 'number') return null;
    return { event: kind === LOGIN ? 'login' : 'logout', ip, user, sender, profile, ...(timeoutMs === null ? {} : { timeoutMs }) };
  },
};

export interface OutageJournal {
  readonly spool: Spool<IdentityEvent>;
  /** What an earlier run left, oldest first. */
  readonly restored: Queued<IdentityEvent>[];
}

const READ_BATCH = 4096;

/** Opens (creating) the folder and reads back what it holds. Never throws: a failing disk is reported and retried. */
export async function openOutageJournal(dir: string, onEvent: (event: RedisStoreEvent) => void): Promise<OutageJournal> {
  const spool = await Spool.open({
    dir,
    codec: IDENTITY_EVENTS,
    group: 'mappings.store',
    // Bounded by the queue in events; the spool's byte cap would only drop WATCHDOGs, of which there are none.
    maxBytes: Number.MAX_SAFE_INTEGER,
    // The queue holds the events in memory: the spool is the write-ahead log, never read but at start.
    cacheRecords: 0,
    onEvent: (event) => reportSpoolEvent(dir, event, onEvent),
  });
  const restored: Queued<IdentityEvent>[] = [];
  for (let next = 1; ;) {
    const batch = await spool.read(next, READ_BATCH);
    if (batch.records.length === 0) break;
    for (const { seq, record } of batch.records) restored.push({ seq, item: record });
    next = batch.nextSeq;
  }
  if (restored.length > 0) onEvent({ type: 'store-queue-restored', path: dir, events: restored.length });
  return { spool, restored };
}

function reportSpoolEvent(dir: string, event: AccountingEvent, onEvent: (event: RedisStoreEvent) => void): void {
  switch (event.type) {
    case 'spool-corrupt':
      onEvent({ type: 'store-queue-corrupt', code: event.code, path: dir, message: event.message });
      return;
    case 'spool-io-error':
      onEvent({
        type: 'store-queue-io-error', code: 'UID_ERR_STORE_QUEUE_IO', path: dir, error: event.error,
        message: `the queue for Redis cannot be written to ${dir} (${event.error instanceof Error ? event.error.message : String(event.error)}); events wait in memory only until it can: check free space and permissions`,
      });
      return;
    default:
      // opened (reported with what it restored), recovered, and cap states (never reached: no byte cap)
  }
}
