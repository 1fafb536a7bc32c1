/** `GET /v1/accounting`: the equivalent of IOS `show accounting` (DESIGN §3). */

export interface AccountedSession {
  readonly taskId: string;
  readonly user: string;
  readonly ip: string;
  readonly sender: string;
  /** ISO 8601 UTC. */
  readonly started: string;
  readonly elapsedSeconds: number;
}

export type ServerState = 'connected' | 'idle' | 'failed' | 'unknown';

export interface ServerStatus {
  readonly host: string;
  readonly port: number;
  readonly transport: 'tcp' | 'tls';
  readonly state: ServerState;
  /** ISO 8601 UTC of the last failure, and what it was (never a secret). */
  readonly lastErrorAt: string | null;
  readonly lastError: string | null;
}

export interface GroupStatus {
  readonly name: string;
  /** "host:port" of the server records go to now, or null during an outage. */
  readonly currentServer: string | null;
  readonly state: 'up' | 'failing-over' | 'down';
  /** Records waiting in this group's spool. */
  readonly queueDepth: number;
  readonly lastError: string | null;
  readonly servers: readonly ServerStatus[];
}

export interface AccountingStatus {
  readonly mode: 'start-stop' | 'stop-only' | 'none';
  /** Active accounted sessions in all; `sessions` lists the first of them. */
  readonly sessionsTotal: number;
  readonly sessions: readonly AccountedSession[];
  readonly groups: readonly GroupStatus[];
}
