/** Shared by the spool, dispatcher and accountant tests: temp directories, records, events. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { AccountingEvent } from '../../src/accounting/accounting-events.js';
import type { AccountingRecord, RecordKind, RecordSender } from '../../src/accounting/record.js';
import { Spool, type SpoolOptions } from '../../src/accounting/spool.js';
import { ACCOUNTING_RECORDS } from '../../src/accounting/spool-format.js';
import { UidError } from '../../src/errors.js';

const dirs: string[] = [];
const spools: Spool[] = [];

afterEach(async () => {
  await Promise.all(spools.splice(0).map((spool) => spool.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uid-spool-'));
  dirs.push(dir);
  return dir;
}

/** A record of `kind` for session `key`; `n` makes it unique and recognisable. */
export function rec(kind: RecordKind, key: string, n = 0): AccountingRecord {
  return { kind, user: `user-${key}`, port: 'esm', remAddr: '10.0.0.1', orderKey: key, args: [`task_id=${key}`, `n=${n}`] };
}

export interface Events {
  readonly list: AccountingEvent[];
  readonly onEvent: (event: AccountingEvent) => void;
  types(): string[];
}

export function events(): Events {
  const list: AccountingEvent[] = [];
  return { list, onEvent: (event) => list.push(event), types: () => list.map((event) => event.type) };
}

/** Opens a spool closed after the test (closing twice is harmless). */
export async function openSpool(options: Partial<SpoolOptions> & { dir: string }): Promise<Spool> {
  const spool = await Spool.open({ codec: ACCOUNTING_RECORDS, group: 'g1', maxBytes: 1 << 20, ...options });
  spools.push(spool);
  return spool;
}

/** Every live record, oldest first. */
export async function readAll(spool: Spool): Promise<{ seq: number; record: AccountingRecord }[]> {
  const out: { seq: number; record: AccountingRecord }[] = [];
  let from = 1;
  for (;;) {
    const batch = await spool.read(from, 100);
    out.push(...batch.records);
    if (batch.nextSeq === from || batch.records.length === 0) return out;
    from = batch.nextSeq;
  }
}

/**
 * Polls `check` until it holds (for conditions with no event to wait on), failing after
 * `ms` of real time (performance.now: tests may fake Date).
 */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not reached within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export type Outcome = 'ok' | 'retry' | 'permanent' | 'hold';

/**
 * A RecordSender test double: `decide` says what each attempt does; it checks that no two
 * records of one order key are ever in flight together.
 */
export class ScriptedSender implements RecordSender {
  readonly delivered: AccountingRecord[] = [];
  attempts = 0;
  inFlight = 0;
  maxInFlight = 0;
  sameKeyOverlap = 0;
  readonly held: (() => void)[] = [];
  readonly #keys = new Set<string>();

  constructor(
    public decide: (record: AccountingRecord, attempt: number) => Outcome = () => 'ok',
    public delayMs: () => number = () => 0,
  ) {}

  async send(record: AccountingRecord): Promise<void> {
    const attempt = ++this.attempts;
    if (this.#keys.has(record.orderKey)) this.sameKeyOverlap++;
    this.#keys.add(record.orderKey);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const outcome = this.decide(record, attempt);
      const delay = this.delayMs();
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (outcome === 'hold') await new Promise<void>((resolve) => this.held.push(resolve));
      if (outcome === 'retry') throw new UidError('UID_ERR_TACACS_UNAVAILABLE', 'no server of group g1 answered');
      if (outcome === 'permanent') throw new UidError('UID_ERR_TACACS_FIELD', 'user is longer than 255 octets');
      this.delivered.push(record);
    } finally {
      this.inFlight--;
      this.#keys.delete(record.orderKey);
    }
  }

  releaseAll(): void {
    for (const release of this.held.splice(0)) release();
  }
}
