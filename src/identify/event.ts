/** What a parse profile yields: "user U is at address A" (login) or "U left A" (logout). */
export type IdentityAction = 'login' | 'logout';

export interface IdentityEvent {
  readonly event: IdentityAction;
  /** Trimmed, with the sender's default domain applied after normalise. */
  readonly user: string;
  /** Validated and normalised: IPv4 dotted quad, or compressed lower-case IPv6. */
  readonly ip: string;
  readonly profile: string;
  readonly sender: string;
  /**
   * The timeout this event asks for, in ms, resolved by normalise (most specific first: the
   * push that made it, the profile's `timeoutMinutes`, the sender's `timeoutMinutes`);
   * 0 = until logout. Absent: the table's default (`mappings.timeoutMinutes`).
   */
  readonly timeoutMs?: number;
}
