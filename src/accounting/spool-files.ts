/**
 * File work of the spool (rules at the top of spool.ts, layout in spool-format.ts): reading
 * a segment back at start, rewriting one without its gone records, removing one. Callers
 * serialise these with every other operation on the same spool.
 */
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFrame, decodeAcks, resync } from './spool-format.js';
import { Segment, parseSegmentName } from './spool-segment.js';

/** Makes created, renamed and removed names durable (a file's fsync does not cover its entry). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The first sequence numbers of the directory's segments, oldest first. Leftovers of an
 * interrupted compaction (`*.tmp`) and ack files whose segment is gone are removed.
 */
export async function listSegments(dir: string): Promise<number[]> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  const present = new Set(names);
  const firstSeqs: number[] = [];
  for (const name of names) {
    const firstSeq = parseSegmentName(name);
    if (firstSeq !== null) firstSeqs.push(firstSeq);
    else if (name.endsWith('.tmp')) await unlinkIfPresent(join(dir, name));
    else if (name.endsWith('.acks') && !present.has(name.replace(/\.acks$/, '.log'))) await unlinkIfPresent(join(dir, name));
  }
  return firstSeqs.sort((a, b) => a - b);
}

export interface LoadedSegment {
  readonly segment: Segment;
  /** Damaged stretches skipped, their bytes, and damaged ack entries. */
  readonly regions: number;
  readonly damagedBytes: number;
  readonly badAcks: number;
}

/**
 * Indexes a segment written by an earlier run: every intact frame (checksum holds, sequence
 * above the previous one), re-synchronising on the next magic after damage; then marks the
 * records its ack file names as gone. The segment is sealed: new records go to a new file.
 */
export async function loadSegment(dir: string, firstSeq: number): Promise<LoadedSegment> {
  const segment = new Segment(dir, firstSeq);
  segment.sealed = true;
  const data = await readFile(segment.logPath);
  let regions = 0;
  let damagedBytes = 0;
  let at = 0;
  while (at < data.length) {
    const frame = checkFrame(data, at);
    if (frame && frame.seq > segment.lastSeq) {
      segment.add(frame.seq, at, frame.size, frame.kind);
      at += frame.size;
      continue;
    }
    const next = resync(data, at + 1);
    const end = next === -1 ? data.length : next;
    regions++;
    damagedBytes += end - at;
    at = end;
  }
  segment.size = data.length;
  let badAcks = 0;
  const acks = await readFile(segment.ackPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (acks) {
    badAcks = decodeAcks(acks, (seq) => {
      const pos = segment.find(seq);
      if (pos !== -1) segment.markGone(pos);
    });
  }
  return { segment, regions, damagedBytes, badAcks };
}

/**
 * Compaction: copies the segment's live frames to `<name>.tmp`, fsyncs it and renames it
 * over the segment, so a crash leaves either the old file or the new one, never a mix. The
 * ack file stays: entries for records no longer in the file are ignored at load.
 */
export async function rewriteSegment(segment: Segment): Promise<void> {
  const source = (segment.fh ??= await open(segment.logPath, 'r'));
  const data = Buffer.allocUnsafe(segment.size);
  const { bytesRead } = await source.read(data, 0, segment.size, 0);
  if (bytesRead !== segment.size) throw new Error(`${segment.logPath}: read ${bytesRead} of ${segment.size} bytes`);
  const positions: number[] = [];
  const offsets: number[] = [];
  const parts: Buffer[] = [];
  let size = 0;
  for (let pos = 0; pos < segment.count; pos++) {
    const from = segment.offsetAt(pos);
    const length = segment.sizeAt(pos);
    if (segment.isGone(pos)) continue;
    positions.push(pos);
    offsets.push(size);
    parts.push(data.subarray(from, from + length));
    size += length;
  }
  const tmp = `${segment.logPath}.tmp`;
  const out = await open(tmp, 'w');
  try {
    await out.writev(parts, 0);
    await out.datasync();
  } finally {
    await out.close();
  }
  await rename(tmp, segment.logPath);
  await fsyncDir(segment.dir);
  await source.close();
  segment.fh = null;
  segment.reindex(positions, offsets, size);
}

/** The segment first, then its ack file: a crash in between leaves an orphan ack file, removed at start. */
export async function removeSegmentFiles(segment: Segment): Promise<void> {
  const handles = [segment.fh, segment.ackFh];
  segment.fh = null;
  segment.ackFh = null;
  for (const handle of handles) await handle?.close().catch(() => undefined);
  await unlinkIfPresent(segment.logPath);
  await unlinkIfPresent(segment.ackPath);
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
