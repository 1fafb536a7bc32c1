/**
 * Mapping objects built lately, kept for the entries they were built from until one is
 * written (a direct-mapped cache on the entry index): a sender repeating a heartbeat many
 * times a second, or a client asking for the same address, gets the same object again
 * instead of a new one with its id and user decoded each time. Bounded: at most SLOTS
 * objects on the JS heap.
 */
import type { Mapping } from '../table.js';

const SLOTS = 4096;

export class RecentMappings {
  readonly #mappings: (Mapping | undefined)[] = new Array<Mapping | undefined>(SLOTS);
  readonly #entries = new Int32Array(SLOTS).fill(-1);

  /** The mapping last kept for `entry`, if it was not written since. */
  get(entry: number): Mapping | undefined {
    const slot = entry & (SLOTS - 1);
    return this.#entries[slot] === entry ? this.#mappings[slot] : undefined;
  }

  keep(entry: number, mapping: Mapping): void {
    const slot = entry & (SLOTS - 1);
    this.#mappings[slot] = mapping;
    this.#entries[slot] = entry;
  }

  /** The entry is being written: its object no longer stands for it. */
  forget(entry: number): void {
    const slot = entry & (SLOTS - 1);
    if (this.#entries[slot] !== entry) return;
    this.#entries[slot] = -1;
    this.#mappings[slot] = undefined;
  }
}
