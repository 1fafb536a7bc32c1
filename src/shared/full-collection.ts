/**
 * A full garbage collection, for the rare moment the listener knows that much memory has
 * just become garbage: after a snapshot restore at start (the file's bytes and the
 * restore's index arrays: about 270 MiB at two million mappings). V8 gives large
 * ArrayBuffers back only in a major collection, which a listener that allocates little may
 * not run for hours, so without this the listener kept that memory resident (679 MiB
 * against 414 MiB measured at 2M; BENCHMARKS.md "The misses taken apart"): a container
 * sized for the table could be killed for memory the table does not use.
 *
 * The collector is reached without a command-line flag, the way jest's leak detector
 * reaches it: the `--expose-gc` flag set for as long as it takes to make one new context,
 * whose `gc` is kept, then cleared, so no other context ever sees a `gc` global.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function fullCollection(): void {
  collect ??= collector();
  collect();
  // V8 frees the backing stores of the ArrayBuffers a collection found dead on a
  // background sweeper; the next collection waits for it, so the memory is back now.
  collect();
}

function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc; // started with --expose-gc
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
