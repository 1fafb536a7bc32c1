/**
 * The one place that decides whether a failed send may succeed if tried again, on another
 * server or later (STYLE §6, Vector's `is_retriable_error`). Server groups fail over on a
 * retriable error; the dispatcher keeps a record and retries it on one. A record that
 * failed with a non-retriable error can never be sent as it is (a field too long, a bug)
 * and retrying it would only block the records queued behind it.
 */
import { UidError, type ErrorCode } from '../errors.js';

const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UID_ERR_TACACS_CONNECT', // refused, unreachable, TLS handshake failed
  'UID_ERR_TACACS_TIMEOUT', // connect or reply timeout
  'UID_ERR_TACACS_DECODE', // wrong shared secret or a broken reply: RFC 8907 §4.5 says treat as ERROR
  'UID_ERR_TACACS_STATUS', // ERROR / FOLLOW: §4.4 "behave as if the server could not be connected to"
  'UID_ERR_TACACS_CLOSED', // the connection went away with the request in flight
  'UID_ERR_TACACS_UNAVAILABLE', // no server of the group answered: keep the record, try later
]);

export function isRetriable(error: unknown): boolean {
  return error instanceof UidError && RETRIABLE.has(error.code);
}
