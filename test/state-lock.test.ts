import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UidError } from '../src/errors.js';
import { lockState } from '../src/state-lock.js';
import { rejection } from './support/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lockState', () => {
  it('takes a free lock with this pid, creating the folder, and releases it', async () => {
    const path = join(dir, 'data', 'mappings.json.lock');
    const lock = await lockState(path, 'the snapshot folder');
    expect(lock.tookOver).toBe(false);
    expect((await readFile(path, 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a lock a running process holds, naming it; takes it over once that process is gone', async () => {
    const owner = spawn('sleep', ['30']);
    await once(owner, 'spawn');
    const path = join(dir, '.lock');
    await writeFile(path, `${owner.pid}\n`);

    const error = await rejection<UidError>(lockState(path, 'the accounting spool'));
    expect(error.code).toBe('UID_ERR_STATE_LOCKED');
    expect(error.message).toContain(`the accounting spool ${dir} is in use by process ${owner.pid}`);

    owner.kill('SIGKILL');
    await once(owner, 'exit');
    const lock = await lockState(path, 'the accounting spool');
    expect(lock.tookOver).toBe(true);
    expect((await readFile(path, 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
  });

  it('takes over a lock file that names no process (cut short by a crash)', async () => {
    const path = join(dir, '.lock');
    await writeFile(path, '');
    expect((await lockState(path, 'the accounting spool')).tookOver).toBe(true);
  });

  it('holds nothing and says why when the folder cannot be written (a file in its place)', async () => {
    await writeFile(join(dir, 'blocked'), 'not a folder');
    const lock = await lockState(join(dir, 'blocked', '.lock'), 'the accounting spool');
    expect((lock.unwritable as NodeJS.ErrnoException | undefined)?.code).toMatch(/^(EEXIST|ENOTDIR)$/);
    await lock.release();
    expect(await readFile(join(dir, 'blocked'), 'utf8')).toBe('not a folder');
  });
});
