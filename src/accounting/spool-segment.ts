/**
 * The in-memory index of one spool segment file (layout: spool-format.ts). Typed arrays,
 * 18 bytes per record, so a spool of a million waiting records costs ~20 MB, not a million
 * objects; the records themselves stay on disk until the dispatcher reads them.
 */
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { isWatchdogCode } from './spool-format.js';

const SEGMENT_NAME = /^seg-([0-9a-f]{16})\.log$/;

export function segmentName(firstSeq: number): string {
  return `seg-${firstSeq.toString(16).padStart(16, '0')}.log`;
}

/** The first sequence number a segment file name carries, or null for other files. */
export function parseSegmentName(name: string): number | null {
  const match = SEGMENT_NAME.exec(name);
  return match ? Number.parseInt(match[1]!, 16) : null;
}

export class Segment {
  readonly logPath: string;
  readonly ackPath: string;
  /** Read handle, and write handle too while this is the active segment. */
  fh: FileHandle | null = null;
  ackFh: FileHandle | null = null;
  /** Bytes in the file, frames of gone records and damaged bytes included. */
  size = 0;
  /** No more appends: full, opened from an earlier run, or left after a write error. */
  sealed = false;
  count = 0;
  liveCount = 0;
  liveBytes = 0;
  liveWatchdogs = 0;
  /** Acks not yet written to the ack file. */
  pendingAcks: number[] = [];
  #seqs = new Float64Array(64);
  #offsets = new Uint32Array(64);
  #sizes = new Uint32Array(64);
  #kinds = new Uint8Array(64);
  #gone = new Uint8Array(64);
  /** Positions before it hold no live watchdog (records only ever become gone). */
  #watchdogCursor = 0;

  constructor(
    readonly dir: string,
    readonly firstSeq: number,
  ) {
    this.logPath = join(dir, segmentName(firstSeq));
    this.ackPath = this.logPath.replace(/\.log$/, '.acks');
  }

  get lastSeq(): number {
    return this.count > 0 ? this.#seqs[this.count - 1]! : this.firstSeq - 1;
  }

  add(seq: number, offset: number, size: number, kind: number): void {
    if (this.count === this.#seqs.length) this.#grow();
    const pos = this.count++;
    this.#seqs[pos] = seq;
    this.#offsets[pos] = offset;
    this.#sizes[pos] = size;
    this.#kinds[pos] = kind;
    this.#gone[pos] = 0;
    this.liveCount++;
    this.liveBytes += size;
    if (isWatchdogCode(kind)) this.liveWatchdogs++;
  }

  seqAt(pos: number): number {
    return this.#seqs[pos]!;
  }
  offsetAt(pos: number): number {
    return this.#offsets[pos]!;
  }
  sizeAt(pos: number): number {
    return this.#sizes[pos]!;
  }
  kindAt(pos: number): number {
    return this.#kinds[pos]!;
  }
  isGone(pos: number): boolean {
    return this.#gone[pos] === 1;
  }

  /** The first position whose sequence number is >= seq (binary search). */
  lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(seq: number): number {
    const pos = this.lowerBound(seq);
    return pos < this.count && this.#seqs[pos] === seq ? pos : -1;
  }

  /** Marks a record as gone (acked, dropped or damaged); false when it already was. */
  markGone(pos: number): boolean {
    if (this.#gone[pos] === 1) return false;
    this.#gone[pos] = 1;
    this.liveCount--;
    this.liveBytes -= this.#sizes[pos]!;
    if (isWatchdogCode(this.#kinds[pos]!)) this.liveWatchdogs--;
    return true;
  }

  /** The oldest live watchdog, or -1. Amortised O(1): the cursor only moves forward. */
  oldestLiveWatchdog(): number {
    if (this.liveWatchdogs === 0) return -1;
    for (let pos = this.#watchdogCursor; pos < this.count; pos++) {
      if (this.#gone[pos] === 0 && isWatchdogCode(this.#kinds[pos]!)) {
        this.#watchdogCursor = pos;
        return pos;
      }
    }
    return -1;
  }

  /** After compaction: keep only `positions` (still live), at their new offsets. */
  reindex(positions: readonly number[], newOffsets: readonly number[], newSize: number): void {
    const kept = new Segment(this.dir, this.firstSeq);
    positions.forEach((pos, i) => {
      if (this.#gone[pos] === 0) kept.add(this.#seqs[pos]!, newOffsets[i]!, this.#sizes[pos]!, this.#kinds[pos]!);
    });
    this.#seqs = kept.#seqs;
    this.#offsets = kept.#offsets;
    this.#sizes = kept.#sizes;
    this.#kinds = kept.#kinds;
    this.#gone = kept.#gone;
    this.count = kept.count;
    this.liveCount = kept.liveCount;
    this.liveBytes = kept.liveBytes;
    this.liveWatchdogs = kept.liveWatchdogs;
    this.#watchdogCursor = 0;
    this.size = newSize;
  }

  #grow(): void {
    const n = this.#seqs.length * 2;
    this.#seqs = copyInto(new Float64Array(n), this.#seqs);
    this.#offsets = copyInto(new Uint32Array(n), this.#offsets);
    this.#sizes = copyInto(new Uint32Array(n), this.#sizes);
    this.#kinds = copyInto(new Uint8Array(n), this.#kinds);
    this.#gone = copyInto(new Uint8Array(n), this.#gone);
  }
}

function copyInto<T extends Float64Array | Uint32Array | Uint8Array>(into: T, from: T): T {
  into.set(from);
  return into;
}
