/**
 * Active accounted sessions (IOS `show accounting`): one per mapping whose START was (or,
 * in stop-only mode, would have been) recorded, keyed by task_id.
 *
 * The map is kept in order of each session's next periodic WATCHDOG: a new session is due
 * one period after it opens, and a session whose WATCHDOG went out is moved to the end,
 * due one period later. Finding what is due is O(due), never a scan. Refreshes keep a
 * session's place (the period counts from its start, as IOS `update periodic` does).
 */
import type { Mapping } from '../mappings/table.js';
import type { AccountedSession } from './status.js';

interface Session {
  mapping: Mapping;
  nextWatchdogAt: number;
}

export class AccountedSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #periodMs: number;

  /** `periodMs` 0: no periodic WATCHDOGs. */
  constructor(periodMs: number) {
    this.#periodMs = periodMs > 0 ? periodMs : Infinity;
  }

  get size(): number {
    return this.#sessions.size;
  }

  has(taskId: string): boolean {
    return this.#sessions.has(taskId);
  }

  open(mapping: Mapping, now: number): void {
    this.#sessions.delete(mapping.id);
    this.#sessions.set(mapping.id, { mapping, nextWatchdogAt: now + this.#periodMs });
  }

  /**
   * Mappings restored from a snapshot: their START went out before the restart, so they
   * are active without a new one. Their WATCHDOGs keep the period counted from their start.
   */
  restore(mappings: readonly Mapping[], now: number): void {
    const period = this.#periodMs;
    const restored = mappings.map((mapping) => ({
      mapping,
      nextWatchdogAt: period === Infinity ? Infinity : now + period - (Math.max(0, now - mapping.firstSeen) % period),
    }));
    restored.sort((a, b) => a.nextWatchdogAt - b.nextWatchdogAt);
    for (const session of restored) this.#sessions.set(session.mapping.id, session);
  }

  /** A refresh: the session keeps its place, with the mapping's new sender and times. */
  update(mapping: Mapping): void {
    const session = this.#sessions.get(mapping.id);
    if (session) session.mapping = mapping;
  }

  close(taskId: string): void {
    this.#sessions.delete(taskId);
  }

  /**
   * Up to `max` sessions whose periodic WATCHDOG is due, each rescheduled one period from
   * now (so a late tick does not bunch them up). The rest wait for the next call.
   */
  takeDue(now: number, max: number): Mapping[] {
    const due: Mapping[] = [];
    for (const [taskId, session] of this.#sessions) {
      if (session.nextWatchdogAt > now || due.length >= max) break;
      this.#sessions.delete(taskId);
      session.nextWatchdogAt = now + this.#periodMs;
      this.#sessions.set(taskId, session);
      due.push(session.mapping);
    }
    return due;
  }

  /** The first `max` sessions, oldest-scheduled first, as `GET /v1/accounting` shows them. */
  list(now: number, max: number): AccountedSession[] {
    const out: AccountedSession[] = [];
    for (const { mapping } of this.#sessions.values()) {
      if (out.length >= max) break;
      out.push({
        taskId: mapping.id,
        user: mapping.user,
        ip: mapping.ip,
        sender: mapping.sender,
        started: new Date(mapping.firstSeen).toISOString(),
        elapsedSeconds: Math.max(0, Math.floor((now - mapping.firstSeen) / 1000)),
      });
    }
    return out;
  }
}
