/** The C load generator (bench/udp-sender.c): built once into bench/out, then run per measurement. */
import { compileTool } from './compile.mjs';
import { run } from './proc.mjs';

/** Compiles the sender when missing or older than its source; returns its path. */
export const buildSender = (outDir) => compileTool(outDir, 'udp-sender');

/** Sends the lines of `file` to 127.0.0.1:port at `rate`/s (0: as fast as it can) for `seconds`; resolves {sent, seconds, rate}. */
export async function sendUdp(binary, port, rate, seconds, file) {
  const out = await run(binary, ['127.0.0.1', String(port), String(rate), String(seconds), file]);
  return JSON.parse(out.trim().split('\n').pop());
}
