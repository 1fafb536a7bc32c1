/**
 * Plain counters of the identify stage (STYLE §3): the hot path only increments numbers;
 * src/observability exports them (`uid_identity_events_total{profile,event}` is
 * `profiles[name].emitted` labelled with `profiles[name].event`).
 */
import type { IdentityAction } from './event.js';

export interface ProfileCounters {
  readonly event: IdentityAction;
  /** Messages whose event part matched (eventRegex / eventString). */
  matched: number;
  /** Identity events yielded (one per usable address). */
  emitted: number;
  /** Event matched but the username part found nothing, or only blanks. */
  noUser: number;
  /** A user was found but is unusable: control characters, or longer than 255 bytes. */
  invalidUser: number;
  /** A machine account (`HOST$`) from a profile without `machineAccounts: true`. */
  machineAccount: number;
  /** Event and user matched but the address part found nothing. */
  noAddress: number;
  /** Address matches that are not a usable host address (malformed, 0.0.0.0, ::, multicast). */
  invalidAddress: number;
  /** Messages with more address matches than MAX_ADDRESSES_PER_MESSAGE (32); the rest were ignored. */
  addressCapped: number;
  /**
   * The text of the last user or address rejected (invalid, machine account), for the
   * tester's reasons; a reference to a string already made, not a counter.
   */
  rejected: string;
}

const PROFILE_COUNTERS = ['matched', 'emitted', 'noUser', 'invalidUser', 'machineAccount', 'noAddress', 'invalidAddress', 'addressCapped'] as const;

export interface IdentifyStats {
  /** Messages offered to `match`. */
  messages: number;
  /** Messages that no profile's event part matched. */
  unmatched: number;
  readonly profiles: Readonly<Record<string, ProfileCounters>>;
}

function zeroCounters(event: IdentityAction): ProfileCounters {
  return { event, matched: 0, emitted: 0, noUser: 0, invalidUser: 0, machineAccount: 0, noAddress: 0, invalidAddress: 0, addressCapped: 0, rejected: '' };
}

export function createStats(profiles: readonly { readonly name: string; readonly event: IdentityAction }[]): IdentifyStats {
  const counters: Record<string, ProfileCounters> = Object.create(null);
  for (const { name, event } of profiles) counters[name] = zeroCounters(event);
  return { messages: 0, unmatched: 0, profiles: counters };
}

/** Sets every counter back to zero (diagnostics reuse one matcher across messages). */
export function resetStats(stats: IdentifyStats): void {
  stats.messages = 0;
  stats.unmatched = 0;
  for (const counters of Object.values(stats.profiles)) {
    for (const key of PROFILE_COUNTERS) counters[key] = 0;
    counters.rejected = '';
  }
}

/** Adds `from` into `into` (a reload retires a profile set; its counts must not vanish from metrics). */
export function addIdentifyStats(into: IdentifyStats, from: IdentifyStats): void {
  into.messages += from.messages;
  into.unmatched += from.unmatched;
  const profiles = into.profiles as Record<string, ProfileCounters>;
  for (const [name, counters] of Object.entries(from.profiles)) {
    const total = (profiles[name] ??= zeroCounters(counters.event));
    for (const key of PROFILE_COUNTERS) total[key] += counters[key];
  }
}
