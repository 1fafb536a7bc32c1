/**
 * Persistence of the in-memory table (format version 3: snapshot-binary.ts; versions 1
 * and 2, JSON Lines, are still read: snapshot-format.ts). Written every `intervalSeconds`
 * and on graceful stop; read once at start.
 *
 * Writing: to `<path>.tmp` (mode 0600: it says who is where), fsync, rename over `<path>`,
 * fsync the directory, so a crash at any point leaves either the old or the new snapshot
 * whole. The table is read `chunkEntries` at a time straight from its store (no Mapping
 * objects) with the event loop free between chunks (a few milliseconds of work each), so
 * a snapshot of millions of entries never stalls ingestion; entries changed during a write
 * are saved as they were when their chunk was read. Writes
 * never overlap: an interval tick that finds one running is skipped and counted. An I/O
 * failure is a `UID_ERR_SNAPSHOT_IO` event and a counter; the table goes on.
 *
 * The file is named `.jsonl` by default (it was JSON Lines up to format version 2; its
 * first line still is the JSON header). Builds before 0.1.0's release named the
 * default `data/mappings.json`: when the configured path ends in `.jsonl`, is missing, and
 * the same path ending in `.json` exists, that file is renamed to it before reading (the
 * embedded default and configs that kept the default path are carried over). A `.json`
 * path an operator configured is read and written as configured.
 *
 * Reading: a missing file means a first start. A file that does not read back whole (see
 * the format's rules) or cannot be read at all is renamed `<path>.corrupt-<UTC time>` and
 * reported as `UID_ERR_SNAPSHOT_CORRUPT`; the listener starts with an empty table.
 */
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fullCollection } from '../shared/full-collection.js';
import { newSnapshotStats, type SnapshotEvent, type SnapshotStats } from './events.js';
import { NOTHING_RESTORED, type MemoryMappingTable, type RestoreResult } from './memory-table.js';
import { allSaved, savedMappings, type SavedEntries } from './saved-entries.js';
import { BINARY_SNAPSHOT_VERSION, BinarySnapshotEncoder, decodeBinarySnapshot } from './snapshot-binary.js';
import { SnapshotDecoder, SnapshotFormatError, TEXT_VERSIONS, decodeHeader, encodeHeader, type SavedMapping } from './snapshot-format.js';

export interface MappingSnapshotOptions {
  readonly path: string;
  readonly intervalSeconds: number;
  readonly onEvent?: (event: SnapshotEvent) => void;
  /** Epoch ms for the header and corrupt-file names; default `Date.now`. */
  readonly now?: () => number;
  /** Entries serialised between two yields to the event loop; default 4096. */
  readonly chunkEntries?: number;
  /** The accounting groups this run sends a START for every mapping (header `startsSentTo`); default none. */
  readonly startsSentTo?: readonly string[];
}

/** A restore's result, with which accounting groups had the START of the restored sessions. */
export interface SnapshotRestore extends RestoreResult {
  /** From the snapshot's header; undefined: not recorded (a file from an older build). */
  readonly startsSentTo?: readonly string[];
}

/** What the snapshot needs of the table. */
export type SnapshotTable = Pick<MemoryMappingTable, 'exportEntries' | 'restore'>;

const TEXT_PIECE_BYTES = 1 << 20;
/**
 * A snapshot at least this large is followed by a full collection (full-collection.ts):
 * about 100k mappings, where what the restore leaves behind starts to be worth a pause
 * of a few tens of milliseconds, once, before the listener takes traffic.
 */
const COLLECT_AFTER_BYTES = 8 << 20;

export class MappingSnapshot {
  readonly stats: SnapshotStats = newSnapshotStats();
  readonly #table: SnapshotTable;
  readonly #path: string;
  readonly #intervalMs: number;
  readonly #onEvent: ((event: SnapshotEvent) => void) | undefined;
  readonly #now: () => number;
  readonly #chunkEntries: number;
  readonly #startsSentTo: readonly string[];
  #timer: NodeJS.Timeout | undefined;
  /** Writes run one after another on this chain, never two at once. */
  #chain: Promise<boolean> = Promise.resolve(true);
  /** Writes queued or running. */
  #busy = 0;

