/**
 * Persistence of the in-memory table (format: snapshot-format.ts). Written every
 * `intervalSeconds` and on graceful stop; read once at start.
 *
 * Writing: to `<path>.tmp` (mode 0600: it says who is where), fsync, rename over `<path>`,
 * fsync the directory, so a crash at any point leaves either the old or the new snapshot
 * whole. The table is read a page at a time with the event loop free between pages (a few
 * milliseconds of work each), so a snapshot of a million entries never stalls ingestion;
 * entries changed during a write are saved as they were when their page was read. Writes
 * never overlap: an interval tick that finds one running is skipped and counted. An I/O
 * failure is a `UID_ERR_SNAPSHOT_IO` event and a counter; the table goes on.
 *
 * Reading: a missing file means a first start. A file that does not read back whole (see
 * the format's rules) or cannot be read at all is renamed `<path>.corrupt-<UTC time>` and
 * reported as `UID_ERR_SNAPSHOT_CORRUPT`; the listener starts with an empty table.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { newSnapshotStats, type SnapshotEvent, type SnapshotStats } from './events.js';
import type { MemoryMappingTable, RestoreResult } from './memory-table.js';
import { SnapshotDecoder, encodeEntry, encodeHeader, encodeTrailer, type SavedMapping } from './snapshot-format.js';

export interface MappingSnapshotOptions {
  readonly path: string;
  readonly intervalSeconds: number;
  readonly onEvent?: (event: SnapshotEvent) => void;
  /** Epoch ms for the header and corrupt-file names; default `Date.now`. */
  readonly now?: () => number;
  /** Entries serialised between two yields to the event loop; default 4096. */
  readonly chunkEntries?: number;
}

/** What the snapshot needs of the table. */
export type SnapshotTable = Pick<MemoryMappingTable, 'page' | 'restore'>;

const NOTHING_RESTORED: RestoreResult = Object.freeze({ restored: [], expired: [], evicted: [] });
const READ_CHUNK_BYTES = 1 << 20;

export class MappingSnapshot {
  readonly stats: SnapshotStats = newSnapshotStats();
  readonly #table: SnapshotTable;
  readonly #path: string;
  readonly #intervalMs: number;
  readonly #onEvent: ((event: SnapshotEvent) => void) | undefined;
  readonly #now: () => number;
  readonly #chunkEntries: number;
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
  }

  /**
   * Loads the snapshot into the (empty) table. Never throws for a missing, unreadable or
   * corrupt file. The result tells accounting which sessions continue (`restored`) and
   * which ended while the listener was down (`expired`, `evicted`).
   */
  async restore(): Promise<RestoreResult> {
    const started = performance.now();
    let mappings: SavedMapping[];
    try {
      mappings = await readSnapshot(this.#path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NOTHING_RESTORED;
      await this.#moveAside(error);
      return NOTHING_RESTORED;
    }
    const result = this.#table.restore(mappings);
    this.#report({
      type: 'snapshot-restored',
      path: this.#path,
      restored: result.restored.length,
      expired: result.expired.length,
      evicted: result.evicted.length,
      ms: Math.round(performance.now() - started),
    });
    return result;
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
      const header = encodeHeader(this.#now());
      hash.update(header);
      await file.writeFile(header);
      let bytes = Buffer.byteLength(header);
      let entries = 0;
      let cursor: string | undefined;
      do {
        const page = this.#table.page(cursor, this.#chunkEntries);
        let text = '';
        for (const mapping of page.items) text += encodeEntry(mapping);
        if (text.length > 0) {
          hash.update(text);
          await file.writeFile(text); // also the yield that lets ingestion run between pages
          bytes += Buffer.byteLength(text);
        }
        entries += page.items.length;
        cursor = page.next;
      } while (cursor !== undefined);
      const trailer = encodeTrailer(entries, hash.digest('hex'));
      await file.writeFile(trailer);
      bytes += Buffer.byteLength(trailer);
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

/** Reads a whole snapshot; throws SnapshotFormatError or the file system's error. */
async function readSnapshot(path: string): Promise<SavedMapping[]> {
  const decoder = new SnapshotDecoder();
  let carry = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: READ_CHUNK_BYTES })) {
    const text = carry + (chunk as string);
    const cut = text.lastIndexOf('\n') + 1;
    if (cut > 0) decoder.feed(text.slice(0, cut));
    carry = text.slice(cut);
  }
  if (carry.length > 0) decoder.feed(carry); // an unended last line: the decoder refuses it
  return decoder.finish();
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
