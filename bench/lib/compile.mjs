/** The benchmark's C load generators (bench/*.c): compiled into bench/out when missing or older than their source. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './machine.mjs';
import { run } from './proc.mjs';

/** Compiles bench/<name>.c into outDir/<name> unless it is up to date; returns the binary's path. */
export async function compileTool(outDir, name) {
  const source = new URL(`../${name}.c`, import.meta.url).pathname;
  const binary = join(outDir, name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  const cc = which('cc') ?? which('gcc');
  if (!cc) throw new Error(`bench/${name}.c needs a C compiler: apt-get install gcc libc6-dev`);
  await run(cc, ['-O2', '-o', binary, source]);
  return binary;
}
