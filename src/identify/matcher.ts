/**
 * The per-message loop over the profiles one sender may use, with the prefilter that makes
 * a message no profile wants cost almost nothing. Two prefilters, chosen per sender from
 * measurements (bench `identify` part, docs/profiles.md "Speed"):
 *
 * - `literal`: for each profile, `Buffer.indexOf` of the literal its event part requires
 *   (the event string itself, or one proven from the event regex by literal.ts), and the
 *   event regex only when the literal is found and does not decide alone. About 0.1 µs
 *   per profile on a 190-byte message, so it suits a sender with a few profiles.
 * - `set`: the whole set in one pass. A LiteralScanner finds which profiles' literals occur
 *   (about 0.1-0.2 µs whatever their number) and only their profiles are tried; profiles
 *   without a usable literal share one RE2.Set of their event parts. Should RE2's DFA run
 *   out of memory on a hostile message, the set throws and those profiles' own event
 *   regexes decide.
 *
 * Either way a profile extracts only after its own event part matched, in profile order,
 * so the results are exactly those of running every profile unfiltered
 * (test/identify/matcher.test.ts proves it).
 */
import RE2 from 're2';
import type { Sender } from '../syslog/message.js';
import type { IdentityEvent } from './event.js';
import { LiteralScanner } from './literal-scan.js';
import { NO_PROFILE } from './outcome.js';
import type { CompiledProfile } from './profile.js';
import { undoRelay } from './relay.js';
import type { IdentifyStats, ProfileCounters } from './stats.js';

export interface ProfileMatcher {
  /**
   * Runs one message through the profiles; calls `emit` once per identity event,
   * synchronously. Returns the furthest outcome the profiles reached (outcome.ts):
   * NO_PROFILE when none matched, EMITTED when one emitted, else why none did.
   */
  match(data: Buffer, sender: Sender, emit: (event: IdentityEvent) => void): number;
}

/** `none` runs every event regex on every message: the reference the prefilters must equal. */
export type PrefilterStrategy = 'literal' | 'set' | 'none';

/**
 * Cost units per profile in the literal loop: an indexOf is 1, an event regex that must run
 * on every message is about 2. Above this total one pass for the whole set is cheaper (measured).
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
  return strategy === 'set'
    ? new SetMatcher([...profiles], counters, stats)
    : new LoopMatcher([...profiles], counters, stats, strategy === 'literal');
}

/** A profile whose event part matched: count it and extract; returns the profile's outcome. */
function extract(profile: CompiledProfile, counters: ProfileCounters, data: Buffer, sender: string, emit: (event: IdentityEvent) => void): number {
  counters.matched++;
  return profile.extract(data, sender, emit, counters);
}

/** `literal` and `none`: one profile after the other. */
class LoopMatcher implements ProfileMatcher {
  constructor(
    private readonly profiles: readonly CompiledProfile[],
    private readonly counters: readonly ProfileCounters[],
    private readonly stats: IdentifyStats,
    private readonly prefilter: boolean,
  ) {}

  match(raw: Buffer, sender: Sender, emit: (event: IdentityEvent) => void): number {
    this.stats.messages++;
    const data = undoRelay(raw);
    let outcome = NO_PROFILE;
    for (let i = 0; i < this.profiles.length; i++) {
      const p = this.profiles[i]!;
      if (this.prefilter && p.literal !== null) {
        if (data.indexOf(p.literal) === -1) continue;
        if (!p.literalIsExact && !p.eventMatches(data)) continue;
      } else if (!p.eventMatches(data)) {
        continue;
      }
      const reached = extract(p, this.counters[i]!, data, sender.name, emit);
      if (reached > outcome) outcome = reached;
    }
    if (outcome === NO_PROFILE) this.stats.unmatched++;
    return outcome;
  }
}

/** `set`: one literal scan for the profiles with a literal, one RE2.Set for the rest. */
class SetMatcher implements ProfileMatcher {
  private readonly scanner: LiteralScanner | null;
  /** Per profile: index of its literal in the scanner, or -1 (decided by the RE2.Set). */
  private readonly literalOf: Int32Array;
  /** Per literal: the profiles that require it, in profile order. */
  private readonly profilesOf: readonly Int32Array[];
  /** Scratch: which literals the scan found (cleared after each message). */
  private readonly found: Uint8Array;
  /** Scratch: the profiles whose literal was found, in profile order. */
  private readonly tried: Int32Array;
  /** Profiles without a usable literal, and one RE2.Set of their event parts (null: none, or RE2 refused it). */
  private readonly rest: readonly number[];
  private readonly restSet: InstanceType<typeof RE2.Set> | null;
  /** Scratch: which profiles the RE2.Set matched (cleared after each message). */
  private readonly restHit: Uint8Array;

