/** What the audit trail reports: counters read at scrape time, and rare typed events for the log. */
export interface AuditStats {
  /** Lines written to the file. */
  written: number;
  /** Lines dropped because the buffer was full (the disk too slow or failing). */
  dropped: number;
  /** Failed writes, opens or rotations (each retried). */
  writeErrors: number;
  rotations: number;
  /** Bytes waiting in memory for the file. */
  bufferedBytes: number;
}

export function newAuditStats(): AuditStats {
  return { written: 0, dropped: 0, writeErrors: 0, rotations: 0, bufferedBytes: 0 };
}

export type AuditEvent =
  | { readonly type: 'audit-io-error'; readonly path: string; readonly error: unknown }
  | { readonly type: 'audit-io-recovered'; readonly path: string }
  /** The buffer filled: lines are dropped until the disk catches up (`audit-buffer-cleared`). */
  | { readonly type: 'audit-buffer-full'; readonly path: string; readonly bufferBytes: number }
  | { readonly type: 'audit-buffer-cleared'; readonly path: string; readonly dropped: number };
