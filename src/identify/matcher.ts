/**
 * The per-message loop over the profiles one sender may use, with the prefilter that makes
 * a message no profile wants cost almost nothing. Two prefilters, chosen per sender from
 * measurements (bench/identify.mjs, docs/profiles.md "Speed"):
 *
 * - `literal`: for each profile, `Buffer.indexOf` of the literal its event part requires
 *   (the event string itself, or one proven from the event regex by literal.ts), and the
 *   event regex only when the literal is found and does not decide alone. About 0.1-0.15 µs
 *   per profile on a 190-byte message, so it wins for a sender with a few profiles.
 * - `set`: one RE2.Set of every event part, run once per message, which says which profiles
 *   match. About 0.4-0.6 µs whatever the number of profiles, so it wins for many (the
 *   crossover measured at 5-6 profiles). Should RE2's DFA run out of memory on a hostile
 *   message, the set throws and the literal loop decides.
 *
 * Either way a profile extracts only after its own event part matched, so the results are
 * exactly those of running every profile unfiltered (test/identify/matcher.test.ts proves it).
 */
import RE2 from 're2';
import type { Sender } from '../syslog/message.js';
import type { IdentityEvent } from './event.js';
import type { CompiledProfile } from './profile.js';
import { undoRelay } from './relay.js';
import type { IdentifyStats, ProfileCounters } from './stats.js';

export interface ProfileMatcher {
  /** Runs one message through the profiles; calls `emit` once per identity event, synchronously. */
  match(data: Buffer, sender: Sender, emit: (event: IdentityEvent) => void): void;
}

/** `none` runs every event regex on every message: the reference the prefilters must equal. */
export type PrefilterStrategy = 'literal' | 'set' | 'none';

/**
 * Cost units per profile in the literal loop: an indexOf is 1, an event regex that must run
 * on every message is about 2. Above this total one RE2.Set pass is cheaper (measured).
 */
const SET_ABOVE_COST = 5;

export function chooseStrategy(profiles: readonly CompiledProfile[]): PrefilterStrategy {
  let cost = 0;
  for (const p of profiles) cost += p.literal === null ? 2 : 1;
  return cost > SET_ABOVE_COST ? 'set' : 'literal';
}

export function createMatcher(
  profiles: readonly CompiledProfile[],
  stats: IdentifyStats,
  strategy: PrefilterStrategy = chooseStrategy(profiles),
): ProfileMatcher {
  const counters = profiles.map((p) => stats.profiles[p.name]!);
  const set = strategy === 'set' && profiles.length > 0 ? eventSet(profiles) : null;
  return new Matcher([...profiles], counters, stats, set, strategy !== 'none');
}

/** One RE2.Set of every event part; null (the literal loop decides) should RE2 refuse to build it, e.g. over its memory budget. */
function eventSet(profiles: readonly CompiledProfile[]): InstanceType<typeof RE2.Set> | null {
  try {
    return new RE2.Set(profiles.map((p) => p.eventSource));
  } catch {
    return null;
  }
}

class Matcher implements ProfileMatcher {
  constructor(
    private readonly profiles: readonly CompiledProfile[],
    private readonly counters: readonly ProfileCounters[],
    private readonly stats: IdentifyStats,
    private readonly set: InstanceType<typeof RE2.Set> | null,
    private readonly prefilter: boolean,
  ) {}

  match(raw: Buffer, sender: Sender, emit: (event: IdentityEvent) => void): void {
    this.stats.messages++;
    const data = undoRelay(raw);
    const hits = this.set === null ? null : this.setHits(data);
    const matched = hits === null ? this.scan(data, sender.name, emit) : this.extractHits(hits, data, sender.name, emit);
    if (!matched) this.stats.unmatched++;
  }

  private setHits(data: Buffer): number[] | null {
    try {
      return this.set!.match(data);
    } catch {
      return null; // RE2's DFA gave up (memory budget); the literal loop still decides correctly
    }
  }

  private extractHits(hits: readonly number[], data: Buffer, sender: string, emit: (event: IdentityEvent) => void): boolean {
    for (let h = 0; h < hits.length; h++) {
      const i = hits[h]!;
      this.counters[i]!.matched++;
      this.profiles[i]!.extract(data, sender, emit, this.counters[i]!);
    }
    return hits.length > 0;
  }

  private scan(data: Buffer, sender: string, emit: (event: IdentityEvent) => void): boolean {
    let matched = false;
    for (let i = 0; i < this.profiles.length; i++) {
      const p = this.profiles[i]!;
      if (this.prefilter && p.literal !== null) {
        if (data.indexOf(p.literal) === -1) continue;
        if (!p.literalIsExact && !p.eventMatches(data)) continue;
      } else if (!p.eventMatches(data)) {
        continue;
      }
      matched = true;
      this.counters[i]!.matched++;
      p.extract(data, sender, emit, this.counters[i]!);
    }
    return matched;
  }
}
