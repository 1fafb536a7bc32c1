/**
 * The recent table changes, numbered, in a fixed-size ring: what `Last-Event-ID` resumes
 * from (HTML Living Standard §9.2, server-sent events). An id is `<run>-<seq>`: `seq`
 * counts changes since this ring was made and `run` is random per ring, so an id from
 * before a restart is recognised as unknown instead of being mistaken for a recent one.
 *
 * Pushing only stores a reference (the change objects already exist); the SSE frame of a
 * change is built the first time a client needs it and then shared by every client.
 */
import { randomBytes } from 'node:crypto';
import type { MappingChange } from '../mappings/table.js';
import { presentChange } from './present.js';

export class EventRing {
  private readonly run = randomBytes(4).toString('hex');
  private readonly changes: (MappingChange | undefined)[];
  private readonly frames: (string | undefined)[];
  /** Sequence number of the newest change; 0 before the first. */
  private newest = 0;

  constructor(readonly capacity: number) {
    this.changes = new Array<MappingChange | undefined>(capacity);
    this.frames = new Array<string | undefined>(capacity);
  }

  get head(): number {
    return this.newest;
  }

  /** Sequence number of the oldest change still held. */
  get oldest(): number {
    return Math.max(1, this.newest - this.capacity + 1);
  }

  push(change: MappingChange): void {
    const slot = this.newest % this.capacity;
    this.newest++;
    this.changes[slot] = change;
    this.frames[slot] = undefined;
  }

  idOf(seq: number): string {
    return `${this.run}-${seq}`;
  }

  /** The sequence number an id names, when it is one of this ring's (held or not); else undefined. */
  parseId(id: string): number | undefined {
    const dash = id.lastIndexOf('-');
    if (dash === -1 || id.slice(0, dash) !== this.run) return undefined;
    const digits = id.slice(dash + 1);
    if (!/^\d{1,15}$/.test(digits)) return undefined;
    const seq = Number(digits);
    return seq <= this.newest ? seq : undefined;
  }

  /** The SSE frame of a held change (`oldest <= seq <= head`). */
  frame(seq: number): string {
    const slot = (seq - 1) % this.capacity;
    let frame = this.frames[slot];
    if (frame === undefined) {
      const change = this.changes[slot]!;
      frame = `id: ${this.idOf(seq)}\nevent: ${change.kind}\ndata: ${JSON.stringify(presentChange(change))}\n\n`;
      this.frames[slot] = frame;
    }
    return frame;
  }
}
