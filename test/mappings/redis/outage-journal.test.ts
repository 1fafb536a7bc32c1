/**
 * The outage queue's file (src/mappings/redis/outage-journal.ts): what was queued comes
 * back after a restart in order, minus what was applied; a torn or damaged tail is skipped
 * and reported, the intact events around it kept.
 */
import { appendFile, mkdtemp, readdir, rm, truncate, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IdentityEvent } from '../../../src/identify/event.js';
import { IDENTITY_EVENTS, openOutageJournal } from '../../../src/mappings/redis/outage-journal.js';
import type { RedisStoreEvent } from '../../../src/mappings/redis/events.js';
import { OutageQueue } from '../../../src/mappings/redis/outage-queue.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uid-outage-'));
  dirs.push(dir);
  return dir;
}

const login = (n: number, timeoutMs?: number): IdentityEvent => ({
  event: 'login', ip: `10.9.0.${n}`, user: `CORP\\ü${n}`, sender: 'fw', profile: 'p', ...(timeoutMs === undefined ? {} : { timeoutMs }),
});
const logout = (n: number): IdentityEvent => ({ event: 'logout', ip: `10.9.0.${n}`, user: `CORP\\ü${n}`, sender: 'fw', profile: 'p' });

/** A queue on the folder's journal, as the table makes it. */
async function queueOn(dir: string, events: RedisStoreEvent[] = []) {
  const journal = await openOutageJournal(dir, (event) => events.push(event));
  const queue = new OutageQueue<IdentityEvent>(100, () => {}, journal.spool);
  queue.restore(journal.restored);
  return { queue, journal };
}

describe('the outage queue file', () => {
  it('round-trips every field of an event', () => {
    for (const event of [login(1), login(2, 0), login(3, 90_000), logout(4)]) {
      expect(IDENTITY_EVENTS.decode(IDENTITY_EVENTS.kind(event), JSON.parse(IDENTITY_EVENTS.text(event)))).toEqual(event);
    }
    expect(IDENTITY_EVENTS.decode(0, ['10.0.0.1', 5, 'fw', 'p', null])).toBeNull();
    expect(IDENTITY_EVENTS.decode(2, ['10.0.0.1', 'u', 'fw', 'p', null])).toBeNull();
  });

  it('gives back after a restart what was queued and not applied, in order', async () => {
    const dir = await tempDir();
    const first = await queueOn(dir);
    for (let n = 1; n <= 5; n++) first.queue.push(login(n));
    first.queue.push(logout(1));
    first.queue.applied(first.queue.take(2)); // applied in Redis: out of the file
    await first.journal.spool.flush();
    // No close: the process died (the file holds what was fdatasync'd and the acks written).

    const events: RedisStoreEvent[] = [];
    const second = await queueOn(dir, events);
    expect(second.queue.take(100).map((entry) => entry.item)).toEqual([login(3), login(4), login(5), logout(1)]);
    expect(events).toContainEqual({ type: 'store-queue-restored', path: dir, events: 4 });
    second.queue.push(login(6)); // new events go after the restored ones, with new places in the file
    await second.journal.spool.close();
    const third = await queueOn(dir);
    expect(third.journal.restored.map((entry) => entry.item)).toEqual([login(3), login(4), login(5), logout(1), login(6)]);
    third.queue.applied(third.queue.take(100));
    await third.journal.spool.close();
    expect((await queueOn(dir)).journal.restored).toEqual([]);
  });

  it('skips a torn tail and damaged bytes, reports them, keeps the intact events', async () => {
    const dir = await tempDir();
    const first = await queueOn(dir);
    for (let n = 1; n <= 3; n++) first.queue.push(login(n));
    await first.journal.spool.close();
    const [segment] = (await readdir(dir)).filter((name) => name.endsWith('.log'));
    const file = join(dir, segment!);
    const size = (await stat(file)).size;
    await truncate(file, size - 5); // a crash mid-write of the last frame
    await appendFile(file, Buffer.from('garbage that is no frame'));

    const events: RedisStoreEvent[] = [];
    const second = await queueOn(dir, events);
    expect(second.journal.restored.map((entry) => entry.item)).toEqual([login(1), login(2)]);
    expect(events.find((event) => event.type === 'store-queue-corrupt')).toMatchObject({ code: 'UID_ERR_SPOOL_CORRUPT', path: dir });
    await second.journal.spool.close();
  });
});
