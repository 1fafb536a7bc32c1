/**
 * Every error a user can meet, in one place, each with a stable code (fastify's
 * lib/errors.js habit). Codes are part of the contract: docs/errors.md lists them all
 * (a test checks that), and a retired code is never reused for something else.
 */
export interface ErrorSpec {
  /** What went wrong, in general terms; the thrown error adds the specifics. */
  readonly summary: string;
  /** HTTP status when the error reaches an API client. */
  readonly status?: number;
}

export const ERROR_CODES = {
  // configuration and profiles
  UID_ERR_CONFIG_FILE: { summary: 'a configuration or profile file cannot be read' },
  UID_ERR_CONFIG_YAML: { summary: 'a file is not valid YAML' },
  UID_ERR_CONFIG_KEY: { summary: 'an unknown key (often a typo)' },
  UID_ERR_CONFIG_VALUE: { summary: 'a value of the wrong type or out of range, or a required key missing' },
  UID_ERR_CONFIG_SECRET: { summary: 'a secret cannot be resolved (${ENV} unset or secretFile unreadable)' },
  UID_ERR_CONFIG_REFERENCE: { summary: 'a name refers to nothing, or two things share a name' },
  UID_ERR_CONFIG_RISKY: { summary: 'a config that runs but is probably not what was meant (check warns; --strict refuses it)' },
  UID_ERR_CONFIG_PORT: { summary: 'two TCP listeners (syslog TCP, syslog TLS, HTTP) would bind the same host and port' },
  UID_ERR_PROFILE_REGEX: { summary: 'a profile regex that RE2 refuses (lookaround, backreference, syntax)' },
  UID_ERR_PROFILE_SAMPLE: { summary: "a profile sample does not yield what its 'expect' says" },
  UID_ERR_DRAFT_INPUT: { summary: 'draft-profile was given no sample lines to learn from' },
  // listeners
  UID_ERR_LISTEN: { summary: 'a port cannot be bound' },
  UID_ERR_TLS_MATERIAL: { summary: 'a certificate, key or CA cannot be loaded' },
  UID_ERR_STATE_LOCKED: { summary: 'another running listener uses the same snapshot or spool folder' },
  UID_ERR_HTTP_INSECURE: { summary: 'the HTTP API would listen off loopback without tokens' },
  // HTTP API
  UID_ERR_HTTP_BAD_REQUEST: { summary: 'the request is malformed', status: 400 },
  UID_ERR_HTTP_BAD_IP: { summary: 'not a valid IPv4 or IPv6 host address', status: 400 },
  UID_ERR_HTTP_UNAUTHORIZED: { summary: 'a bearer token is missing or wrong', status: 401 },
  UID_ERR_HTTP_NOT_FOUND: { summary: 'no such mapping or route', status: 404 },
  UID_ERR_HTTP_UNMAPPED: { summary: 'forward auth (/v1/auth): the client address has no mapping', status: 401 },
  UID_ERR_HTTP_INTERNAL: { summary: 'an unexpected server error', status: 500 },
  UID_ERR_HTTP_UPSTREAM: { summary: "the lookup thread could not hand a request to the main thread (the listener is stopping)", status: 502 },
  // Squid helper (answered to Squid as BH message=…)
  UID_ERR_SQUID_REQUEST: { summary: 'a Squid helper request line carries no client address (%SRC first)' },
  UID_ERR_SQUID_LOOKUP: { summary: 'the Squid helper cannot get an answer from the listener (down, timeout, refused)' },
  // PAN-OS XML API (/api/); the PAN-OS error code of each answer is in docs/xml-api.md
  UID_ERR_XML_API_SECRET: { summary: 'the secret XML API keys are derived from cannot be read or made' },
  UID_ERR_XML_API_KEY: { summary: 'an XML API key, user or password is missing or wrong (PAN-OS code 403)', status: 403 },
  UID_ERR_XML_API_REQUEST: { summary: 'an XML API request lacks a parameter or has an illegal value (PAN-OS code 400)', status: 400 },
  UID_ERR_XML_API_TOO_LARGE: { summary: 'an XML API request body is over xmlApi.maxBodyBytes (PAN-OS code 400)', status: 413 },
  UID_ERR_XML_API_MALFORMED: { summary: 'an XML API command is not well-formed, declares a DOCTYPE or entity, or has a bad entry (PAN-OS code 18)' },
  UID_ERR_XML_API_UNSUPPORTED: { summary: 'an XML API command or uid-message element this listener does not implement (PAN-OS code 17)' },
  UID_ERR_HTTP_BUSY: { summary: 'too many event streams or history requests at once; retry later', status: 503 },
  // mapping table
  UID_ERR_SNAPSHOT_CORRUPT: { summary: 'a mapping snapshot cannot be read; it was moved aside' },
  UID_ERR_SNAPSHOT_IO: { summary: 'a mapping snapshot cannot be written' },
  // audit trail
  UID_ERR_AUDIT_IO: { summary: 'the audit trail cannot be written; lines wait in memory (bounded), then are dropped and counted' },
  UID_ERR_STORE_UNAVAILABLE: { summary: 'the shared table (Redis) cannot be reached; events are queued, lookups answer from the local replica, admin deletes are refused', status: 503 },
  UID_ERR_STORE_QUEUE_FULL: { summary: 'the queue of events waiting for the shared table is full; new events are dropped until Redis is back' },
  UID_ERR_STORE_REPLICA_DROPPED: { summary: "the local replica left out mappings of the shared table: Redis holds more than this listener's mappings.maxEntries (another listener is configured larger); lookups here miss those addresses" },
  UID_ERR_STORE_QUEUE_IO: { summary: 'the file of events waiting for the shared table cannot be written; they wait in memory only (lost if the listener stops)' },
  // accounting
  UID_ERR_TACACS_FIELD: { summary: 'a TACACS+ field is longer than 255 octets' },
  UID_ERR_TACACS_CONNECT: { summary: 'a TACACS+ server cannot be reached' },
  UID_ERR_TACACS_TIMEOUT: { summary: 'a TACACS+ server did not reply in time' },
  UID_ERR_TACACS_DECODE: { summary: 'a TACACS+ reply did not decode: shared secret mismatch?' },
  UID_ERR_TACACS_STATUS: { summary: 'a TACACS+ server answered ERROR or FOLLOW' },
  UID_ERR_TACACS_CLOSED: { summary: 'a TACACS+ connection closed with requests in flight' },
  UID_ERR_TACACS_UNAVAILABLE: { summary: 'no server of a TACACS+ accounting group answered; the record waits in the spool' },
  UID_ERR_SPOOL_IO: { summary: 'the accounting spool cannot be written' },
  UID_ERR_SPOOL_CORRUPT: { summary: 'a spool record failed its checksum and was skipped' },
  UID_ERR_SPOOL_FULL: { summary: 'the accounting spool reached its size cap' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class UidError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UidError';
    this.code = code;
    const spec: ErrorSpec = ERROR_CODES[code];
    this.statusCode = spec.status;
  }
}

/** An error as plain fields, its message and string code: what log lines and the UDP workers' IPC (JSON) carry. */
export interface ErrorFields {
  readonly message: string;
  readonly code?: string;
}

export function errorFields(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { message: error.message, code } : { message: error.message };
}

/** A configuration problem with its place in a file, printed as `file:line:col message`. */
export interface ConfigIssue {
  readonly code: ErrorCode;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.col} ${issue.message}`;
}

/** All the problems of a configuration at once, so an admin fixes them in one pass. */
export class ConfigError extends UidError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0];
    super(first?.code ?? 'UID_ERR_CONFIG_VALUE', issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
