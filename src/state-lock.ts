/**
 * One listener per state folder. Two listeners started on one config would restore the
 * same snapshot and send each other's spooled records; so before either is touched, each
 * state path gets a lock file holding the owner's pid, created exclusively. A lock whose
 * pid is no longer a running process (a crash, a power cut) is stale and taken over.
 *
 * A folder that cannot be written at all (a file in its place, a full disk, no permission)
 * is not locked: the listener starts anyway, because ingestion must go on when the disk
 * fails (issue 7), and no other listener can use that folder either. The caller logs it.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UidError } from './errors.js';

export interface StateLock {
  readonly path: string;
  /** Why the lock could not be taken when the folder cannot be written; then nothing is held. */
  readonly unwritable?: Error;
  /** Whether a stale lock (its process gone) was taken over. */
  readonly tookOver: boolean;
  release(): Promise<void>;
}

/** Takes the lock file at `path`; throws UID_ERR_STATE_LOCKED when a live process holds it. */
export async function lockState(path: string, what: string): Promise<StateLock> {
  let tookOver = false;
  const unwritable = (error: unknown): StateLock => ({ path, tookOver, unwritable: error as Error, release: async () => undefined });
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    return unwritable(error);
  }
  for (;;) {
    try {
      await writeLockFile(path);
      return { path, tookOver, release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return unwritable(error);
    }
    const owner = await readOwner(path);
    if (Number.isInteger(owner) && owner !== process.pid && isRunning(owner)) {
      throw new UidError('UID_ERR_STATE_LOCKED',
        `${what} ${dirname(path)} is in use by process ${owner} (another uid-listener on the same config?): ` +
        `stop it, or give this one its own mappings.snapshot.path and accounting.spool; remove ${path} if that process is not a uid-listener`);
    }
    // Stale: its process is gone. Remove it only if it still names that process, so two
    // listeners taking over at once cannot delete each other's fresh lock.
    if ((await readOwner(path)) === owner || Number.isNaN(owner)) {
      await rm(path, { force: true });
    }
    tookOver = true;
  }
}

/** The pid a lock file names; NaN when it names none (cut short, or gone meanwhile). */
async function readOwner(path: string): Promise<number> {
  return Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
}

/** Creates the lock file exclusively with this pid; a file cut short by a write error is removed. */
async function writeLockFile(path: string): Promise<void> {
  const file = await open(path, 'wx', 0o644);
  try {
    await file.writeFile(`${process.pid}\n`);
  } catch (error) {
    await rm(path, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    await file.close();
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
