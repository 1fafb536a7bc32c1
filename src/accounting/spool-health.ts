/**
 * A spool's counters and its two states that operators must hear about — the disk
 * (writable or failing) and the size cap (ok, dropping WATCHDOGs, full) — reported once
 * per change of state, never once per record (STYLE §3; rules at the top of spool.ts).
 */
import type { AccountingEvent } from './accounting-events.js';

/** Plain counters, exported by the lead (`uid_accounting_spool_records{group}` is `Spool.depth`). */
export interface SpoolStats {
  appended: number;
  acked: number;
  /** WATCHDOGs dropped by the cap policy. */
  dropped: number;
  /** Records refused: cap reached with no WATCHDOG left, a failed write, or after close. */
  refused: number;
  /** Damaged stretches and ack entries skipped. */
  corrupt: number;
  ioErrors: number;
}

export type CapState = 'ok' | 'dropping' | 'full';

export class SpoolHealth {
  readonly stats: SpoolStats = { appended: 0, acked: 0, dropped: 0, refused: 0, corrupt: 0, ioErrors: 0 };
  #ioFailing = false;
  #cap: CapState = 'ok';

  constructor(
    readonly group: string,
    readonly maxBytes: number,
    readonly onEvent: ((event: AccountingEvent) => void) | undefined,
  ) {}

  get cap(): CapState {
    return this.#cap;
  }

  /** 'dropping' never hides 'full': the error stands until the spool is below 90 % again. */
  setCap(state: CapState): void {
    if (state === this.#cap || (state === 'dropping' && this.#cap === 'full')) return;
    this.#cap = state;
    const { group, maxBytes } = this;
    if (state === 'dropping') this.onEvent?.({ type: 'spool-cap-reached', group, maxBytes });
    else if (state === 'full') this.onEvent?.({ type: 'spool-full', code: 'UID_ERR_SPOOL_FULL', group, maxBytes });
    else this.onEvent?.({ type: 'spool-cap-cleared', group });
  }

  damaged(file: string, regions: number, bytes: number): void {
    this.stats.corrupt += regions;
    this.onEvent?.({
      type: 'spool-corrupt',
      code: 'UID_ERR_SPOOL_CORRUPT',
      group: this.group,
      file,
      regions,
      bytes,
      message: `${file}: skipped ${regions} damaged stretch(es), ${bytes} bytes; the intact records around them are kept`,
    });
  }

  ioError(error: unknown): void {
    this.stats.ioErrors++;
    if (this.#ioFailing) return;
    this.#ioFailing = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.onEvent?.({
      type: 'spool-io-error',
      code: 'UID_ERR_SPOOL_IO',
      group: this.group,
      message: `accounting spool cannot be written (${reason}); records are refused until it can: check free space and permissions`,
      error,
    });
  }

  ioRecovered(): void {
    if (!this.#ioFailing) return;
    this.#ioFailing = false;
    this.onEvent?.({ type: 'spool-io-recovered', group: this.group });
  }
}
