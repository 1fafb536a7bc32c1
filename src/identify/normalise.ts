/**
 * normalise (DESIGN §1): what the admin's mapping rules do to a profile's event, pure and
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

export type Normaliser = ((event: IdentityEvent, sender: NormaliseSender) => IdentityEvent | null) & { readonly stats: NormaliseStats };

type NormaliseConfig = Pick<MappingsConfig, 'ignoreUsers' | 'includeNetworks' | 'excludeNetworks'>;

export function createNormaliser(config: NormaliseConfig, profiles: readonly NormaliseProfile[] = []): Normaliser {
  const profileTimeouts = new Map<string, number>();
  for (const p of profiles) if (p.timeoutMinutes !== undefined) profileTimeouts.set(p.name, p.timeoutMinutes * 60_000);
  const wholeName = globs(config.ignoreUsers.filter(isQualified));
  const accountName = globs(config.ignoreUsers.filter((g) => !isQualified(g)));
  const include = networks(config.includeNetworks, 'includeNetworks');
  const exclude = networks(config.excludeNetworks, 'excludeNetworks');
  const stats = newNormaliseStats();

  const normalise = (event: IdentityEvent, sender: NormaliseSender): IdentityEvent | null => {
    let user = event.user;
    if (sender.defaultDomain !== undefined && !isQualified(user)) user = `${sender.defaultDomain}\\${user}`;
    if ((wholeName !== null && wholeName.test(user)) || (accountName !== null && accountName.test(account(user)))) {
      stats.ignoredUser++;
      return null;
    }
    if (include !== null && !include.has(event.ip)) {
      stats.notIncluded++;
      return null;
    }
    if (exclude !== null && exclude.has(event.ip)) {
      stats.excluded++;
      return null;
    }
    stats.passed++;
    const timeoutMs = event.timeoutMs ?? profileTimeouts.get(event.profile) ?? minutes(sender.timeoutMinutes);
    if (user === event.user && timeoutMs === event.timeoutMs) return event;
    return timeoutMs === undefined ? { ...event, user } : { ...event, user, timeoutMs };
  };
  return Object.assign(normalise, { stats });
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
