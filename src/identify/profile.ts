/**
 * One compiled parse profile: pure `(message bytes) → identity events`. Everything is
 * prepared at load (RE2 objects, prefix and delimiter bytes, the prefilter literal); per
 * message there are no closures and no objects except the events themselves. Matching
 * works on Buffers, and text is decoded only for the captured user and addresses.
 */
import type RE2 from 're2';
import { normaliseAddress } from './address.js';
import type { FieldProfileDefinition, ProfileDefinition, RegexProfileDefinition } from './definition.js';
import type { Capture } from './capture.js';
import type { IdentityAction, IdentityEvent } from './event.js';
import { skipBlanks, valueEnd, type Delimiter } from './field.js';
import { ADDRESS_INVALID, EMITTED, MACHINE_ACCOUNT, NO_ADDRESS, NO_USER, USER_INVALID } from './outcome.js';
import type { ProfileCounters } from './stats.js';

export type Emit = (event: IdentityEvent) => void;

/** RFC 8907 §6.1/§7.1: the TACACS+ `user` field holds at most 255 octets. */
const MAX_USER_BYTES = 255;
/** Real messages carry one or two addresses; a bound keeps one message from becoming thousands of mappings. */
export const MAX_ADDRESSES_PER_MESSAGE = 32;
const CONTROL = /[\u0000-\u001f\u007f]/;

export abstract class CompiledProfile {
  readonly name: string;
  readonly event: IdentityAction;
  readonly definition: ProfileDefinition;
  /** Prefilter: every message this profile matches contains these bytes; null when unknown. */
  readonly literal: Buffer | null;
  /** The literal alone decides the event part (no regex run needed once it is found). */
  readonly literalIsExact: boolean;
  /** The event part as an RE2 pattern source, for an RE2.Set over several profiles. */
  abstract readonly eventSource: string;
  /** `machineAccounts: true`: a user ending in `$` (a Windows computer account) is a user like any other. */
  readonly machineAccounts: boolean;

  protected constructor(definition: ProfileDefinition, literal: Buffer | null, literalIsExact: boolean) {
    this.name = definition.name;
    this.event = definition.event;
    this.definition = definition;
    this.literal = literal;
    this.literalIsExact = literalIsExact;
    this.machineAccounts = definition.machineAccounts === true;
  }

  /** The event part, decided without any prefilter knowledge. */
  abstract eventMatches(data: Buffer): boolean;

  /**
   * After the event part matched: finds user and addresses and emits one event per usable
   * address. Returns how far it got (outcome.ts): EMITTED when it emitted, else why not.
   */
  abstract extract(data: Buffer, sender: string, emit: Emit, counters: ProfileCounters): number;

  /**
   * The trimmed user, or a number (counted) saying why there is none: NO_USER, USER_INVALID,
   * or MACHINE_ACCOUNT for `HOST$` / `DOMAIN\HOST$` / `HOST$@realm` unless the profile
   * asks for machine accounts (issue 11 item 2: a computer account is not the person at
   * that address). The rejected text stays in `counters.rejected` for the tester.
   */
  protected acceptUser(raw: string, counters: ProfileCounters): string | number {
    const user = raw.trim();
    if (user === '') {
      counters.noUser++;
      return NO_USER;
    }
    if (CONTROL.test(user) || Buffer.byteLength(user) > MAX_USER_BYTES) {
      counters.invalidUser++;
      counters.rejected = user;
      return USER_INVALID;
    }
    if (!this.machineAccounts && isMachineAccount(user)) {
      counters.machineAccount++;
      counters.rejected = user;
      return MACHINE_ACCOUNT;
    }
    return user;
  }

  /** Emits the event for one address; false (counted) when the address is unusable. */
  protected emitAddress(raw: string, user: string, sender: string, emit: Emit, counters: ProfileCounters): boolean {
    const ip = normaliseAddress(raw.trim());
    if (ip === null) {
      counters.invalidAddress++;
      counters.rejected = raw;
      return false;
    }
    counters.emitted++;
    emit({ event: this.event, user, ip, profile: this.name, sender });
    return true;
  }
}

