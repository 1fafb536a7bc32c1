/**
 * Per-sender counters (issue 11 item 3: "why nothing mapped, while running"): messages by
 * outcome, identity events by kind, and when the sender last sent. Plain number arrays
 * indexed by the sender's slot (STYLE §2/§3), so counting a message is two array writes;
 * src/observability exports them as `uid_sender_messages_total{sender,outcome}`,
 * `uid_sender_identity_events_total{sender,event}` and `uid_sender_last_message_seconds{sender}`.
 * Plain arrays also cross the UDP workers' JSON channel as they are.
 */
import { OUTCOME_COUNT, OUTCOMES, type Outcome } from './outcome.js';

export interface SenderStats {
  /** Sender names; slot i of every array below belongs to names[i]. */
  readonly names: string[];
  /** outcomes[i * OUTCOME_COUNT + outcome]: messages of sender i with that outcome. */
  readonly outcomes: number[];
  /** events[i * 2]: logins, events[i * 2 + 1]: logouts of sender i that reached the table. */
  readonly events: number[];
  /** When sender i's last message came (ms since the epoch, to the clock's tick); 0: none yet. */
  readonly lastMessageAt: number[];
}

export function createSenderStats(names: readonly string[] = []): SenderStats {
  const stats: SenderStats = { names: [], outcomes: [], events: [], lastMessageAt: [] };
  for (const name of names) senderSlot(stats, name);
  return stats;
}

/** The slot of `name`, made (zeroed) when it has none yet. Not for the hot path: callers keep the slot. */
export function senderSlot(stats: SenderStats, name: string): number {
  const known = stats.names.indexOf(name);
  if (known !== -1) return known;
  stats.names.push(name);
  for (let o = 0; o < OUTCOME_COUNT; o++) stats.outcomes.push(0);
  stats.events.push(0, 0);
  stats.lastMessageAt.push(0);
  return stats.names.length - 1;
}

/** Adds `from` into `into` by sender name (a reload's retired counters, a worker's); last message: the later. */
export function addSenderStats(into: SenderStats, from: SenderStats): void {
  from.names.forEach((name, i) => {
    const slot = senderSlot(into, name);
    for (let o = 0; o < OUTCOME_COUNT; o++) into.outcomes[slot * OUTCOME_COUNT + o]! += from.outcomes[i * OUTCOME_COUNT + o]!;
    into.events[slot * 2]! += from.events[i * 2]!;
    into.events[slot * 2 + 1]! += from.events[i * 2 + 1]!;
    if (from.lastMessageAt[i]! > into.lastMessageAt[slot]!) into.lastMessageAt[slot] = from.lastMessageAt[i]!;
  });
}

/** One sender as operators see it (metrics, /healthz, the status page). */
export interface SenderActivity {
  readonly name: string;
  readonly messages: Readonly<Record<Outcome, number>>;
  readonly events: { readonly login: number; readonly logout: number };
  /** ms since the epoch; null when it has sent nothing since the listener started. */
  readonly lastMessageAt: number | null;
  readonly quietAfterMinutes?: number;
  /** quietAfterMinutes is set and nothing came for that long (counted from the start when it never sent). */
  readonly quiet: boolean;
}

/**
 * The configured senders (in config order, then any others counted) with their totals
 * over every stats object given (current, retired by reloads, UDP workers).
 */
export function senderActivity(
  senders: readonly { readonly name: string; readonly quietAfterMinutes?: number }[],
  all: readonly SenderStats[],
  startedAt: number,
  now: number,
): SenderActivity[] {
  const total = createSenderStats(senders.map((s) => s.name));
  for (const stats of all) addSenderStats(total, stats);
  const quietAfter = new Map(senders.map((s) => [s.name, s.quietAfterMinutes]));
  return total.names.map((name, i) => {
    const messages = Object.fromEntries(OUTCOMES.map((o, k) => [o, total.outcomes[i * OUTCOME_COUNT + k]!])) as Record<Outcome, number>;
    const last = total.lastMessageAt[i]!;
    const minutes = quietAfter.get(name);
    const quiet = minutes !== undefined && now - (last === 0 ? startedAt : last) > minutes * 60_000;
    return {
      name,
      messages,
      events: { login: total.events[i * 2]!, logout: total.events[i * 2 + 1]! },
      lastMessageAt: last === 0 ? null : last,
      ...(minutes === undefined ? {} : { quietAfterMinutes: minutes }),
      quiet,
    };
  });
}
