/**
 * Rare things the records side reports (spool, dispatcher, accountant) as typed events;
 * src/observability turns them into log lines (STYLE §3). Each names its group. State
 * changes are reported once per episode (an outage, a full spool), never once per record;
 * the per-record story is in the counters. Nothing here carries a secret.
 */
import type { ErrorCode } from '../errors.js';

export type AccountingEvent =
  /** info: a spool was opened; `records` left by an earlier run are sent first. */
  | { readonly type: 'spool-opened'; readonly group: string; readonly records: number; readonly bytes: number; readonly segments: number }
  /** error: damaged bytes were skipped (a crash mid-write, a disk fault); intact records go on. */
  | {
      readonly type: 'spool-corrupt';
      readonly code: Extract<ErrorCode, 'UID_ERR_SPOOL_CORRUPT'>;
      readonly group: string;
      readonly file: string;
      /** Damaged stretches and their bytes in this file. */
      readonly regions: number;
      readonly bytes: number;
      readonly message: string;
    }
  /** error: appends are being refused because the spool directory cannot be written. */
  | {
      readonly type: 'spool-io-error';
      readonly code: Extract<ErrorCode, 'UID_ERR_SPOOL_IO'>;
      readonly group: string;
      readonly message: string;
      readonly error: unknown;
    }
  | { readonly type: 'spool-io-recovered'; readonly group: string }
  /** warn: the size cap was reached; the oldest WATCHDOGs are being dropped to make room. */
  | { readonly type: 'spool-cap-reached'; readonly group: string; readonly maxBytes: number }
  /** error: only STARTs and STOPs are left and the cap is reached: new records are refused. */
  | {
      readonly type: 'spool-full';
      readonly code: Extract<ErrorCode, 'UID_ERR_SPOOL_FULL'>;
      readonly group: string;
      readonly maxBytes: number;
    }
  /** info: the spool is below 90 % of its cap again. */
  | { readonly type: 'spool-cap-cleared'; readonly group: string }
  /** error: a record that cannot be encoded was refused before any spool (never retried). */
  | {
      readonly type: 'record-refused';
      readonly code: Extract<ErrorCode, 'UID_ERR_TACACS_FIELD'>;
      readonly taskId: string;
      readonly field: string;
    }
  /** error: a server group rejected a record with an error no retry can fix; it was removed. */
  | {
      readonly type: 'record-discarded';
      readonly group: string;
      readonly taskId: string;
      readonly code: string;
      readonly message: string;
    }
  /** warn: at stop, a group did not confirm the system stop record in time; it stays spooled. */
  | { readonly type: 'stop-unconfirmed'; readonly group: string; readonly waiting: number }
  /** info: with the shared table, this listener took (or gave up) the sending of the change stream's records. */
  | { readonly type: 'accounting-leader'; readonly consumer: string; readonly leader: boolean };
