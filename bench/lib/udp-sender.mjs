/** The C load generator (bench/udp-sender.c): built once into bench/out, then run per measurement. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './machine.mjs';
import { run } from './proc.mjs';

const SOURCE = new URL('../udp-sender.c', import.meta.url).pathname;

/** Compiles the sender when missing or older than its source; returns its path. */
export async function buildSender(outDir) {
  const binary = join(outDir, 'udp-sender');
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(SOURCE).mtimeMs) return binary;
  const cc = which('cc') ?? which('gcc');
  if (!cc) throw new Error('the UDP sender needs a C compiler: apt-get install gcc libc6-dev');
  await run(cc, ['-O2', '-o', binary, SOURCE]);
  return binary;
}

/** Sends the lines of `file` to 127.0.0.1:port at `rate`/s (0: as fast as it can) for `seconds`; resolves {sent, seconds, rate}. */
export async function sendUdp(binary, port, rate, seconds, file) {
  const out = await run(binary, ['127.0.0.1', String(port), String(rate), String(seconds), file]);
  return JSON.parse(out.trim().split('\n').pop());
}
