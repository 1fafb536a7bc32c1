/**
 * Keeps rare-event reports rare under abuse: a key (an address) is reported at most once
 * per interval, and all keys together at most `perInterval` times per interval, so a
 * flood of spoofed source addresses cannot turn into a flood of log lines. What is held
 * back is counted and handed to the next report.
 */
export class RateLimiter {
  private readonly lastByKey = new Map<string, number>();
  private windowStart = -Infinity;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly perInterval: number,
    private readonly maxKeys = 4096,
  ) {}

  /** -1 when this report is held back; otherwise how many were held back since the last one. */
  take(key: string, now: number): number {
    const last = this.lastByKey.get(key);
    if (last !== undefined && now - last < this.intervalMs) return this.hold();
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.perInterval) return this.hold();
    this.inWindow++;
    // Forgetting every key at once is the cheap bound; the global cap still holds.
    if (this.lastByKey.size >= this.maxKeys) this.lastByKey.clear();
    this.lastByKey.set(key, now);
    const held = this.suppressed;
    this.suppressed = 0;
    return held;
  }

  private hold(): number {
    this.suppressed++;
    return -1;
  }
}