  constructor(table: SnapshotTable, options: MappingSnapshotOptions) {
    this.#table = table;
    this.#path = options.path;
    this.#intervalMs = options.intervalSeconds * 1000;
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? Date.now;
    this.#chunkEntries = options.chunkEntries ?? 4096;
    this.#startsSentTo = options.startsSentTo ?? [];
  }

  /**
   * Loads the snapshot into the (empty) table. Never throws for a missing, unreadable or
   * corrupt file. The result tells accounting which sessions continue (`restored`) and
   * which ended while the listener was down (`expired`, `evicted`).
   */
  async restore(): Promise<SnapshotRestore> {
    const started = performance.now();
    const loaded = await this.#load();
    if (loaded === undefined) return NOTHING_RESTORED;
    // The file's bytes and the restore's arrays are garbage now (#load's frame is gone).
    if (loaded.fileBytes >= COLLECT_AFTER_BYTES) fullCollection();
    const { result, startsSentTo } = loaded;
    this.#report({
      type: 'snapshot-restored',
      path: this.#path,
      restored: result.restored.size,
      expired: result.expired.length,
      evicted: result.evicted.length,
      ms: Math.round(performance.now() - started),
    });
    return { ...result, startsSentTo };
  }

  /** Reads the file and restores the table from it; undefined when there was nothing to restore. */
  async #load(): Promise<{ result: RestoreResult; startsSentTo: readonly string[] | undefined; fileBytes: number } | undefined> {
    let read: Awaited<ReturnType<typeof readSnapshotEntries>>;
    try {
      await this.#adoptLegacyName();
      read = await readSnapshotEntries(this.#path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') await this.#moveAside(error);
      return undefined;
    }
    return { result: this.#table.restore(read.entries), startsSentTo: read.startsSentTo, fileBytes: read.fileBytes };
  }

  /** Starts the periodic writes. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#busy > 0) this.stats.writesSkipped++;
      else void this.write();
    }, this.#intervalMs).unref();
  }

  /** Writes a snapshot after any write under way; resolves true when it is on disk. Never rejects. */
  write(): Promise<boolean> {
    this.#busy++;
    this.#chain = this.#chain.then(() => this.#writeOnce()).finally(() => this.#busy--);
    return this.#chain;
  }

  /** Graceful stop: no more periodic writes, then one last snapshot of the table as it is now. */
  async stop(): Promise<boolean> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    return this.write();
  }

  async #writeOnce(): Promise<boolean> {
    const started = performance.now();
    const temp = `${this.#path}.tmp`;
    let file: FileHandle | undefined;
    try {
      await mkdir(dirname(this.#path), { recursive: true });
      file = await open(temp, 'w', 0o600);
      const hash = createHash('sha256');
      const encoder = new BinarySnapshotEncoder();
      const header = Buffer.from(encodeHeader(this.#now(), this.#startsSentTo, BINARY_SNAPSHOT_VERSION));
      hash.update(header);
      await file.write(header);
      let bytes = header.length;
      let bucket = 0;
      do {
        bucket = this.#table.exportEntries(bucket, this.#chunkEntries, encoder);
        const chunk = encoder.take();
        hash.update(chunk);
        await file.write(chunk); // also the yield that lets ingestion run between chunks
        bytes += chunk.length;
      } while (bucket >= 0);
      const entries = encoder.entries;
      const end = encoder.end(hash.digest());
      await file.write(end);
      bytes += end.length;
      await file.sync();
      await file.close();
      file = undefined;
      await rename(temp, this.#path);
      await syncDirectory(dirname(this.#path));
      const ms = Math.round(performance.now() - started);
      Object.assign(this.stats, { writes: this.stats.writes + 1, lastWriteMs: ms, lastWriteEntries: entries, lastWriteBytes: bytes, lastWriteAt: this.#now() });
      this.#report({ type: 'snapshot-written', path: this.#path, entries, bytes, ms });
      return true;
    } catch (error) {
      await file?.close().catch(() => undefined);
      await rm(temp, { force: true }).catch(() => undefined);
      this.stats.writeErrors++;
      this.#report({
        type: 'snapshot-error',
        code: 'UID_ERR_SNAPSHOT_IO',
        path: this.#path,
        message: `cannot write the mapping snapshot ${this.#path}: ${describe(error)}; the table keeps working, check the directory's space and permissions`,
        error,
      });
      return false;
    }
  }

  /** Renames `<name>.json` to the configured `<name>.jsonl` when only the old one exists. */
  async #adoptLegacyName(): Promise<void> {
    if (!this.#path.endsWith('.jsonl')) return;
    const legacy = this.#path.slice(0, -1);
    try {
      await stat(this.#path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return; // let the read report it
    }
    try {
      await rename(legacy, this.#path);
    } catch {
      return; // no old file either: a first start
    }
    this.#report({ type: 'snapshot-renamed', from: legacy, path: this.#path });
  }

  async #moveAside(error: unknown): Promise<void> {
    this.stats.corruptFiles++;
    const stamp = new Date(this.#now()).toISOString().replace(/[:.]/g, '-');
    let movedTo: string | null = `${this.#path}.corrupt-${stamp}`;
    try {
      await rename(this.#path, movedTo);
    } catch {
      movedTo = null;
    }
    const done = movedTo === null ? 'it could not be moved aside either' : `moved to ${movedTo}`;
    this.#report({
      type: 'snapshot-error',
      code: 'UID_ERR_SNAPSHOT_CORRUPT',
      path: this.#path,
      message: `mapping snapshot ${this.#path} cannot be read (${describe(error)}); ${done}; starting with an empty table`,
      movedTo,
      error,
    });
  }

  #report(event: SnapshotEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // A failing event sink must not stop snapshots; the counters still moved.
    }
  }
}

/** Reads a whole snapshot of any version this build reads, as mappings (tools and tests); throws as readSnapshotEntries. */
export async function readSnapshot(path: string): Promise<{ mappings: SavedMapping[]; startsSentTo: readonly string[] | undefined }> {
  const { entries, startsSentTo } = await readSnapshotEntries(path);
  return { mappings: allSaved(entries), startsSentTo };
}

/** Reads and checks a whole snapshot of any version this build reads; throws SnapshotFormatError or the file system's error. */
export async function readSnapshotEntries(path: string): Promise<{ entries: SavedEntries; startsSentTo: readonly string[] | undefined; fileBytes: number }> {
  const file = await readFile(path);
  const fileBytes = file.length;
  const lineEnd = file.indexOf(0x0a);
  if (lineEnd === -1) throw new SnapshotFormatError(file.length === 0 ? 0 : 1, file.length === 0 ? 'empty file' : 'line not ended by a newline');
  const { version, startsSentTo } = decodeHeader(file.toString('utf8', 0, lineEnd), [...TEXT_VERSIONS, BINARY_SNAPSHOT_VERSION]);
  if (version === BINARY_SNAPSHOT_VERSION) return { entries: decodeBinarySnapshot(file, lineEnd + 1), startsSentTo, fileBytes };
  // JSON Lines: fed a piece at a time, each cut after a line end (one string for a whole
  // file of millions of lines could pass V8's string length limit).
  const decoder = new SnapshotDecoder();
  for (let at = 0; at < file.length;) {
    const cut = at + TEXT_PIECE_BYTES >= file.length ? file.length : file.lastIndexOf(0x0a, at + TEXT_PIECE_BYTES) + 1;
    const end = cut > at ? cut : file.length; // a line longer than a piece: the rest at once
    decoder.feed(file.toString('utf8', at, end));
    at = end;
  }
  return { entries: savedMappings(decoder.finish()), startsSentTo: decoder.startsSentTo, fileBytes };
}

/** Makes the rename itself durable (POSIX: a rename is recorded in the directory). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
