/**
 * Measures the records side, each beside a reference run in the same process:
 * - spool appends with fsync batching vs. the bare file work they cost (writev of the same
 *   frames in the same batches, each followed by fdatasync);
 * - table → accountant → spool → dispatcher → ServerGroup → test server, vs. the same
 *   ServerGroup fed directly by 32 concurrent senders (what the spool and dispatcher add).
 * Prints records/s and the ratios; asserts only floors a loaded CI machine still clears.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Accountant } from '../../src/accounting/accountant.js';
import type { AccountingRecord } from '../../src/accounting/record.js';
import { ServerGroup } from '../../src/accounting/server-group.js';
import { ACCOUNTING_RECORDS, encodeFrame, payloadText } from '../../src/accounting/spool-format.js';
import { Spool } from '../../src/accounting/spool.js';
import { MemoryMappingTable } from '../../src/mappings/memory-table.js';
import { TEST_KEY, tcpServerConfig } from '../support/tacacs-config.js';
import { TacacsTestServer } from '../support/tacacs-server.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uid-acct-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function record(n: number): AccountingRecord {
  const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return {
    kind: 'start',
    user: `ACME\\user${n}`,
    port: 'esm',
    remAddr: ip,
    args: [`task_id=lx3k9a1f-${n}`, 'start_time=1700000000', 'timezone=UTC', 'service=user-id', 'event=login', `addr=${ip}`],
    orderKey: `lx3k9a1f-${n}`,
  };
}

const perSecond = (count: number, began: number) => Math.round(count / ((performance.now() - began) / 1000));

async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('accounting throughput', () => {
  it('spool appends with fsync batching, beside the bare writev + fdatasync of the same batches', async () => {
    const COUNT = 50_000;
    const BATCH = 512;
    const records = Array.from({ length: COUNT }, (_, n) => record(n));

    const throughSpool = async (count: number): Promise<number> => {
      const spool = await Spool.open({ codec: ACCOUNTING_RECORDS, dir: await tempDir(), group: 'bench', maxBytes: 1 << 30, batchMaxRecords: BATCH });
      cleanups.push(() => spool.close());
      const began = performance.now();
      for (let n = 0; n < count; n++) spool.append(records[n]!);
      await spool.flush();
      const rate = perSecond(count, began);
      expect(spool.depth).toBe(count);
      return rate;
    };
    const bare = async (count: number): Promise<number> => {
      const fh = await open(join(await tempDir(), 'raw.log'), 'w');
      cleanups.push(() => fh.close());
      const began = performance.now();
      let position = 0;
      for (let at = 0; at < count; at += BATCH) {
        const frames = records.slice(at, Math.min(count, at + BATCH)).map((r, i) => {
          const text = payloadText(r);
          return encodeFrame(at + i + 1, r.kind, text, Buffer.byteLength(text));
        });
        const { bytesWritten } = await fh.writev(frames, position);
        position += bytesWritten;
        await fh.datasync();
      }
      return perSecond(count, began);
    };
    await throughSpool(5000); // warm both paths up first
    await bare(5000);
    const spoolRate = await throughSpool(COUNT);
    const rawRate = await bare(COUNT);
    console.log(`spool append: ${spoolRate} records/s; bare writev+fdatasync: ${rawRate} records/s; ratio ${(spoolRate / rawRate).toFixed(2)}`);
    expect(spoolRate).toBeGreaterThan(5000);
  });

  it('table to TACACS+ server end to end, beside the server group fed directly', async () => {
    const COUNT = 10_000;
    const tacacs = await TacacsTestServer.start({ key: TEST_KEY });
    cleanups.push(() => tacacs.kill());
    const newGroup = () => {
      const group = new ServerGroup({ name: 'bench', servers: [tcpServerConfig(tacacs)], retryIntervalSeconds: 300 });
      cleanups.push(() => group.close());
      return group;
    };

    const direct = newGroup();
    await direct.send(record(0)); // connect outside the clock
    let next = 1;
    let began = performance.now();
    const worker = async (): Promise<void> => {
      while (next <= COUNT) await direct.send(record(next++));
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const directRate = perSecond(COUNT, began);

    const table = new MemoryMappingTable({ timeoutMinutes: 45, maxEntries: 1_000_000 });
    cleanups.push(() => table.close());
    const acct = new Accountant({
      config: { mode: 'start-stop', update: { newinfo: true, periodicMinutes: 0 }, suppressNullUsername: true, timezone: 'UTC', spool: await tempDir(), spoolMaxBytes: 1 << 30 },
      groups: [newGroup()],
      table,
    });
    cleanups.push(() => acct.stop());
    await acct.start();
    const depth = () => acct.groupStats()[0]!.spoolRecords;
    await until(() => depth() === 0); // the system start, and the connection
    began = performance.now();
    for (let n = 1; n <= COUNT; n++) table.apply({ event: 'login', user: `ACME\\user${n}`, ip: record(n).remAddr, profile: 'p', sender: 'esm' });
    const ingestMs = performance.now() - began;
    await until(() => depth() === 0);
    const endToEnd = perSecond(COUNT, began);
    console.log(
      `end to end: ${endToEnd} records/s (ingestion of ${COUNT} logins took ${ingestMs.toFixed(0)} ms); ` +
        `server group fed directly: ${directRate} records/s; ratio ${(endToEnd / directRate).toFixed(2)}`,
    );
    expect(acct.groupStats()[0]!.dispatch.sent).toBe(COUNT + 1);
    expect(endToEnd).toBeGreaterThan(500);
  });
});