  constructor(
    private readonly profiles: readonly CompiledProfile[],
    private readonly counters: readonly ProfileCounters[],
    private readonly stats: IdentifyStats,
  ) {
    const literals: Buffer[] = [];
    const profilesOf: number[][] = [];
    const rest: number[] = [];
    this.literalOf = new Int32Array(profiles.length);
    profiles.forEach((p, i) => {
      if (p.literal === null || !LiteralScanner.usable(p.literal)) {
        this.literalOf[i] = -1;
        rest.push(i);
        return;
      }
      let index = literals.findIndex((l) => l.equals(p.literal!));
      if (index === -1) index = literals.push(p.literal) - 1;
      (profilesOf[index] ??= []).push(i);
      this.literalOf[i] = index;
    });
    this.scanner = literals.length > 0 ? new LiteralScanner(literals) : null;
    this.profilesOf = profilesOf.map((list) => Int32Array.from(list));
    this.found = new Uint8Array(literals.length);
    this.tried = new Int32Array(profiles.length);
    this.rest = rest;
    this.restSet = rest.length > 0 ? eventSet(rest.map((i) => profiles[i]!)) : null;
    this.restHit = new Uint8Array(profiles.length);
  }

  match(raw: Buffer, sender: Sender, emit: (event: IdentityEvent) => void): number {
    this.stats.messages++;
    const data = undoRelay(raw);
    const literalHits = this.scanner === null ? 0 : this.scanner.scan(data, this.found);
    let outcome: number;
    if (this.rest.length === 0) {
      // The common case: only the profiles whose literal occurs can match (none: nothing to loop over).
      outcome = literalHits === 0 ? NO_PROFILE : this.tryFound(data, literalHits, sender, emit);
    } else {
      outcome = this.tryAll(data, sender, emit);
    }
    if (literalHits > 0) {
      const hits = this.scanner!.hits;
      for (let h = 0; h < literalHits; h++) this.found[hits[h]!] = 0;
    }
    if (outcome === NO_PROFILE) this.stats.unmatched++;
    return outcome;
  }

  /** Every profile has a literal: tries those whose literal the scan found, in profile order. */
  private tryFound(data: Buffer, literalHits: number, sender: Sender, emit: (event: IdentityEvent) => void): number {
    const { profiles, tried } = this;
    const hits = this.scanner!.hits;
    let count = 0;
    for (let h = 0; h < literalHits; h++) {
      const list = this.profilesOf[hits[h]!]!;
      for (let k = 0; k < list.length; k++) {
        // Insertion keeps profile order (a few entries at most).
        let at = count++;
        while (at > 0 && tried[at - 1]! > list[k]!) {
          tried[at] = tried[at - 1]!;
          at--;
        }
        tried[at] = list[k]!;
      }
    }
    let outcome = NO_PROFILE;
    for (let t = 0; t < count; t++) {
      const i = tried[t]!;
      const p = profiles[i]!;
      if (!p.literalIsExact && !p.eventMatches(data)) continue;
      const reached = extract(p, this.counters[i]!, data, sender.name, emit);
      if (reached > outcome) outcome = reached;
    }
    return outcome;
  }

  /** Some profiles have no literal: goes through all, the RE2.Set deciding for those. */
  private tryAll(data: Buffer, sender: Sender, emit: (event: IdentityEvent) => void): number {
    const { profiles, literalOf, found, restHit } = this;
    const restDecided = this.markRest(data);
    let outcome = NO_PROFILE;
    for (let i = 0; i < profiles.length; i++) {
      const p = profiles[i]!;
      const literal = literalOf[i]!;
      if (literal !== -1) {
        if (found[literal] === 0 || (!p.literalIsExact && !p.eventMatches(data))) continue;
      } else if (restDecided ? restHit[i] === 0 : !p.eventMatches(data)) {
        continue;
      }
      const reached = extract(p, this.counters[i]!, data, sender.name, emit);
      if (reached > outcome) outcome = reached;
    }
    if (restDecided) restHit.fill(0);
    return outcome;
  }

  /** Marks the literal-less profiles the RE2.Set matches; false when it cannot say (each profile's regex decides). */
  private markRest(data: Buffer): boolean {
    if (this.restSet === null) return false;
    let hits: number[];
    try {
      hits = this.restSet.match(data);
    } catch {
      return false; // RE2's DFA gave up (memory budget)
    }
    for (let h = 0; h < hits.length; h++) this.restHit[this.rest[hits[h]!]!] = 1;
    return true;
  }
}

/** One RE2.Set of the profiles' event parts; null (each regex decides) should RE2 refuse to build it, e.g. over its memory budget. */
function eventSet(profiles: readonly CompiledProfile[]): InstanceType<typeof RE2.Set> | null {
  try {
    return new RE2.Set(profiles.map((p) => p.eventSource));
  } catch {
    return null;
  }
}
