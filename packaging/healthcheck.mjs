#!/usr/bin/env node
// The container's HEALTHCHECK: exit 0 when GET /healthz answers 200, 1 otherwise (no curl
// in the node slim image). /healthz needs no token (docs/http-api.md). The URL comes from
// the first argument or UID_LISTENER_HEALTH_URL; default http://127.0.0.1:8080/healthz.
const url = process.argv[2] ?? process.env.UID_LISTENER_HEALTH_URL ?? 'http://127.0.0.1:8080/healthz';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exitCode = response.status === 200 ? 0 : 1;
  if (response.status !== 200) console.error(`${url}: HTTP ${response.status} ${await response.text()}`);
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
