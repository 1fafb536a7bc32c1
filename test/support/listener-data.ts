/**
 * Reads and writes what a listener leaves on disk, for fault tests: the mapping snapshot
 * (through its own format module, so the checksum is right) and the accounting spool's
 * records (frames minus acks, read-only, as the layout in spool-format.ts states it), and
 * views of what the TACACS+ test server received.
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { checkFrame, decodeAcks, decodeFrame, resync } from '../../src/accounting/spool-format.js';
import type { AccountingRecord } from '../../src/accounting/record.js';
import { readSnapshot as readSnapshotFile } from '../../src/mappings/snapshot.js';
import { encodeEntry, encodeHeader, encodeTrailer } from '../../src/mappings/snapshot-format.js';
import type { SavedMapping } from '../../src/mappings/snapshot-format.js';
import type { Mapping } from '../../src/mappings/table.js';
import type { RecordedRequest } from './tacacs-server.js';

/** The mappings of a snapshot the listener wrote (any version it writes or reads). */
export async function readSnapshot(path: string): Promise<SavedMapping[]> {
  return (await readSnapshotFile(path)).mappings;
}

/** Writes a valid snapshot (header, entries, trailer with count and sha256) atomically. */
export async function writeSnapshot(path: string, mappings: readonly Mapping[], writtenAt = Date.now()): Promise<void> {
  const body = encodeHeader(writtenAt) + mappings.map(encodeEntry).join('');
  const trailer = encodeTrailer(mappings.length, createHash('sha256').update(body).digest('hex'));
  await writeFile(`${path}.edit`, body + trailer);
  await rename(`${path}.edit`, path);
}

export interface SpooledRecord extends AccountingRecord {
  readonly seq: number;
  /** A SUCCESS was recorded for it (it is in the segment's ack ledger). */
  readonly acked: boolean;
}

/** Every intact record frame of a group's spool folder, oldest first, each marked acked or not. */
export async function readSpool(dir: string): Promise<SpooledRecord[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const acked = new Set<number>();
  const records: SpooledRecord[] = [];
  for (const name of names.filter((n) => /^seg-[0-9a-f]{16}\.log$/.test(n)).sort()) {
    const acks = await readFile(join(dir, name.replace(/\.log$/, '.acks'))).catch(() => Buffer.alloc(0));
    decodeAcks(acks, (seq) => acked.add(seq));
    const data = await readFile(join(dir, name));
    for (let at = 0; at < data.length;) {
      const info = checkFrame(data, at);
      if (!info) {
        at = resync(data, at + 1); // a frame cut short by SIGKILL
        if (at === -1) break;
        continue;
      }
      const record = decodeFrame(data, at, info);
      if (record) records.push({ ...record, seq: info.seq, acked: false });
      at += info.size;
    }
  }
  return records.map((r) => ({ ...r, acked: acked.has(r.seq) }));
}

export const FLAGS = { start: 0x02, stop: 0x04, watchdog: 0x08, 'watchdog-update': 0x0a } as const;

/** An argument's value (`name=value` or `name*value`). */
export function arg(args: readonly string[], name: string): string | undefined {
  const found = args.find((a) => a.startsWith(`${name}=`) || a.startsWith(`${name}*`));
  return found?.slice(name.length + 1);
}

/** A record's identity across resends: the same record sent twice has the same key. */
export function recordKey(flags: number, args: readonly string[]): string {
  return `${arg(args, 'task_id')}:${flags}:${arg(args, 'reason') ?? ''}`;
}

export function spooledKey(record: SpooledRecord): string {
  return recordKey(FLAGS[record.kind], record.args);
}

export function requestKey(request: RecordedRequest): string {
  return recordKey(request.flags, request.args);
}

/** The flags of each user-id session's records in arrival order, by task_id. */
export function flagsByTask(requests: readonly RecordedRequest[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of requests) {
    if (arg(r.args, 'service') !== 'user-id') continue;
    const id = arg(r.args, 'task_id')!;
    out.set(id, [...(out.get(id) ?? []), r.flags]);
  }
  return out;
}

/**
 * At-least-once with per-mapping order, as the spool promises: a session's records may
 * repeat (a reply lost when a server died is sent again) but never go backwards, so the
 * flags, with repeats collapsed, must be exactly `expected`.
 */
export function collapsed(flags: readonly number[]): number[] {
  return flags.filter((f, i) => i === 0 || f !== flags[i - 1]);
}

/**
 * Across a restart the order holds per replay, not overall: records sent before the kill
 * whose SUCCESS had not reached the ack ledger go again from the oldest, so a session may
 * arrive as START STOP START STOP. Each replay must still keep order (every STOP right
 * after a START, repeats collapsed). Returns the session's distinct records in the order
 * they first arrived when that holds, else the raw flags (so the assertion shows them).
 */
export function replayedInOrder(flags: readonly number[]): number[] {
  const runs = collapsed(flags);
  const ordered = runs.every((f, i) => f !== FLAGS.stop || runs[i - 1] === FLAGS.start);
  return ordered ? [...new Set(runs)] : [...flags];
}

export interface Arrival { readonly server: number; readonly request: RecordedRequest }

/**
 * Requests as they arrived at any of `servers`, in one order (the test servers run on one
 * event loop, so the order of `requests.push` calls is the order of arrival).
 */
export function recordArrivals(servers: readonly { readonly requests: RecordedRequest[] }[]): Arrival[] {
  const arrivals: Arrival[] = [];
  servers.forEach((s, server) => {
    const push = s.requests.push.bind(s.requests);
    s.requests.push = (...items: RecordedRequest[]) => {
      for (const request of items) arrivals.push({ server, request });
      return push(...items);
    };
  });
  return arrivals;
}
