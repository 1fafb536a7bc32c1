/**
 * The lookup thread's request metrics, kept where the main thread can read them without
 * asking: a SharedArrayBuffer the thread alone writes and /metrics reads (../metrics.ts
 * adds them to `uid_http_request_duration_seconds` and `uid_http_auth_failures_total`).
 * The thread answers a fixed set of label sets (its routes × methods × statuses), so each
 * has a fixed place. A sequence number around each write (a seqlock: odd while writing)
 * lets the reader retry instead of seeing half an update; the writer never waits.
 *
 * Layout: Int32 [0] sequence, then Float64 from byte 8: [0] auth failures, then per label set
 * the non-cumulative count of each latency bucket, then +Inf's, the count and the sum of seconds.
 */
import { FORWARD_AUTH_METHODS } from '../forward-auth-answers.js';

/** Upper bounds (seconds) of the request latency histogram, on both threads. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The lookup thread's (route pattern, method) pairs, route named as fastify names it. */
const ROUTE_METHODS: readonly (readonly [string, string])[] = [
  ['/v1/mappings/:ip', 'GET'],
  ['/v1/lookup', 'POST'],
  ...FORWARD_AUTH_METHODS.map((m) => ['/v1/auth', m] as const),
  ...FORWARD_AUTH_METHODS.map((m) => ['/v1/auth/*', m] as const),
];
const STATUSES = [200, 400, 401, 404, 500];
/** Buckets, +Inf, count, sum. */
const SERIES_LENGTH = LATENCY_BUCKETS.length + 3;
const VALUES_OFFSET = 8;
const VALUES = 1 + ROUTE_METHODS.length * STATUSES.length * SERIES_LENGTH;

export interface LookupSeries {
  readonly route: string;
  readonly method: string;
  readonly status: number;
  /** Per bucket of LATENCY_BUCKETS, then +Inf; not cumulative. */
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export interface LookupMetrics {
  readonly authFailures: number;
  /** Only the label sets seen at least once. */
  readonly series: readonly LookupSeries[];
}

export function lookupMetricsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(VALUES_OFFSET + VALUES * 8);
}

/** The index of a (route pattern, method) pair the lookup thread answers, for LookupMetricsWriter.observe. */
export function lookupRouteIndex(route: string, method: string): number {
  const index = ROUTE_METHODS.findIndex(([r, m]) => r === route && m === method);
  if (index === -1) throw new RangeError(`the lookup thread does not answer ${method} ${route}`);
  return index;
}

/** The lookup thread's side; one writer only. */
export class LookupMetricsWriter {
  readonly #sequence: Int32Array;
  readonly #values: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#sequence = new Int32Array(buffer, 0, 1);
    this.#values = new Float64Array(buffer, VALUES_OFFSET, VALUES);
  }

  observe(routeIndex: number, status: number, seconds: number): void {
    const statusIndex = STATUSES.indexOf(status);
    // A status the table of label sets does not foresee is not measured rather than mislabelled.
    if (statusIndex === -1) return;
    const base = 1 + (routeIndex * STATUSES.length + statusIndex) * SERIES_LENGTH;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
    const values = this.#values;
    Atomics.add(this.#sequence, 0, 1);
    values[base + bucket]! += 1;
    values[base + SERIES_LENGTH - 2]! += 1;
    values[base + SERIES_LENGTH - 1]! += seconds;
    Atomics.add(this.#sequence, 0, 1);
  }

  authFailure(): void {
    Atomics.add(this.#sequence, 0, 1);
    this.#values[0]! += 1;
    Atomics.add(this.#sequence, 0, 1);
  }
}

/** Attempts before taking a copy taken during a write (only a writer stopped mid-write makes them run out). */
const READ_ATTEMPTS = 1000;

/** The main thread's side: a consistent copy of everything the lookup thread counted. */
export function readLookupMetrics(buffer: SharedArrayBuffer): LookupMetrics {
  const sequence = new Int32Array(buffer, 0, 1);
  const values = new Float64Array(buffer, VALUES_OFFSET, VALUES);
  let copy = values.slice();
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const before = Atomics.load(sequence, 0);
    if ((before & 1) === 1) continue;
    copy = values.slice();
    if (Atomics.load(sequence, 0) === before) break;
  }
  const series: LookupSeries[] = [];
  for (let r = 0; r < ROUTE_METHODS.length; r++) {
    for (let s = 0; s < STATUSES.length; s++) {
      const base = 1 + (r * STATUSES.length + s) * SERIES_LENGTH;
      const count = copy[base + SERIES_LENGTH - 2]!;
      if (count === 0) continue;
      const [route, method] = ROUTE_METHODS[r]!;
      series.push({ route, method, status: STATUSES[s]!, buckets: Array.from(copy.subarray(base, base + LATENCY_BUCKETS.length + 1)), count, sum: copy[base + SERIES_LENGTH - 1]! });
    }
  }
  return { authFailures: copy[0]!, series };
}
