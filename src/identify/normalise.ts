/**
 * normalise (docs/mappings.md): what the admin's mapping rules do to a profile's event, pure and
 * compiled once from `mappings` config.
 *
 * 1. Domain: a user with neither `\` nor `@` gets the sender's `defaultDomain` as
 *    `DOMAIN\user`; `DOMAIN\user` and `user@realm` stay as given.
 * 2. `ignoreUsers`: globs (`*` any run, `?` one character), case-insensitive. A glob with
 *    `\` or `@` is compared with the whole name (`ACME\svc_*`), any other with the account
 *    name alone, so `svc_*` drops `svc_backup`, `ACME\svc_backup` and `svc_backup@acme.com`.
 * 3. `includeNetworks` (empty = every address) and `excludeNetworks`.
 * 4. Timeout (DESIGN §5 "Timeouts per mapping"), most specific first: the event's own
 *    (a push that named one), the profile's `timeoutMinutes`, the sender's
 *    `timeoutMinutes`; none of them leaves `timeoutMs` absent, meaning the table's default
 *    (`mappings.timeoutMinutes`).
 *
 * Returns the event (a new one when the domain or the timeout was added) or null, counting why.
 */
import RE2 from 're2';
import type { MappingsConfig } from '../config/schema.js';
import { UidError } from '../errors.js';
import type { Sender } from '../syslog/message.js';
import { NetworkSet, parseNetwork } from './address.js';
import type { IdentityEvent } from './event.js';

/** What normalise reads of a sender: its default domain and timeout. */
export type NormaliseSender = Pick<Sender, 'defaultDomain' | 'timeoutMinutes'>;

/** What normalise reads of a profile: its name and timeout. */
export interface NormaliseProfile {
  readonly name: string;
  readonly timeoutMinutes?: number;
}

export interface NormaliseStats {
  passed: number;
  ignoredUser: number;
  /** Outside `includeNetworks` (when that list is not empty). */
  notIncluded: number;
  /** Inside `excludeNetworks`. */
  excluded: number;
}

export function newNormaliseStats(): NormaliseStats {
  return { passed: 0, ignoredUser: 0, notIncluded: 0, excluded: 0 };
}

/** Adds `from` into `into` (counters of a replaced normaliser or of a worker live on). */
export function addNormaliseStats(into: NormaliseStats, from: NormaliseStats): void {
  into.passed += from.passed;
  into.ignoredUser += from.ignoredUser;
  into.notIncluded += from.notIncluded;
  into.excluded += from.excluded;
}

/** Which rule dropped the last event a normaliser dropped, and the text it judged (for the tester's reasons). */
export type Rejection = '' | 'ignoreUsers' | 'includeNetworks' | 'excludeNetworks';

export type Normaliser = ((event: IdentityEvent, sender: NormaliseSender) => IdentityEvent | null) & {
  readonly stats: NormaliseStats;
  /** Set when an event is dropped (string writes only: nothing is made for them). */
  readonly rejectedBy: Rejection;
  readonly rejected: string;
  /** Whether a user (domain already added) at an address passes the filters; counts nothing (a reload's sweep). */
  readonly admits: (user: string, ip: string) => boolean;
};

/** Users whose ignoreUsers verdict is remembered (then forgotten all at once: cheap, and enough for the users a site has). */
const IGNORE_CACHE_SIZE = 8192;

/** The counter of each rule. */
const COUNTER = { ignoreUsers: 'ignoredUser', includeNetworks: 'notIncluded', excludeNetworks: 'excluded' } as const;

export type NormaliseConfig = Pick<MappingsConfig, 'ignoreUsers' | 'includeNetworks' | 'excludeNetworks'>;

export function createNormaliser(config: NormaliseConfig, profiles: readonly NormaliseProfile[] = []): Normaliser {
  const profileTimeouts = new Map<string, number>();
  for (const p of profiles) if (p.timeoutMinutes !== undefined) profileTimeouts.set(p.name, p.timeoutMinutes * 60_000);
  const wholeName = globs(config.ignoreUsers.filter(isQualified));
  const accountName = globs(config.ignoreUsers.filter((g) => !isQualified(g)));
  const include = networks(config.includeNetworks, 'includeNetworks');
  const exclude = networks(config.excludeNetworks, 'excludeNetworks');
  const stats = newNormaliseStats();
  const reject = (by: Rejection, text: string): null => {
    self.rejectedBy = by;
    self.rejected = text;
    return null;
  };

  // RE2 on a JS string converts it to UTF-8 first, per call; the same users come again and again.
  const ignoredUsers = new Map<string, boolean>();
  const ignored = (user: string): boolean => {
    let verdict = ignoredUsers.get(user);
    if (verdict === undefined) {
      verdict = (wholeName !== null && wholeName.test(user)) || (accountName !== null && accountName.test(account(user)));
      if (ignoredUsers.size >= IGNORE_CACHE_SIZE) ignoredUsers.clear();
      ignoredUsers.set(user, verdict);
    }
    return verdict;
  };

  /** The rule that refuses a user (domain added) at an address, or '' when none does. */
  const refusal = (user: string, ip: string): Rejection => {
    if ((wholeName !== null || accountName !== null) && ignored(user)) return 'ignoreUsers';
    if (include !== null && !include.has(ip)) return 'includeNetworks';
    if (exclude !== null && exclude.has(ip)) return 'excludeNetworks';
    return '';
  };

  const normalise = (event: IdentityEvent, sender: NormaliseSender): IdentityEvent | null => {
    let user = event.user;
    if (sender.defaultDomain !== undefined && !isQualified(user)) user = `${sender.defaultDomain}\\${user}`;
    const refused = refusal(user, event.ip);
    if (refused !== '') {
      stats[COUNTER[refused]]++;
      return reject(refused, refused === 'ignoreUsers' ? user : event.ip);
    }
    stats.passed++;
    const timeoutMs = event.timeoutMs ?? profileTimeouts.get(event.profile) ?? minutes(sender.timeoutMinutes);
    if (user === event.user && timeoutMs === event.timeoutMs) return event;
    return timeoutMs === undefined ? { ...event, user } : { ...event, user, timeoutMs };
  };
  const admits = (user: string, ip: string): boolean => refusal(user, ip) === '';
  const self = Object.assign(normalise, { stats, rejectedBy: '' as Rejection, rejected: '', admits });
  return self;
}

function minutes(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 60_000;
}

function isQualified(name: string): boolean {
  return name.includes('\\') || name.includes('@');
}

/** `ACME\jdoe` → `jdoe`; `jdoe@acme.com` → `jdoe`. */
function account(user: string): string {
  const slash = user.lastIndexOf('\\');
  if (slash !== -1) return user.slice(slash + 1);
  const at = user.indexOf('@');
  return at === -1 ? user : user.slice(0, at);
}

/** One case-insensitive RE2 for all globs: linear time whatever the patterns. */
function globs(patterns: readonly string[]): RE2 | null {
  if (patterns.length === 0) return null;
  const alternatives = patterns.map((g) => g.replace(/[\\^$.+()[\]{}|]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'));
  return new RE2(`^(?:${alternatives.join('|')})$`, 'is');
}

function networks(texts: readonly string[], key: string): NetworkSet | null {
  if (texts.length === 0) return null;
  return new NetworkSet(texts.map((text) => {
    const network = parseNetwork(text);
    if (!network) throw new UidError('UID_ERR_CONFIG_VALUE', `mappings.${key}: "${text}" is not an address or CIDR network`);
    return network;
  }));
}
