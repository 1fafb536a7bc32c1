/**
 * A snapshot's entries as restore reads them: by index, without a Mapping object each.
 * A binary snapshot (snapshot-binary.ts) answers straight from the file's bytes and
 * stores each entry from them (SharedMappingStore.insertSaved); a JSON Lines one, already
 * decoded into SavedMappings, through `savedMappings`. Restoring two million entries
 * then makes no object per entry, only the few reported as expired or evicted.
 */
import type { SharedMappingStore } from './shared-memory/mapping-store.js';
import type { SavedMapping } from './snapshot-format.js';

export interface SavedEntries {
  readonly count: number;
  lastSeen(i: number): number;
  expiresAt(i: number): number;
  /** undefined: saved before timeouts per mapping (format version 1). */
  timeoutMs(i: number): number | undefined;
  /** Stores entry `i` with this expiry and timeout: SharedMappingStore.insert's answers. */
  insertInto(store: SharedMappingStore, i: number, expiresAt: number, timeoutMs: number): number;
  /** Entry `i` as a mapping. */
  mapping(i: number): SavedMapping;
}

/** Decoded mappings as SavedEntries. */
export function savedMappings(list: readonly SavedMapping[]): SavedEntries {
  return {
    count: list.length,
    lastSeen: (i) => list[i]!.lastSeen,
    expiresAt: (i) => list[i]!.expiresAt,
    timeoutMs: (i) => list[i]!.timeoutMs,
    insertInto: (store, i, expiresAt, timeoutMs) => store.insert(list[i]!.ip, { ...list[i]!, expiresAt, timeoutMs }),
    mapping: (i) => list[i]!,
  };
}

/** Every entry as a mapping (tools and tests; restore never needs them all). */
export function allSaved(entries: SavedEntries): SavedMapping[] {
  return Array.from({ length: entries.count }, (_, i) => entries.mapping(i));
}
