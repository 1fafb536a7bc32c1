import { describe, expect, it } from 'vitest';
import { decodeHeader } from '../../src/syslog/header.js';

const now = new Date(2024, 5, 15, 12, 0, 0); // 15 June 2024, local time

describe('RFC 5424 headers (§6)', () => {
  it('decodes every field, structured data with escapes, and a BOM before MSG', () => {
    const h = decodeHeader(Buffer.concat([
      Buffer.from('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 1234 ID47 '
        + '[exampleSDID@32473 iut="3" eventSource="App\\"lication" eventID="1011"][examplePriority@32473 class="high\\]"] '),
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('An application event\r\n'),
    ]));
    expect(h).toMatchObject({
      format: 'rfc5424', priority: 165, facility: 20, severity: 5, version: 1,
      timestamp: '2003-10-11T22:14:15.003Z', hostname: 'mymachine.example.com', appName: 'evntslog',
      procId: '1234', msgId: 'ID47', msg: 'An application event', bom: true, problems: [],
    });
    expect(h.time?.toISOString()).toBe('2003-10-11T22:14:15.003Z');
    expect(h.structuredData).toEqual([
      { id: 'exampleSDID@32473', params: [['iut', '3'], ['eventSource', 'App"lication'], ['eventID', '1011']] },
      { id: 'examplePriority@32473', params: [['class', 'high]']] },
    ]);
  });

  it('reads NILVALUEs as absent and a message without MSG', () => {
    const h = decodeHeader('<34>1 - - - - - -');
    expect(h).toMatchObject({ format: 'rfc5424', timestamp: undefined, hostname: undefined, appName: undefined, msg: '', problems: [] });
  });

  it('keeps what it could decode of a truncated header and says so', () => {
    const h = decodeHeader('<34>1 2003-10-11T22:14:15Z host');
    expect(h).toMatchObject({ format: 'rfc5424', hostname: 'host', appName: undefined });
    expect(h.problems).toContain('header-truncated');
  });

  it('keeps the rest as MSG when structured data is broken', () => {
    const h = decodeHeader('<34>1 2003-10-11T22:14:15Z host app - - [id a="unterminated');
    expect(h.problems).toEqual(['structured-data-invalid']);
    expect(h.msg).toBe('[id a="unterminated');
  });

  it('flags a timestamp that is not RFC 3339', () => {
    expect(decodeHeader('<34>1 yesterday host app - - - hi').problems).toEqual(['timestamp-invalid']);
  });
});

describe('RFC 3164 headers (§4.1)', () => {
  it('decodes PRI, TIMESTAMP, HOSTNAME, TAG[pid] and CONTENT', () => {
    const h = decodeHeader('<34>Oct 11 22:14:15 mymachine su[230]: \'su root\' failed for lonvick on /dev/pts/8', now);
    expect(h).toMatchObject({
      format: 'rfc3164', priority: 34, facility: 4, severity: 2, timestamp: 'Oct 11 22:14:15',
      hostname: 'mymachine', appName: 'su', procId: '230', msg: "'su root' failed for lonvick on /dev/pts/8", problems: [],
    });
    expect(h.time).toEqual(new Date(2023, 9, 11, 22, 14, 15)); // October is after June: last year
  });

  it('takes this year for a date not ahead of now, with a space-padded day', () => {
    expect(decodeHeader('<13>Jun  5 10:00:00 host app: x', now).time).toEqual(new Date(2024, 5, 5, 10, 0, 0));
  });

  it('decodes a LEEF message behind a header without taking LEEF for a TAG', () => {
    const h = decodeHeader('<13>Jan 18 11:07:53 192.168.1.1 LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|x|a=b', now);
    expect(h).toMatchObject({ hostname: '192.168.1.1', appName: undefined, msg: 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|x|a=b' });
  });

  it('notices a missing HOSTNAME when a TAG follows the timestamp', () => {
    const h = decodeHeader('<13>Jan 18 11:07:53 sshd[42]: Accepted password', now);
    expect(h).toMatchObject({ hostname: undefined, appName: 'sshd', procId: '42', msg: 'Accepted password' });
    expect(h.problems).toEqual(['hostname-missing']);
  });

  it("accepts rsyslog's RFC 3339 timestamp in the 3164 layout", () => {
    const h = decodeHeader('<13>2024-01-18T11:07:53.520+01:00 host app: hi', now);
    expect(h).toMatchObject({ hostname: 'host', appName: 'app', msg: 'hi', problems: [] });
    expect(h.time?.toISOString()).toBe('2024-01-18T10:07:53.520Z');
  });

  it('decodes as far as it can without PRI or timestamp', () => {
    const h = decodeHeader('just text');
    expect(h).toMatchObject({ format: 'rfc3164', priority: undefined, msg: 'just text' });
    expect(h.problems).toEqual(['pri-missing', 'timestamp-missing']);
  });

  it('flags a bad PRI, invalid UTF-8 and NUL bytes without throwing', () => {
    expect(decodeHeader('<999>Oct 11 22:14:15 h a: x').problems).toContain('pri-invalid');
    expect(decodeHeader('<abc').problems).toContain('pri-invalid');
    const h = decodeHeader(Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0xff, 0xfe, 0x00, 0x41]));
    expect(h.problems).toEqual(expect.arrayContaining(['invalid-utf8', 'nul-bytes']));
  });

  it('never throws on arbitrary input', () => {
    for (const text of ['', '<', '<>', '<1>', '<1>1', '<1>1 ', '<1>1 - - - - - [', '<1>1 - - - - - [a b="', 'Jan', 'Feb 30 10:00:00 h x']) {
      expect(() => decodeHeader(text), text).not.toThrow();
    }
    expect(decodeHeader('Feb 30 10:00:00 h x').problems).toContain('timestamp-invalid');
  });
});
