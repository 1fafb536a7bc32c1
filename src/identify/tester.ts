/**
 * `uid-listener test-profile`, profile samples and the listener's unmatched-message samples:
 * messages run through the very pipeline ingestion runs (pipeline.ts: the sender's
 * profiles, normalise, counting), in diagnostic mode (own counters), and when nothing comes
 * out the reason is read from that run's own counters and rejections, so the explanation
 * cannot drift from what ingestion does.
 */
import type { Sender } from '../syslog/message.js';
import { normaliseAddress } from './address.js';
import type { ExpectedEvent } from './definition.js';
import type { IdentityAction, IdentityEvent } from './event.js';
import type { NormaliseConfig, Normaliser } from './normalise.js';
import { IdentifyPipeline } from './pipeline.js';
import type { ProfileSet } from './profile-set.js';
import { resetStats, type ProfileCounters } from './stats.js';

export interface TestResult {
  line: number;
  events: { profile: string; event: IdentityAction; user: string; ip: string }[];
  /**
   * Why `events` is empty, else null: `event not matched` when no profile's event part
   * matched; otherwise, per profile that matched, what stopped it (`no user`,
   * `user invalid: 'TEXT'`, `machine account: 'TEXT'`, `no address`, `address invalid: 'TEXT'`,
   * `ignored user: 'TEXT' (ignoreUsers)`, `address 'IP' not in includeNetworks`,
   * `address 'IP' in excludeNetworks`) followed by the profile name in parentheses, joined by `; `.
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

/** No mapping rules: what a profile yields by itself. */
export const NO_MAPPING_RULES: NormaliseConfig = { ignoreUsers: [], includeNetworks: [], excludeNetworks: [] };
const TEST_SENDER: Sender = { name: 'test-profile', address: '127.0.0.1', transports: ['udp'] };
/** The tester never looks at times. */
const NO_CLOCK = { now: 0 };

/** Runs messages as the listener would for one sender: its profiles, defaultDomain, and the mapping rules given. */
export class SenderTester {
  readonly #sender: Sender;
  readonly #pipeline: IdentifyPipeline;
  #events: IdentityEvent[] = [];
  /** Per dropped event: its profile and why normalise dropped it. */
  #filtered: { profile: string; reason: string }[] = [];

  constructor(profiles: ProfileSet, mappings: NormaliseConfig, sender: Sender) {
    this.#sender = sender;
    this.#pipeline = new IdentifyPipeline({
      profiles, mappings, senders: [sender], clock: NO_CLOCK, diagnostic: true,
      sink: (event) => this.#events.push(event),
      onFiltered: (event) => this.#filtered.push({ profile: event.profile, reason: filterReason(this.#pipeline.normalise, event) }),
    });
  }

  test(message: string | Buffer, line: number): TestResult {
    const events = this.run(message).map(({ profile, event, user, ip }) => ({ profile, event, user, ip }));
    return { line, events, reason: events.length > 0 ? null : this.#whyNothing() };
  }

  /** The events the message yields (normalised, as the table would get them); `reason()` explains an empty answer. */
  run(message: string | Buffer): IdentityEvent[] {
    const stats = this.#pipeline.laneStats(this.#sender)!;
    resetStats(stats);
    this.#events = [];
    this.#filtered = [];
    this.#pipeline.handle(typeof message === 'string' ? Buffer.from(message) : message, this.#sender);
    return this.#events;
  }

  /** Why the last message run yielded nothing. */
  reason(): string {
    return this.#whyNothing();
  }

  #whyNothing(): string {
    const stats = this.#pipeline.laneStats(this.#sender)!;
    const reasons: string[] = [];
    for (const [name, c] of Object.entries(stats.profiles)) {
      if (c.matched === 0) continue;
      if (c.emitted === 0) reasons.push(`${reasonOf(c)} (${name})`);
      else for (const f of this.#filtered) if (f.profile === name) reasons.push(`${f.reason} (${name})`);
    }
    return reasons.length > 0 ? reasons.join('; ') : 'event not matched';
  }
}

const testers = new WeakMap<ProfileSet, SenderTester>();

/** A message through every profile of the set, without mapping rules (`test-profile PROFILE MESSAGES`). */
export function testMessage(set: ProfileSet, message: string, line: number): TestResult {
  let tester = testers.get(set);
  if (!tester) testers.set(set, (tester = new SenderTester(set, NO_MAPPING_RULES, TEST_SENDER)));
  return tester.test(message, line);
}

/** Runs every profile's samples through that profile alone; returns each sample that fails. */
export function checkSamples(set: ProfileSet): SampleFailure[] {
  const failures: SampleFailure[] = [];
  for (const name of set.names) {
    const { definition } = set.profile(name)!;
    if (!definition.samples?.length) continue;
    const tester = new SenderTester(set, NO_MAPPING_RULES, { ...TEST_SENDER, profiles: [name] });
    definition.samples.forEach((sample, index) => {
      const events = tester.run(sample.message);
      const expected = sample.expect.map((e) => describeExpected(e, definition.event)).sort();
      const actual = events.map(describeEvent).sort();
      if (expected.join('\n') === actual.join('\n')) return;
      const got = actual.length > 0 ? actual.join(', ') : `nothing (${tester.reason()})`;
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

function reasonOf(c: ProfileCounters): string {
  if (c.noUser > 0) return 'no user';
  if (c.invalidUser > 0) return `user invalid: ${quote(c.rejected)}`;
  if (c.machineAccount > 0) return `machine account: ${quote(c.rejected)} (the profile does not set machineAccounts)`;
  if (c.noAddress > 0) return 'no address';
  return `address invalid: ${quote(c.rejected)}`;
}

function filterReason(normalise: Normaliser, event: IdentityEvent): string {
  switch (normalise.rejectedBy) {
    case 'ignoreUsers': return `ignored user: ${quote(normalise.rejected)} (ignoreUsers)`;
    case 'includeNetworks': return `address ${quote(event.ip)} not in includeNetworks`;
    default: return `address ${quote(event.ip)} in excludeNetworks`;
  }
}

/** Rejected text as the reason shows it: in single quotes, control characters escaped (`\u0001`), long text cut. */
function quote(text: string): string {
  const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return `'${cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

function describeExpected(e: ExpectedEvent, event: IdentityAction): string {
  return `${e.event ?? event} ${e.user} at ${normaliseAddress(e.ip) ?? e.ip}`;
}

function describeEvent(e: IdentityEvent): string {
  return `${e.event} ${e.user} at ${e.ip}`;
}
