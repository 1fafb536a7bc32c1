/**
 * What the mapping table and its snapshot report besides table changes: plain counters
 * the lead exports through prom-client, and rare typed events it turns into log lines.
 * Nothing here is on a per-message path except incrementing a number.
 */
import type { ErrorCode } from '../errors.js';
import type { ChangeKind } from './table.js';

export interface MappingTableStats {
  /** Changes reported, per kind (`uid_mapping_changes_total{kind}`). */
  readonly changes: Record<ChangeKind, number>;
  /** Logouts naming another user than the one mapped: ignored, as PAN-OS does. */
  logoutsIgnored: number;
  /** Logouts for an address with no mapping. */
  logoutsUnmatched: number;
  /** Listener calls that threw (the table and the other listeners went on). */
  listenerErrors: number;
}

export function newTableStats(): MappingTableStats {
  return {
    changes: { added: 0, 'user-changed': 0, refreshed: 0, removed: 0, expired: 0, evicted: 0 },
    logoutsIgnored: 0,
    logoutsUnmatched: 0,
    listenerErrors: 0,
  };
}

export type MappingTableEvent =
  /** A subscriber threw; logged, never rethrown into ingestion. */
  { readonly type: 'listener-error'; readonly error: unknown };

export interface SnapshotStats {
  writes: number;
  writeErrors: number;
  /** Interval ticks skipped because the previous write was still running. */
  writesSkipped: number;
  /** Duration, entry count and size of the last successful write. */
  lastWriteMs: number;
  lastWriteEntries: number;
  lastWriteBytes: number;
  /** Epoch ms of the last successful write (0: none yet). */
  lastWriteAt: number;
  corruptFiles: number;
}

export function newSnapshotStats(): SnapshotStats {
  return { writes: 0, writeErrors: 0, writesSkipped: 0, lastWriteMs: 0, lastWriteEntries: 0, lastWriteBytes: 0, lastWriteAt: 0, corruptFiles: 0 };
}

export type SnapshotEvent =
  /** A snapshot under the name older builds used (`.json`) was renamed to the configured `.jsonl` path. */
  | { readonly type: 'snapshot-renamed'; readonly from: string; readonly path: string }
  | { readonly type: 'snapshot-written'; readonly path: string; readonly entries: number; readonly bytes: number; readonly ms: number }
  | {
      readonly type: 'snapshot-restored';
      readonly path: string;
      readonly restored: number;
      /** Expired while the listener was down. */
      readonly expired: number;
      /** Over `maxEntries` (the earliest to expire are dropped first). */
      readonly evicted: number;
      readonly ms: number;
    }
  | {
      readonly type: 'snapshot-error';
      readonly code: Extract<ErrorCode, 'UID_ERR_SNAPSHOT_CORRUPT' | 'UID_ERR_SNAPSHOT_IO'>;
      readonly path: string;
      /** What went wrong and what was done about it (never a secret: the file holds none). */
      readonly message: string;
      /** Where a corrupt snapshot was moved, or null when it could not be moved. */
      readonly movedTo?: string | null;
      readonly error?: unknown;
    };
