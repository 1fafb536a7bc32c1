/** What the main thread and the lookup thread tell each other (thread.ts ↔ worker.ts). */
import type { TableShare } from '../../mappings/table-reader.js';

/** The thread's `workerData`: everything structured-cloneable. */
export interface LookupThreadSetup {
  readonly host: string;
  readonly port: number;
  /** PEM, read and checked by the main thread (tls.ts). */
  readonly tls?: { readonly cert: Uint8Array; readonly key: Uint8Array };
  readonly tokens: readonly string[];
  readonly trustedProxies: readonly string[];
  /** The main thread's internal socket (internal-socket.ts). */
  readonly upstream: string;
  readonly table: TableShare;
  /** shared-metrics.ts */
  readonly metrics: SharedArrayBuffer;
}

export type ToLookupThread =
  /** Stop accepting connections; those open go on. */
  | { readonly type: 'drain' }
  /** Close every connection and exit. */
  | { readonly type: 'stop' };

export type FromLookupThread =
  | { readonly type: 'listening'; readonly address: string; readonly family: string; readonly port: number }
  | { readonly type: 'listen-failed'; readonly code: string | undefined; readonly message: string }
  | { readonly type: 'drained' }
  /** A request it could not answer: for the main thread's log. */
  | { readonly type: 'error'; readonly message: string; readonly stack: string | undefined };
