/** The HTTP API's connection timeouts, the same on whichever thread owns the public socket. */

/** A slow or stalled client may take this long to send its request, then it is cut off. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this (fastify's default). */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;
