/**
 * One listener per state folder. Two listeners started on one config would restore the
 * same snapshot and send each other's spooled records; so before either is touched, each
 * state path gets a lock file holding the owner's pid, created exclusively. A lock whose
 * pid is no longer a running process (a crash, a power cut) is stale and taken over.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UidError } from './errors.js';

export interface StateLock {
  readonly path: string;
  /** Whether a stale lock (its process gone) was taken over. */
  readonly tookOver: boolean;
  release(): Promise<void>;
}

/** Takes the lock file at `path`; throws UID_ERR_STATE_LOCKED when a live process holds it. */
export async function lockState(path: string, what: string): Promise<StateLock> {
  await mkdir(dirname(path), { recursive: true });
  let tookOver = false;
  for (;;) {
    try {
      const file = await open(path, 'wx', 0o644);
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      return { path, tookOver, release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isRunning(owner)) {
      throw new UidError('UID_ERR_STATE_LOCKED',
        `${what} ${dirname(path)} is in use by process ${owner} (another uid-listener on the same config?): ` +
        `stop it, or give this one its own mappings.snapshot.path and accounting.spool; remove ${path} if that process is not a uid-listener`);
    }
    // Stale: its process is gone. Remove it only if it still names that process, so two
    // listeners taking over at once cannot delete each other's fresh lock.
    if (Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10) === owner || Number.isNaN(owner)) {
      await rm(path, { force: true });
    }
    tookOver = true;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}
