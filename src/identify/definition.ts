/**
 * A parse profile as written (DESIGN §3 "Parse profile"), before compilation. The loader
 * (src/config/profiles.ts) builds these from YAML and records where each key sits, so a
 * compile error or a failing sample is reported at its `file:line:col`; tests and tools
 * may build them in code and leave the positions out.
 */
import type { IdentityAction } from './event.js';

/** A place in a profile file (1-based). */
export interface Position {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface ExpectedEvent {
  readonly event: IdentityAction;
  readonly user: string;
  readonly ip: string;
}

/** A message and what the profile must yield from it; `expect: []` means nothing. */
export interface SampleDefinition {
  readonly message: string;
  readonly expect: readonly ExpectedEvent[];
  readonly at?: Position;
}

export type RegexKey = 'eventRegex' | 'usernameRegex' | 'addressRegex';
export type FieldKey = 'eventString' | 'usernamePrefix' | 'usernameDelimiter' | 'addressPrefix' | 'addressDelimiter';

interface CommonDefinition {
  readonly name: string;
  readonly description?: string;
  readonly event: IdentityAction;
  /** Timeout of the mappings it makes, in minutes (DESIGN §5); absent: the sender's, then the table's. */
  readonly timeoutMinutes?: number;
  readonly samples?: readonly SampleDefinition[];
  /** Where the profile starts (its file, 1:1 when loaded from YAML). */
  readonly at?: Position;
  /** Where each key's value sits, for errors about that value. */
  readonly positions?: Readonly<Partial<Record<'name' | RegexKey | FieldKey, Position>>>;
}

/** PAN-OS "Regex Identifier": three RE2 patterns. */
export interface RegexProfileDefinition extends CommonDefinition {
  readonly type: 'regex';
  readonly eventRegex: string;
  readonly usernameRegex: string;
  readonly addressRegex: string;
}

/** PAN-OS "Field Identifier": an event string and prefix/delimiter pairs (docs/profiles.md). */
export interface FieldProfileDefinition extends CommonDefinition {
  readonly type: 'field';
  readonly eventString: string;
  readonly usernamePrefix: string;
  readonly usernameDelimiter: string;
  readonly addressPrefix: string;
  readonly addressDelimiter: string;
}

export type ProfileDefinition = RegexProfileDefinition | FieldProfileDefinition;

const INLINE: Position = { file: '<inline>', line: 1, col: 1 };

/** Where to report a problem with `key` of `definition`: the key's value, else the profile. */
export function positionOf(definition: ProfileDefinition, key?: 'name' | RegexKey | FieldKey): Position {
  return (key && definition.positions?.[key]) ?? definition.at ?? INLINE;
}
