/** What the UDP worker pool reports besides the workers' own syslog events (rare; logged by src/observability). */
export type UdpWorkersEvent =
  /** A worker exited without being asked to; another one starts after `restartInMs`. */
  | { readonly type: 'udp-worker-exited'; readonly worker: number; readonly code: number | null; readonly signal: string | null; readonly restartInMs: number }
  /** Every running worker has taken the configuration of a reload. */
  | { readonly type: 'udp-workers-reloaded'; readonly workers: number }
  /** A worker did not stop within the stop deadline and was killed. */
  | { readonly type: 'udp-worker-killed'; readonly worker: number };

export type UdpWorkersEventHandler = (event: UdpWorkersEvent) => void;
