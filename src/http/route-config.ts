/** Per-route flags the API's hooks read from `request.routeOptions.config`. */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answers without a bearer token: GET /healthz, and the PAN-OS XML API at /api/ (its key is its credential). */
    public?: boolean;
    /** A long-lived stream: its duration is not a request latency, so it is not measured. */
    stream?: boolean;
  }
}

export {};
