/**
 * The table as a thread other than its writer reads it (DESIGN §5 "Lookups never wait"):
 * the lookup thread answers from this while ingest, accounting and snapshots run on the
 * main thread. The writer (the memory table, or a shared table's local replica) keeps its
 * mappings in SharedArrayBuffers; `share()` describes them, `openTableReader` (in the
 * shared-memory store) maps them on the reading side. Reads never take a lock and never
 * return a torn entry.
 */
import type { Mapping } from './table.js';

/** Structured-cloneable (postMessage / workerData): the table's buffers and their sizes. */
export interface TableShare {
  readonly version: 1;
  readonly buffers: Readonly<Record<string, SharedArrayBuffer>>;
  readonly params: Readonly<Record<string, number | string>>;
}

export interface TableReader {
  /** `ip` as normaliseAddress gives it; undefined when absent or its time is up at `now` (epoch ms). */
  get(ip: string, now: number): Mapping | undefined;
  /** As MappingTable.stale: the writer cannot reach its shared store, answers may be old. */
  readonly stale: boolean;
  readonly size: number;
}
