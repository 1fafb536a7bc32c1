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
 *
 * Returns the event (a new one when the domain was added) or null, counting why.
 */
import RE2 from 're2';
import type { MappingsConfig } from '../config/schema.js';
import { UidError } from '../errors.js';
import type { Sender } from '../syslog/message.js';
import { NetworkSet, parseNetwork } from './address.js';
import type { IdentityEvent } from './event.js';

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

export type Normaliser = ((event: IdentityEvent, sender: Sender) => IdentityEvent | null) & {
  readonly stats: NormaliseStats;
  /** Whether a user (domain already added) at an address passes the filters; counts nothing (a reload's sweep). */
  readonly admits: (user: string, ip: string) => boolean;
};

type Refusal = 'ignoredUser' | 'notIncluded' | 'excluded';

type NormaliseConfig = Pick<MappingsConfig, 'ignoreUsers' | 'includeNetworks' | 'excludeNetworks'>;

export function createNormaliser(config: NormaliseConfig): Normaliser {
  const wholeName = globs(config.ignoreUsers.filter(isQualified));
  const accountName = globs(config.ignoreUsers.filter((g) => !isQualified(g)));
  const include = networks(config.includeNetworks, 'includeNetworks');
  const exclude = networks(config.excludeNetworks, 'excludeNetworks');
  const stats = newNormaliseStats();

  const refusal = (user: string, ip: string): Refusal | null => {
    if ((wholeName !== null && wholeName.test(user)) || (accountName !== null && accountName.test(account(user)))) return 'ignoredUser';
    if (include !== null && !include.has(ip)) return 'notIncluded';
    if (exclude !== null && exclude.has(ip)) return 'excluded';
    return null;
  };
  const normalise = (event: IdentityEvent, sender: Sender): IdentityEvent | null => {
    let user = event.user;
    if (sender.defaultDomain !== undefined && !isQualified(user)) user = `${sender.defaultDomain}\\${user}`;
    const refused = refusal(user, event.ip);
    if (refused !== null) {
      stats[refused]++;
      return null;
    }
    stats.passed++;
    return user === event.user ? event : { ...event, user };
  };
  const admits = (user: string, ip: string): boolean => refusal(user, ip) === null;
  return Object.assign(normalise, { stats, admits });
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
