/**
 * A clock read on the hot path as a plain property (`clock.now`), ticked by a timer: reading
 * Date.now() for every message costs about as much as the prefilter of a message no profile
 * wants (tens of nanoseconds), and "when did this sender last send" needs the second, not the
 * nanosecond.
 */
export interface Clock {
  /** Milliseconds since the epoch, as of the last tick. */
  readonly now: number;
}

const TICK_MS = 1000;

/** A clock that ticks every second until `stop` (its timer never keeps the process alive). */
export function tickingClock(): Clock & { stop(): void } {
  const clock = { now: Date.now(), stop: () => clearInterval(timer) };
  const timer = setInterval(() => { clock.now = Date.now(); }, TICK_MS);
  timer.unref();
  return clock;
}
