/**
 * The compiled profiles, immutable once built (STYLE §2): a reload compiles a new set and
 * swaps it. Senders get matchers over the profiles they may use, built once and reused.
 */
import { ConfigError, UidError, type ConfigIssue } from '../errors.js';
import type { Sender } from '../syslog/message.js';
import { compileProfile } from './compile.js';
import { positionOf, type ProfileDefinition } from './definition.js';
import { createMatcher, type PrefilterStrategy, type ProfileMatcher } from './matcher.js';
import type { CompiledProfile } from './profile.js';
import { createStats, type IdentifyStats } from './stats.js';

export type { ProfileMatcher, PrefilterStrategy };
export type { IdentifyStats };

export class ProfileSet {
  /** Profile names in load order. */
  readonly names: readonly string[];
  /** Counters of every matcher built by `forSender`. */
  readonly stats: IdentifyStats;
  private readonly byName: ReadonlyMap<string, CompiledProfile>;
  private readonly matchers = new WeakMap<Sender, ProfileMatcher>();

  private constructor(profiles: readonly CompiledProfile[]) {
    this.byName = new Map(profiles.map((p) => [p.name, p]));
    this.names = Object.freeze(profiles.map((p) => p.name));
    this.stats = createStats(profiles);
    Object.freeze(this);
  }

  /** Compiles every definition; throws a ConfigError listing every issue (RE2 refusals, duplicate names). */
  static compile(definitions: readonly ProfileDefinition[]): ProfileSet {
    const { set, issues } = ProfileSet.build(definitions);
    if (issues.length > 0) throw new ConfigError(issues);
    return set;
  }

  /** Compiles what compiles and reports the rest, so a loader can show every issue at once. */
  static build(definitions: readonly ProfileDefinition[]): { set: ProfileSet; issues: ConfigIssue[] } {
    const issues: ConfigIssue[] = [];
    const compiled: CompiledProfile[] = [];
    const firstAt = new Map<string, string>();
    for (const definition of definitions) {
      const where = positionOf(definition, 'name');
      const previous = firstAt.get(definition.name);
      if (previous !== undefined) {
        issues.push({ code: 'UID_ERR_CONFIG_REFERENCE', ...where,
          message: `profile name "${definition.name}" is already used by ${previous}; names must be unique` });
        continue;
      }
      firstAt.set(definition.name, `${where.file}:${where.line}:${where.col}`);
      const { profile, issues: own } = compileProfile(definition);
      issues.push(...own);
      if (profile) compiled.push(profile);
    }
    return { set: new ProfileSet(compiled), issues };
  }

  /** The compiled profile of that name (definition, samples), for tools such as the tester. */
  profile(name: string): CompiledProfile | undefined {
    return this.byName.get(name);
  }

  /** The profiles one sender may use (all when `sender.profiles` is absent), counted in `stats`. */
  forSender(sender: Sender): ProfileMatcher {
    let matcher = this.matchers.get(sender);
    if (!matcher) {
      matcher = createMatcher(this.select(sender.profiles, sender.name), this.stats);
      this.matchers.set(sender, matcher);
    }
    return matcher;
  }

  /**
   * A matcher with its own counters, for diagnostics (test-profile, samples, benchmarks):
   * the same code as ingestion, without touching `stats`.
   */
  diagnose(names?: readonly string[], strategy?: PrefilterStrategy): { matcher: ProfileMatcher; stats: IdentifyStats } {
    const profiles = this.select(names, 'diagnostics');
    const stats = createStats(profiles);
    return { matcher: createMatcher(profiles, stats, strategy), stats };
  }

  private select(names: readonly string[] | undefined, who: string): CompiledProfile[] {
    if (names === undefined) return [...this.byName.values()];
    return names.map((name) => {
      const profile = this.byName.get(name);
      if (!profile) {
        throw new UidError('UID_ERR_CONFIG_REFERENCE',
          `sender "${who}" names profile "${name}", which is not loaded (loaded: ${this.names.join(', ') || 'none'})`);
      }
      return profile;
    });
  }
}
