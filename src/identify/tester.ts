/**
 * `uid-listener test-profile` and profile samples: run messages through the same matcher
 * as ingestion (ProfileSet.diagnose) and, when nothing comes out, say why from that
 * matcher's own counters, so the explanation cannot drift from what ingestion does.
 */
import { normaliseAddress } from './address.js';
import type { ExpectedEvent } from './definition.js';
import type { IdentityAction, IdentityEvent } from './event.js';
import type { ProfileMatcher, ProfileSet } from './profile-set.js';
import { resetStats, type IdentifyStats, type ProfileCounters } from './stats.js';

export interface TestResult {
  line: number;
  events: { profile: string; event: IdentityAction; user: string; ip: string }[];
  /**
   * Why `events` is empty, else null: `event not matched` when no profile's event part
   * matched; otherwise, per profile that matched, `no user`, `user invalid`, `no address`
   * or `address invalid` followed by the profile name in parentheses, joined by `; `.
   */
  reason: string | null;
}

export interface SampleFailure {
  file: string;
  line: number;
  profile: string;
  /** 1-based index of the sample in its profile's `samples:`. */
  sample: number;
  message: string;
}

const TEST_SENDER = { name: 'test-profile', address: '127.0.0.1', transports: ['udp' as const] };

export function testMessage(set: ProfileSet, message: string, line: number): TestResult {
  const { events, stats } = run(set, undefined, message);
  const items = events.map(({ profile, event, user, ip }) => ({ profile, event, user, ip }));
  return { line, events: items, reason: items.length > 0 ? null : whyNothing(stats) };
}

/** Runs every profile's samples through that profile alone; returns each sample that fails. */
export function checkSamples(set: ProfileSet): SampleFailure[] {
  const failures: SampleFailure[] = [];
  for (const name of set.names) {
    const { definition } = set.profile(name)!;
    definition.samples?.forEach((sample, index) => {
      const { events, stats } = run(set, [name], sample.message);
      const expected = sample.expect.map(describeExpected).sort();
      const actual = events.map(describeEvent).sort();
      if (expected.join('\n') === actual.join('\n')) return;
      const got = actual.length > 0 ? actual.join(', ') : `nothing (${whyNothing(stats)})`;
      const where = sample.at ?? definition.at ?? { file: '<inline>', line: 1 };
      failures.push({
        file: where.file,
        line: where.line,
        profile: name,
        sample: index + 1,
        message: `profile "${name}" sample ${index + 1}: expected ${expected.length > 0 ? expected.join(', ') : 'nothing'} but got ${got}`,
      });
    });
  }
  return failures;
}

/** One diagnostic matcher per set and profile selection, its counters reset per message. */
const matchers = new WeakMap<ProfileSet, Map<string, { matcher: ProfileMatcher; stats: IdentifyStats }>>();

function run(set: ProfileSet, names: readonly string[] | undefined, message: string): { events: IdentityEvent[]; stats: IdentifyStats } {
  let bySelection = matchers.get(set);
  if (!bySelection) matchers.set(set, (bySelection = new Map()));
  const key = names?.join('\n') ?? '';
  let diagnostic = bySelection.get(key);
  if (!diagnostic) bySelection.set(key, (diagnostic = set.diagnose(names)));
  const { matcher, stats } = diagnostic;
  resetStats(stats);
  const events: IdentityEvent[] = [];
  matcher.match(Buffer.from(message), TEST_SENDER, (event) => events.push(event));
  return { events, stats };
}

function whyNothing(stats: IdentifyStats): string {
  const reasons = Object.entries(stats.profiles)
    .filter(([, c]) => c.matched > 0)
    .map(([name, c]) => `${reasonOf(c)} (${name})`);
  return reasons.length > 0 ? reasons.join('; ') : 'event not matched';
}

function reasonOf(c: ProfileCounters): string {
  if (c.noUser > 0) return 'no user';
  if (c.invalidUser > 0) return 'user invalid';
  if (c.noAddress > 0) return 'no address';
  return 'address invalid';
}

function describeExpected(e: ExpectedEvent): string {
  return `${e.event} ${e.user} at ${normaliseAddress(e.ip) ?? e.ip}`;
}

function describeEvent(e: IdentityEvent): string {
  return `${e.event} ${e.user} at ${e.ip}`;
}
