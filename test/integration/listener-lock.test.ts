/**
 * One listener per state folder (src/state-lock.ts): a second listener started on the same
 * config fails before it reads or writes the snapshot or the spool, and a lock left by a
 * killed listener does not keep the next one from starting.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupListeners, ListenerProcess } from '../support/listener.js';

afterAll(cleanupListeners);

describe('state folder lock', () => {
  it('refuses a second listener on the same folders with one line naming the first, and leaves the first alone', async () => {
    const first = await ListenerProcess.start();
    const snapshot = join(first.dir, 'data', 'mappings.json');
    const hadSnapshot = existsSync(snapshot);

    const second = await first.restart();
    expect((await second.exited).code).toBe(1);
    const lines = second.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^uid-listener: the snapshot folder .* is in use by process ${first.child.pid} `));
    expect(existsSync(snapshot)).toBe(hadSnapshot);
    expect((await first.http('GET', '/healthz')).status).toBe(200);

    await first.kill();
    const third = await first.restart();
    expect(third.lines.some((l) => l.msg.startsWith('took over a lock'))).toBe(true);
    expect((await third.stop()).code).toBe(0);
  });
});
