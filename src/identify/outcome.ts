/**
 * What became of one message from a sender (`uid_sender_messages_total{sender,outcome}`),
 * as a small fixed set ordered by how far the message got: when several profiles read a
 * message, or one reads several addresses, the message counts once, under the furthest
 * outcome (any identity event that reached the table makes it `mapped`).
 *
 * Numbers, so the hot path indexes arrays with them; names for metrics and docs
 * (docs/troubleshooting.md "Outcomes").
 */
export const OUTCOMES = [
  /** No profile of the sender wanted it (no event part matched). */
  'no_profile',
  /** A profile's event part matched, but its username part found nothing (or only blanks). */
  'no_user',
  /** The user found has control characters or is longer than 255 bytes. */
  'user_invalid',
  /** A machine account (`HOST$`) and the profile does not ask for them (`machineAccounts`). */
  'machine_account',
  /** User found, but the address part found nothing. */
  'no_address',
  /** Every address found is unusable (malformed, 0.0.0.0, ::, multicast). */
  'address_invalid',
  /** Identity events made, but every one was dropped by `ignoreUsers`, `includeNetworks` or `excludeNetworks`. */
  'filtered',
  /** At least one identity event (login or logout) reached the table. */
  'mapped',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

export const OUTCOME_COUNT = OUTCOMES.length;
export const NO_PROFILE = 0;
export const NO_USER = 1;
export const USER_INVALID = 2;
export const MACHINE_ACCOUNT = 3;
export const NO_ADDRESS = 4;
export const ADDRESS_INVALID = 5;
/** A profile emitted events: what normalise did with them decides (filtered or mapped, both higher). */
export const EMITTED = 5;
export const FILTERED = 6;
export const MAPPED = 7;
