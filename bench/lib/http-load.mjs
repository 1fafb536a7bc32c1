/**
 * The HTTP load generator for fixed request rates (bench/http-load.c): built once into
 * bench/out, then run per measurement. It is C because an open-loop client in Node can
 * keep a 100 µs schedule only by spinning, which takes a whole core of a 2-core machine
 * away from the server it measures.
 */
import { compileTool } from './compile.mjs';
import { run } from './proc.mjs';

/** Compiles the client when missing or older than its source; returns its path. */
export const buildHttpLoad = (outDir) => compileTool(outDir, 'http-load');

/**
 * Runs `rate` requests/s (0: closed loop) for `seconds` over `connections` to 127.0.0.1:port;
 * `route` 'mappings' (GET /v1/mappings/{ip}, the default) or 'auth' (GET /v1/auth, the
 * address in X-Real-IP); resolves {requests, seconds, p50, p90, p99, p999, max, errors,
 * non2xx} (latencies in µs).
 */
export async function httpLoad(binary, { port, rate, seconds, connections, addresses, token, route = 'mappings' }) {
  const out = await run(binary, [port, rate, seconds, connections, addresses, token ?? '', route].map(String));
  return JSON.parse(out.trim().split('\n').pop());
}
