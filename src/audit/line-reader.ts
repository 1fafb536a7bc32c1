/**
 * Random access to one audit file by time, relying on the format's rules (format.ts): lines
 * are in time order and each starts with its fixed-width time, so the place of an instant
 * is found by bisection over byte offsets in O(log size) small reads, without parsing.
 */
import type { FileHandle } from 'node:fs/promises';
import { TIME_LENGTH, TIME_OFFSET } from './format.js';

const LF = 0x0a;
const WINDOW = 16 * 1024;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** The time written at the start of a line, or undefined when the bytes are not one. */
export function lineTime(line: Buffer, start = 0): string | undefined {
  const text = line.toString('latin1', start + TIME_OFFSET, start + TIME_OFFSET + TIME_LENGTH);
  return TIME.test(text) ? text : undefined;
}

/** The first line starting at or after `offset`: its start and time (undefined at the end of the file). */
async function lineFrom(file: FileHandle, offset: number, size: number): Promise<{ start: number; time: string | undefined } | undefined> {
  let start = offset;
  if (offset > 0) {
    // A line starts at `offset` when the byte before it is an LF.
    for (let at = offset - 1; ; at += WINDOW) {
      if (at >= size) return undefined;
      const lf = (await readAt(file, at, WINDOW)).indexOf(LF);
      if (lf !== -1) {
        start = at + lf + 1;
        break;
      }
    }
  }
  if (start >= size) return undefined;
  return { start, time: lineTime(await readAt(file, start, TIME_OFFSET + TIME_LENGTH)) };
}

/**
 * Offset of the first line whose time is after `time` (`size` when none is): the end of
 * the part of the file at or before `time`. A line whose time cannot be read counts as
 * earlier, so damage never hides the lines before it.
 */
export async function offsetAfter(file: FileHandle, size: number, time: string): Promise<number> {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const line = await lineFrom(file, mid, size);
    if (line === undefined || (line.time !== undefined && line.time > time)) hi = mid;
    else lo = line.start + 1;
  }
  return (await lineFrom(file, lo, size))?.start ?? size;
}
