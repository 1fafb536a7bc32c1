/**
 * The audit trail sink: one line (format.ts) per table change, appended to `<path>` and
 * rotated by size (files.ts), so who was at an address can be answered after the mapping
 * is gone (docs/audit.md).
 *
 * It never makes ingestion wait: a change becomes a string in a memory buffer and the
 * subscriber returns; the lines of one event-loop turn go to the file in one async write,
 * one write at a time. When the disk is slower than the changes (or failing) the buffer
 * grows up to `bufferBytes`; past that, new lines are dropped and counted. A failed open,
 * write or rotation is reported once, counted, and retried every `retryMs` with the lines
 * kept; the table goes on. Writes are not fsynced one by one (a process crash loses
 * nothing the kernel has; a power cut may lose the last seconds); rotation and stop fsync.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MappingChange, MappingTable } from '../mappings/table.js';
import { newAuditStats, type AuditEvent, type AuditStats } from './events.js';
import { rotateAuditFiles } from './files.js';
import { auditEntry, formatAuditLine } from './format.js';

export interface AuditTrailOptions {
  readonly path: string;
  /** A file is rotated before it would grow past this. */
  readonly maxBytes: number;
  /** Rotated files kept besides the current one. */
  readonly keep: number;
  /** Also write refreshes that bring nothing new (same sender and profile); default false. */
  readonly refreshes?: boolean;
  /** Lines waiting for the disk, at most; default 8 MiB. */
  readonly bufferBytes?: number;
  /** Wait before retrying a failed write; default 1000 ms. */
  readonly retryMs?: number;
  /** Epoch ms; tests inject a clock. Default `Date.now`. */
  readonly now?: () => number;
  readonly onEvent?: (event: AuditEvent) => void;
}

/** One write carries at most this much (the lines of a burst go out in several). */
const MAX_WRITE_BYTES = 1 << 20;
const FILE_MODE = 0o640;

export class AuditTrail {
  readonly stats: AuditStats = newAuditStats();
  readonly #options: Required<Omit<AuditTrailOptions, 'onEvent'>> & Pick<AuditTrailOptions, 'onEvent'>;
  readonly #table: Pick<MappingTable, 'subscribe'>;
  #unsubscribe: (() => void) | undefined;
  #pending: string[] = [];
  #file: FileHandle | undefined;
  #size = 0;
  /** The running drain, if any: never two at once. */
  #draining: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failing = false;
  /** `dropped` when the buffer filled, while it stays full. */
  #fullSince: number | undefined;
  #lastTime = 0;

  constructor(table: Pick<MappingTable, 'subscribe'>, options: AuditTrailOptions) {
    this.#table = table;
    this.#options = { refreshes: false, bufferBytes: 8 << 20, retryMs: 1000, now: Date.now, ...options };
  }

  get path(): string {
    return this.#options.path;
  }

  start(): void {
    this.#unsubscribe ??= this.#table.subscribe(this.#onChange);
  }

  /** Stops listening, writes what is buffered (one attempt if the disk is failing), closes the file. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    await this.#draining;
    if (this.#pending.length > 0) await this.#drain();
    const file = this.#file;
    this.#file = undefined;
    await file?.sync().catch(() => undefined);
    await file?.close().catch(() => undefined);
  }

  /** Resolves once every line buffered so far is written (or a write failed). */
  async flushed(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  readonly #onChange = (change: MappingChange): void => {
    if (change.kind === 'refreshed' && !change.newinfo && !this.#options.refreshes) return;
    const time = Math.max(this.#options.now(), this.#lastTime);
    this.#lastTime = time;
    const line = formatAuditLine(auditEntry(change, time));
    const bytes = Buffer.byteLength(line);
    if (this.stats.bufferedBytes + bytes > this.#options.bufferBytes) {
      this.stats.dropped++;
      if (this.#fullSince === undefined) {
        this.#fullSince = this.stats.dropped - 1;
        this.#options.onEvent?.({ type: 'audit-buffer-full', path: this.path, bufferBytes: this.#options.bufferBytes });
      }
      return;
    }
    this.#pending.push(line);
    this.stats.bufferedBytes += bytes;
    this.#schedule();
  };

  #schedule(): void {
    if (this.#draining || this.#retry) return;
    // The lines of this event-loop turn go out together.
    this.#draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#drain())
      .finally(() => {
        this.#draining = undefined;
        if (this.#pending.length > 0 && !this.#retry && this.#unsubscribe) this.#schedule();
      });
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      try {
        await this.#writeBatch();
      } catch (error) {
        this.stats.writeErrors++;
        await this.#file?.close().catch(() => undefined);
        this.#file = undefined;
        if (!this.#failing) this.#options.onEvent?.({ type: 'audit-io-error', path: this.path, error });
        this.#failing = true;
        if (this.#unsubscribe) {
          this.#retry = setTimeout(() => { this.#retry = undefined; this.#schedule(); }, this.#options.retryMs);
          this.#retry.unref();
        }
        return;
      }
      if (this.#failing) {
        this.#failing = false;
        this.#options.onEvent?.({ type: 'audit-io-recovered', path: this.path });
      }
    }
  }

  /** Writes the lines that fit the current file (rotating first when none does); removes them from the buffer. */
  async #writeBatch(): Promise<void> {
    const file = this.#file ?? (await this.#open());
    const { maxBytes } = this.#options;
    let count = 0;
    let bytes = 0;
    for (const line of this.#pending) {
      const next = Buffer.byteLength(line);
      if (count > 0 && (this.#size + bytes + next > maxBytes || bytes + next > MAX_WRITE_BYTES)) break;
      if (count === 0 && this.#size > 0 && this.#size + next > maxBytes) return this.#rotate();
      count++;
      bytes += next;
    }
    await file.write(this.#pending.slice(0, count).join(''));
    this.#pending.splice(0, count);
    this.#size += bytes;
    this.stats.written += count;
    this.stats.bufferedBytes -= bytes;
    if (this.#fullSince !== undefined && this.stats.bufferedBytes <= this.#options.bufferBytes / 2) {
      this.#options.onEvent?.({ type: 'audit-buffer-cleared', path: this.path, dropped: this.stats.dropped - this.#fullSince });
      this.#fullSince = undefined;
    }
  }

  async #open(): Promise<FileHandle> {
    await mkdir(dirname(this.path), { recursive: true });
    const file = await open(this.path, 'a', FILE_MODE);
    try {
      this.#size = (await file.stat()).size;
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
    this.#file = file;
    return file;
  }

  async #rotate(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file) {
      await file.sync().catch(() => undefined);
      await file.close();
    }
    await rotateAuditFiles(this.path, this.#options.keep);
    this.#size = 0;
    this.stats.rotations++;
  }
}
