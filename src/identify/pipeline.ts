/**
 * The identify stage for one message from an admitted sender, as the listener, its UDP
 * workers and `test-profile` all run it (one code path, so the tester cannot drift from
 * ingestion): the sender's profiles (matcher.ts), then normalise (domain, ignoreUsers,
 * networks), then the sink (the table, or a worker's batch). Each message is counted once
 * per sender under its outcome (outcome.ts, sender-stats.ts), and a message that mapped
 * nothing may be handed to `onUnmatched`, at most `perMinute` per sender.
 *
 * Per message: one WeakMap lookup (the sender's lane, as ProfileSet.forSender had), the
 * match, two array writes; no closures, no objects.
 */
import type { Sender } from '../syslog/message.js';
import type { Clock } from './clock.js';
import type { IdentityEvent } from './event.js';
import type { ProfileMatcher } from './matcher.js';
import { createNormaliser, type NormaliseConfig, type Normaliser } from './normalise.js';
import { FILTERED, MAPPED, NO_PROFILE, OUTCOME_COUNT } from './outcome.js';
import type { ProfileSet } from './profile-set.js';
import { createSenderStats, senderSlot, type SenderStats } from './sender-stats.js';
import type { IdentifyStats } from './stats.js';

const MINUTE_MS = 60_000;

export interface UnmatchedSampling {
  /** At most this many messages per sender and minute; 0: none. */
  readonly perMinute: number;
  /** Called synchronously with the message as received and its outcome (outcome.ts). */
  readonly onSample: (data: Buffer, sender: Sender, outcome: number) => void;
}

export interface IdentifyOptions {
  readonly profiles: ProfileSet;
  readonly mappings: NormaliseConfig;
  /** The configured senders: each gets its counter slot up front, so metrics show it before it sends. */
  readonly senders: readonly Sender[];
  readonly clock: Clock;
  /** Each normalised identity event, in order. */
  readonly sink: (event: IdentityEvent) => void;
  /** Matchers with their own counters (ProfileSet.diagnose), for the tester: ingestion's counters stay untouched. */
  readonly diagnostic?: boolean;
  /** Diagnostics: called for each event normalise drops, while `normalise.rejectedBy` says why. */
  readonly onFiltered?: (event: IdentityEvent) => void;
  readonly unmatched?: UnmatchedSampling;
}

interface Lane {
  readonly matcher: ProfileMatcher;
  readonly slot: number;
  /** The matcher's own counters (diagnostic lanes only). */
  readonly stats: IdentifyStats | undefined;
}

export class IdentifyPipeline {
  readonly profiles: ProfileSet;
  readonly normalise: Normaliser;
  readonly senderStats: SenderStats;
  readonly #options: IdentifyOptions;
  readonly #lanes = new WeakMap<Sender, Lane>();
  /** Per slot: when the current sampling minute began, and how many were sampled in it. */
  readonly #sampleWindow: number[] = [];
  readonly #sampled: number[] = [];
  /** The message being handled: its sender, and the furthest outcome its events reached. */
  #sender: Sender | undefined;
  #slot = 0;
  #reached = NO_PROFILE;

  constructor(options: IdentifyOptions) {
    this.#options = options;
    this.profiles = options.profiles;
    this.normalise = createNormaliser(options.mappings, options.profiles.names.map((name) => options.profiles.profile(name)!.definition));
    this.senderStats = createSenderStats(options.senders.map((s) => s.name));
  }

  /** One message: match, normalise, sink; returns its outcome (outcome.ts). */
  handle(data: Buffer, sender: Sender): number {
    const lane = this.#lanes.get(sender) ?? this.#lane(sender);
    this.#sender = sender;
    this.#slot = lane.slot;
    this.#reached = NO_PROFILE;
    const matched = lane.matcher.match(data, sender, this.#emit);
    const outcome = this.#reached > matched ? this.#reached : matched;
    const stats = this.senderStats;
    stats.outcomes[lane.slot * OUTCOME_COUNT + outcome]!++;
    stats.lastMessageAt[lane.slot] = this.#options.clock.now;
    if (outcome !== MAPPED && this.#options.unmatched !== undefined) this.#sample(data, sender, lane.slot, outcome);
    return outcome;
  }

  /** The counters of a diagnostic lane (made when missing), for the tester to reset and read. */
  laneStats(sender: Sender): IdentifyStats | undefined {
    return (this.#lanes.get(sender) ?? this.#lane(sender)).stats;
  }

  readonly #emit = (event: IdentityEvent): void => {
    const normalised = this.normalise(event, this.#sender!);
    if (normalised === null) {
      if (this.#reached < FILTERED) this.#reached = FILTERED;
      this.#options.onFiltered?.(event);
      return;
    }
    this.#reached = MAPPED;
    this.senderStats.events[this.#slot * 2 + (normalised.event === 'login' ? 0 : 1)]!++;
    this.#options.sink(normalised);
  };

  #lane(sender: Sender): Lane {
    const { profiles, diagnostic } = this.#options;
    const slot = senderSlot(this.senderStats, sender.name);
    const lane: Lane = diagnostic
      ? { slot, ...profiles.diagnose(sender.profiles) }
      : { slot, matcher: profiles.forSender(sender), stats: undefined };
    this.#lanes.set(sender, lane);
    return lane;
  }

  #sample(data: Buffer, sender: Sender, slot: number, outcome: number): void {
    const { perMinute, onSample } = this.#options.unmatched!;
    const now = this.#options.clock.now;
    const windowStart = this.#sampleWindow[slot];
    if (windowStart === undefined || now - windowStart >= MINUTE_MS) {
      this.#sampleWindow[slot] = now;
      this.#sampled[slot] = 0;
    }
    if (this.#sampled[slot]! >= perMinute) return;
    this.#sampled[slot]!++;
    onSample(data, sender, outcome);
  }
}
