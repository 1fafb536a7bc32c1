/** GET /healthz: its verdict from what the application reports (schemas.ts `HealthReport`). */
import type { AccountingStatus } from '../accounting/status.js';
import type { SenderActivity } from '../identify/sender-stats.js';
import type { AccountingHealth, HealthBody, HealthReport, QuietSender } from './schemas.js';

/**
 * down: listeners exist and none is listening (nothing can be ingested);
 * degraded: some listener is not listening, an accounting group is not up, a sender with
 * `quietAfterMinutes` went quiet (the operator asked to hear of it), or the shared table
 * (Redis) is unreachable;
 * ok otherwise.
 */
export function healthStatus(report: HealthReport): HealthBody['status'] {
  const listening = report.listeners.filter((l) => l.state === 'listening').length;
  if (report.listeners.length > 0 && listening === 0) return 'down';
  if (listening < report.listeners.length) return 'degraded';
  if (report.accounting?.groups.some((g) => g.state !== 'up')) return 'degraded';
  if (report.quietSenders !== undefined && report.quietSenders.length > 0) return 'degraded';
  if (report.store?.state === 'degraded') return 'degraded';
  return 'ok';
}

/** The part of the accounting status that health reports: mode and each group's state and backlog. */
export function accountingHealth(status: AccountingStatus): AccountingHealth {
  return { mode: status.mode, groups: status.groups.map((g) => ({ name: g.name, state: g.state, queueDepth: g.queueDepth })) };
}

/** The senders that went quiet (senders[].quietAfterMinutes), as /healthz lists them. */
export function quietSenders(activity: readonly SenderActivity[]): QuietSender[] {
  return activity.filter((s) => s.quiet).map((s) => ({
    name: s.name,
    quietAfterMinutes: s.quietAfterMinutes!,
    lastMessageAt: s.lastMessageAt === null ? null : new Date(s.lastMessageAt).toISOString(),
  }));
}
