/**
 * The boundary between the records side (table changes → records → spool) and the
 * transport side (codec, connections, server groups with failover).
 */

/**
 * RFC 8907 §7.2 flag combinations we send: START 0x02, STOP 0x04, WATCHDOG 0x08 (no
 * update) and WATCHDOG|START 0x0A (watchdog with update). Nothing else is valid.
 */
export type RecordKind = 'start' | 'stop' | 'watchdog' | 'watchdog-update';

export interface AccountingRecord {
  readonly kind: RecordKind;
  /** The mapped user (with domain); empty only for system records. */
  readonly user: string;
  /** The sender's name (RFC 8907 §7.1 `port`). */
  readonly port: string;
  /** The mapped IP (RFC 8907 §7.1 `rem_addr`). */
  readonly remAddr: string;
  /** Attribute-value pairs as "name=value" (mandatory) or "name*value" (optional), §6.1/§8. */
  readonly args: readonly string[];
  /** Records with the same key leave in order: the mapping's task_id, or "system". */
  readonly orderKey: string;
}

/** What the records side asks of a server group: resolves on SUCCESS, rejects otherwise. */
export interface RecordSender {
  send(record: AccountingRecord): Promise<void>;
  /** Records it can usefully have in flight at once: the dispatcher's window unless told otherwise. */
  readonly sendWindow?: number;
}
