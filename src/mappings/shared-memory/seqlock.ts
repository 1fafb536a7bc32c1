/**
 * Consistency between the one writer (the main thread) and readers on other threads: a
 * sequence lock per stripe of buckets (Lameter, "Effective synchronization on Linux/NUMA
 * systems", 2005; the Linux kernel's seqcount_t). The writer makes the stripe's counter
 * odd, writes, and makes it even again; a reader notes the counter, reads, and starts over
 * if the counter was odd or has moved. A reader never blocks the writer and never takes a
 * lock; the writer never waits for a reader.
 *
 * The memory-model assumption, stated: every word a reader may read while the writer
 * changes it (entry fields, name bytes, bucket heads, chain links) is written with
 * Atomics.store and read with Atomics.load, and the counters move with Atomics.add. Those
 * are all sequentially consistent (ECMAScript §29 "Memory Model"), so they fall in one
 * total order that keeps each thread's program order: a reader that saw any word of a
 * write in progress also sees the counter that write moved, and retries. This is the
 * seqlock that stays correct under a language memory model when its data accesses are
 * atomics too (Boehm, "Can seqlocks get along with programming language memory models?",
 * MSPC 2012); plain typed-array reads would be racy under §29 and could be reordered past
 * the final counter load on weakly ordered CPUs (ARM). Float64 fields are moved as two
 * Int32 halves, since Atomics has no Float64Array.
 */

const scratch = new Float64Array(1);
const halves = new Int32Array(scratch.buffer);

/** Writes a float as two atomic 32-bit stores at words[at], words[at + 1] (8-byte aligned). */
export function storeFloat(words: Int32Array, at: number, value: number): void {
  scratch[0] = value;
  Atomics.store(words, at, halves[0]!);
  Atomics.store(words, at + 1, halves[1]!);
}

/** Reads a float written by storeFloat. */
export function loadFloat(words: Int32Array, at: number): number {
  halves[0] = Atomics.load(words, at);
  halves[1] = Atomics.load(words, at + 1);
  return scratch[0]!;
}

/** Writer: the stripe is being changed (its counter goes odd). Pair with endWrite. */
export function beginWrite(counters: Int32Array, stripe: number): void {
  Atomics.add(counters, stripe, 1);
}

/** Writer: the stripe is consistent again (its counter goes even). */
export function endWrite(counters: Int32Array, stripe: number): void {
  Atomics.add(counters, stripe, 1);
}

/** Reader: the counter to read under, or -1 while a write is in progress. */
export function readBegin(counters: Int32Array, stripe: number): number {
  const seq = Atomics.load(counters, stripe);
  return (seq & 1) === 0 ? seq : -1;
}

/** Reader: whether what was read since readBegin returned `seq` is consistent. */
export function readValid(counters: Int32Array, stripe: number, seq: number): boolean {
  return Atomics.load(counters, stripe) === seq;
}
