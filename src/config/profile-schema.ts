/**
 * A parse profile file (profiles/NAME.yaml), as JSON schemas (TypeBox): one per profile
 * type, chosen by the file's `type:` before validation, so errors speak about the keys of
 * that type only. Contract: ../shared/DESIGN.md §3 "Parse profile"; docs/profiles.md
 * explains every key. Unknown keys are refused (typos).
 */
import { Type, type ObjectOptions, type Static, type TSchema } from '@sinclair/typebox';

const strict = <T extends Record<string, TSchema>>(props: T, options: ObjectOptions = {}) =>
  Type.Object(props, { additionalProperties: false, ...options });

const Event = Type.Unsafe<'login' | 'logout'>({ type: 'string', enum: ['login', 'logout'] });
const Text = Type.String({ minLength: 1 });

export const PROFILE_TYPES = ['regex', 'field'] as const;

export const ExpectedEventSchema = strict({
  user: Text,
  ip: Text,
  event: Event,
});

export const SampleSchema = strict({
  message: Type.String(),
  /** `[]`: the message must yield nothing (failed logins, machine accounts, other events). */
  expect: Type.Array(ExpectedEventSchema),
});

const common = {
  /** Unique across the directory; defaults to the file name without .yaml / .yml. */
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_.-]+$' })),
  description: Type.Optional(Type.String()),
  event: Event,
  /** Timeout of the mappings this profile makes, 1–3600 minutes (DESIGN §5); default the sender's, then mappings.timeoutMinutes. */
  timeoutMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  samples: Type.Optional(Type.Array(SampleSchema)),
};

/** PAN-OS Regex Identifier. */
export const RegexProfileSchema = strict({
  ...common,
  type: Type.Literal('regex'),
  eventRegex: Text,
  usernameRegex: Text,
  addressRegex: Text,
});

/** PAN-OS Field Identifier. */
export const FieldProfileSchema = strict({
  ...common,
  type: Type.Literal('field'),
  eventString: Text,
  usernamePrefix: Text,
  usernameDelimiter: Text,
  addressPrefix: Text,
  addressDelimiter: Text,
});

export type RegexProfileFile = Static<typeof RegexProfileSchema>;
export type FieldProfileFile = Static<typeof FieldProfileSchema>;
