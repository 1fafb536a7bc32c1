/** Squid's helper line protocol (squid.conf external_acl_type, Squid 5): requests parsed, answers written. */
import { describe, expect, it } from 'vitest';
import { formatAnswer, parseRequest, quoteValue } from '../../src/squid/protocol.js';

describe('parseRequest', () => {
  it('takes the address first and ignores what Squid appends (%DATA is "-" when empty)', () => {
    expect(parseRequest('10.1.2.3 -')).toEqual({ address: '10.1.2.3' });
    expect(parseRequest('10.1.2.3')).toEqual({ address: '10.1.2.3' });
    expect(parseRequest('10.1.2.3 GET http%3A%2F%2Fexample.com%2F -')).toEqual({ address: '10.1.2.3' });
    expect(parseRequest('2001:db8::1 -')).toEqual({ address: '2001:db8::1' });
  });

  it('reads a leading channel-ID, whatever its size (Squid 5 sends growing request numbers)', () => {
    expect(parseRequest('0 10.1.2.3 -')).toEqual({ channel: '0', address: '10.1.2.3' });
    expect(parseRequest('1234567 ::1 -')).toEqual({ channel: '1234567', address: '::1' });
  });

  it('URL-unescapes the value, as Squid escapes each one', () => {
    expect(parseRequest('3 2001%3Adb8%3A%3A1 -')).toEqual({ channel: '3', address: '2001:db8::1' });
  });

  it('names the problem of a line without an address, keeping its channel-ID for the answer', () => {
    expect(parseRequest('')).toMatchObject({ problem: expect.stringContaining('UID_ERR_SQUID_REQUEST') });
    expect(parseRequest('- -')).toMatchObject({ problem: expect.stringContaining('%SRC') });
    expect(parseRequest('17')).toMatchObject({ channel: '17', problem: expect.stringContaining('no client address') });
    expect(parseRequest('4 %zz -')).toMatchObject({ channel: '4', problem: expect.stringContaining('not URL-escaped') });
    // Longer than any address: refused here, as the API would refuse the whole bulk request for it.
    expect(parseRequest(`5 ${'a'.repeat(65)} -`)).toMatchObject({ channel: '5', problem: expect.stringContaining('is not an IP address') });
  });
});

describe('answers', () => {
  it('quotes values, escaping " and \\ (and CR, LF) as squid.conf asks', () => {
    expect(quoteValue('ACME\\alice')).toBe('"ACME\\\\alice"');
    expect(quoteValue('J. "Bob" Smith')).toBe('"J. \\"Bob\\" Smith"');
    expect(quoteValue('a\r\nb')).toBe('"a\\r\\nb"');
  });

  it('writes OK user=, ERR and BH message= with or without a channel-ID', () => {
    expect(formatAnswer(undefined, { result: 'OK', user: 'ACME\\alice' })).toBe('OK user="ACME\\\\alice"\n');
    expect(formatAnswer('42', { result: 'OK', user: 'bob@acme.com' })).toBe('42 OK user="bob@acme.com"\n');
    expect(formatAnswer(undefined, { result: 'ERR' })).toBe('ERR\n');
    expect(formatAnswer('7', { result: 'BH', message: 'listener down' })).toBe('7 BH message="listener down"\n');
  });
});
