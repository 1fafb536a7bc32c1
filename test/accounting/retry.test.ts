import { describe, expect, it } from 'vitest';
import { isRetriable } from '../../src/accounting/retry.js';
import { UidError, type ErrorCode } from '../../src/errors.js';

describe('isRetriable', () => {
  it.each<ErrorCode>([
    'UID_ERR_TACACS_CONNECT',
    'UID_ERR_TACACS_TIMEOUT',
    'UID_ERR_TACACS_DECODE',
    'UID_ERR_TACACS_STATUS',
    'UID_ERR_TACACS_CLOSED',
    'UID_ERR_TACACS_UNAVAILABLE',
  ])('retries %s: another server or a later try may succeed', (code) => {
    expect(isRetriable(new UidError(code, 'x'))).toBe(true);
  });

  it('does not retry what can never be sent, nor errors it does not know', () => {
    expect(isRetriable(new UidError('UID_ERR_TACACS_FIELD', 'x'))).toBe(false);
    expect(isRetriable(new UidError('UID_ERR_TLS_MATERIAL', 'x'))).toBe(false);
    expect(isRetriable(new TypeError('bug'))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
  });
});