/** A Windows computer account: the account name (the part before any `@`) ends in `$`. */
export function isMachineAccount(user: string): boolean {
  const at = user.indexOf('@');
  const end = at === -1 ? user.length : at;
  return end > 1 && user.charCodeAt(end - 1) === 0x24;
}

/** What an extraction that found a user ends as: EMITTED, or why no address was usable. */
function addressOutcome(found: number, emitted: boolean): number {
  return emitted ? EMITTED : found === 0 ? NO_ADDRESS : ADDRESS_INVALID;
}

export class RegexProfile extends CompiledProfile {
  readonly eventSource: string;

  constructor(
    definition: RegexProfileDefinition,
    private readonly eventRe: RE2,
    private readonly user: Capture,
    private readonly address: Capture,
    literal: Buffer | null,
    literalIsExact: boolean,
  ) {
    super(definition, literal, literalIsExact);
    this.eventSource = definition.eventRegex;
  }

  eventMatches(data: Buffer): boolean {
    return this.eventRe.test(data);
  }

  /** The user is the first match of the username pattern; every match of the address pattern is one address. */
  extract(data: Buffer, sender: string, emit: Emit, counters: ProfileCounters): number {
    const user = this.acceptUser(this.user.find(data, 0) ?? '', counters);
    if (typeof user === 'number') return user;
    const address = this.address;
    let found = 0;
    let emitted = false;
    for (let from = 0; ; ) {
      const value = address.find(data, from);
      if (value === undefined) break;
      from = address.resume; // read before emit, which may run anything
      if (value === null) continue; // an alternative without a group: skips what it matched
      if (++found > MAX_ADDRESSES_PER_MESSAGE) {
        counters.addressCapped++;
        break;
      }
      if (this.emitAddress(value, user, sender, emit, counters)) emitted = true;
    }
    if (found === 0) counters.noAddress++;
    return addressOutcome(found, emitted);
  }
}

export class FieldProfile extends CompiledProfile {
  readonly eventSource: string;
  private readonly userPrefix: Buffer;
  private readonly addressPrefix: Buffer;

  constructor(
    definition: FieldProfileDefinition,
    private readonly userDelimiter: Delimiter,
    private readonly addressDelimiter: Delimiter,
  ) {
    const eventString = Buffer.from(definition.eventString);
    super(definition, eventString, true);
    this.eventSource = escapeRegex(definition.eventString);
    this.userPrefix = Buffer.from(definition.usernamePrefix);
    this.addressPrefix = Buffer.from(definition.addressPrefix);
  }

  eventMatches(data: Buffer): boolean {
    return data.indexOf(this.literal!) !== -1;
  }

  /** The user follows the first occurrence of its prefix; every occurrence of the address prefix is one address. */
  extract(data: Buffer, sender: string, emit: Emit, counters: ProfileCounters): number {
    const at = data.indexOf(this.userPrefix);
    const start = at === -1 ? -1 : skipBlanks(data, at + this.userPrefix.length);
    const raw = start === -1 ? '' : data.toString('utf8', start, valueEnd(data, start, this.userDelimiter));
    const user = this.acceptUser(raw, counters);
    if (typeof user === 'number') return user;
    const prefix = this.addressPrefix;
    let found = 0;
    let emitted = false;
    for (let from = data.indexOf(prefix); from !== -1; ) {
      if (++found > MAX_ADDRESSES_PER_MESSAGE) {
        counters.addressCapped++;
        break;
      }
      const valueStart = skipBlanks(data, from + prefix.length);
      const end = valueEnd(data, valueStart, this.addressDelimiter);
      if (this.emitAddress(data.toString('latin1', valueStart, end), user, sender, emit, counters)) emitted = true;
      from = data.indexOf(prefix, Math.max(end, from + prefix.length));
    }
    if (found === 0) counters.noAddress++;
    return addressOutcome(found, emitted);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
