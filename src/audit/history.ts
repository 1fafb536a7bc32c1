/**
 * GET /v1/mappings/{ip}/history: the recent audit lines of one address, newest first, read
 * from the trail's files (the current one, then the rotated ones), so it answers after a
 * restart and long after the mapping is gone, with no index kept in memory.
 *
 * Work per request is bounded: each file is entered at the right instant by bisection
 * (line-reader.ts), then read backwards in chunks that are searched for the address's bytes
 * (format.ts: `"ip":"A",` is in every line about A) and parsed only where they match; at
 * most `scanBytes` are read. A request that stops early (limit or scan budget) returns a
 * cursor that resumes exactly where it stopped, even inside one millisecond.
 */
import { open } from 'node:fs/promises';
import { auditFiles } from './files.js';
import { ipNeedle, parseAuditLine, type AuditEntry } from './format.js';
import { lineTime, offsetAfter, readAt } from './line-reader.js';

export interface HistoryQuery {
  readonly ip: string;
  readonly limit: number;
  /** Only entries at or after this instant (ISO 8601 UTC). */
  readonly since?: string;
  /** Only entries before this instant. */
  readonly until?: string;
  /** From a previous answer's `next`: overrides `until`. */
  readonly cursor?: string;
}

export interface HistoryPage {
  readonly items: AuditEntry[];
  /** Present when there may be more: pass it as `cursor` to go on. */
  readonly next?: string;
}

/** Where a page ended: entries older than the `n`-th entry (newest first) at time `t`. */
interface Position { readonly t: string; readonly n: number }

const CHUNK = 256 * 1024;
const LF = 0x0a;
/** Times are compared as strings (fixed-width ISO 8601); this sorts after every one. */
const END_OF_TIME = '9999-12-31T23:59:59.999Z';

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position in a cursor, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): Position | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Position>;
    if (typeof value.t === 'string' && lineTime(Buffer.from(`{"time":"${value.t}"`)) !== undefined
      && Number.isInteger(value.n) && value.n! >= 0) return { t: value.t, n: value.n! };
  } catch {
    // not base64url JSON
  }
  return undefined;
}

export class AuditHistory {
  constructor(
    private readonly path: string,
    private readonly keep: number,
    /** Bytes read at most per request. */
    private readonly scanBytes = 64 << 20,
  ) {}

  /** The page; a bad cursor must be refused by the caller (decodeCursor) before. */
  async read(query: HistoryQuery): Promise<HistoryPage> {
    const from: Position = query.cursor ? decodeCursor(query.cursor)! : { t: query.until ?? END_OF_TIME, n: Number.MAX_SAFE_INTEGER };
    const scan = new Scan(query, from, ipNeedle(query.ip), this.scanBytes);
    for (const path of auditFiles(this.path, this.keep)) {
      if (!(await scan.file(path))) break;
    }
    return scan.page();
  }
}

/** One request's walk backwards through the files. */
class Scan {
  readonly items: AuditEntry[] = [];
  /** The time of the last entry passed (returned or skipped) and how many entries at that time were passed. */
  #at: Position;
  #budget: number;
  #stopped = false;

  constructor(private readonly query: HistoryQuery, private readonly from: Position, private readonly needle: Buffer, budget: number) {
    this.#at = { t: from.t, n: 0 };
    this.#budget = budget;
  }

  page(): HistoryPage {
    return this.#stopped && this.#budget !== Infinity ? { items: this.items, next: encodeCursor(this.#at) } : { items: this.items };
  }

  /** Reads one file backwards from the resume point; false when the walk is over. */
  async file(path: string): Promise<boolean> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      let end = this.from.t === END_OF_TIME ? size : await offsetAfter(handle, size, this.from.t);
      let carry = Buffer.alloc(0);
      while (end > 0) {
        if (this.#budget <= 0) return this.#stop(true);
        const start = Math.max(0, end - CHUNK);
        const data = Buffer.concat([await readAt(handle, start, end - start), carry]);
        this.#budget -= end - start;
        end = start;
        // Before the first LF is the tail of a line that began in the chunk before.
        const cut = start > 0 ? data.indexOf(LF) + 1 : 0;
        if (start > 0 && cut === 0) {
          carry = data;
          continue;
        }
        carry = data.subarray(0, cut);
        const body = data.subarray(cut);
        if (!this.#search(body)) return false;
        const first = lineTime(body);
        if (first !== undefined) this.#boundary(first);
        if (this.query.since !== undefined && first !== undefined && first < this.query.since) return this.#stop(false);
      }
      return true;
    } finally {
      await handle.close();
    }
  }

  /** The matching lines of a chunk of whole lines, newest first; false when the limit is reached. */
  #search(body: Buffer): boolean {
    const found: AuditEntry[] = [];
    for (let at = body.indexOf(this.needle); at !== -1; at = body.indexOf(this.needle, at + 1)) {
      const start = body.lastIndexOf(LF, at) + 1;
      const lf = body.indexOf(LF, at);
      const entry = parseAuditLine(body.toString('utf8', start, lf === -1 ? body.length : lf));
      if (entry && entry.ip === this.query.ip) found.push(entry);
      if (lf === -1) break;
      at = lf;
    }
    for (let i = found.length - 1; i >= 0; i--) {
      const entry = found[i]!;
      if (this.query.since !== undefined && entry.time < this.query.since) return this.#stop(false);
      this.#pass(entry.time);
      if (entry.time > this.from.t || (entry.time === this.from.t && this.#at.n <= this.from.n)) continue;
      this.items.push(entry);
      if (this.items.length >= this.query.limit) return this.#stop(true);
    }
    return true;
  }

  /** Counts an entry at `time` as passed. */
  #pass(time: string): void {
    this.#at = time === this.#at.t ? { t: time, n: this.#at.n + 1 } : { t: time, n: 1 };
  }

  /** Everything from `time` on (in this walk) has been examined. */
  #boundary(time: string): void {
    if (time < this.#at.t) this.#at = { t: time, n: 0 };
  }

  #stop(more: boolean): false {
    this.#stopped = true;
    if (!more) this.#budget = Infinity;
    return false;
  }
}
