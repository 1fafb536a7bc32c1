/**
 * Once per test run: the test PKIs (made by certs/make-certs.sh) in one temp folder that
 * every worker reads (`testPki()`), removed when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pkiDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'uid-test-pki-'));
  const script = fileURLToPath(new URL('../../certs/make-certs.sh', import.meta.url));
  for (const label of ['trusted', 'other']) execFileSync('bash', [script, join(dir, label)], { stdio: 'pipe' });
  project.provide('pkiDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
