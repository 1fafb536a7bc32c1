/**
 * The files of an audit trail, newest first: `<path>` (being written), then `<path>.1`,
 * `<path>.2`, … `<path>.<keep>` (rotated, oldest last), as logrotate numbers them. Rotating
 * drops `<path>.<keep>`, renames each `<path>.N` to `<path>.N+1` and `<path>` to `<path>.1`.
 */
import { rename, rm } from 'node:fs/promises';

export function auditFiles(path: string, keep: number): string[] {
  return [path, ...Array.from({ length: keep }, (_, i) => `${path}.${i + 1}`)];
}

/** Shifts the files by one; the caller then opens a fresh `<path>`. */
export async function rotateAuditFiles(path: string, keep: number): Promise<void> {
  const files = auditFiles(path, keep);
  await rm(files[files.length - 1]!, { force: true });
  for (let i = files.length - 2; i >= 0; i--) {
    try {
      await rename(files[i]!, files[i + 1]!);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
