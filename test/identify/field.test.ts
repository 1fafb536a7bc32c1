import { describe, expect, it } from 'vitest';
import { parseDelimiter, skipBlanks, valueEnd } from '../../src/identify/field.js';

function value(message: string, prefix: string, delimiter: string): string {
  const data = Buffer.from(message);
  const start = skipBlanks(data, data.indexOf(prefix) + prefix.length);
  return data.toString('utf8', start, valueEnd(data, start, parseDelimiter(delimiter)));
}

describe('field identifier values', () => {
  it('\\s and a single space end at any whitespace, tab included', () => {
    expect(value('User:jdoe Source:1.2.3.4', 'User:', '\\s')).toBe('jdoe');
    expect(value('User:jdoe\tSource:1.2.3.4', 'User:', '\\s')).toBe('jdoe');
    expect(value('User:jdoe\tSource:1.2.3.4', 'User:', ' ')).toBe('jdoe');
  });

  it('\\n runs to the end of the line, without a CR', () => {
    expect(value('Source:1.2.3.4', 'Source:', '\\n')).toBe('1.2.3.4');
    expect(value('Source:1.2.3.4\r\nnext', 'Source:', '\\n')).toBe('1.2.3.4');
  });

  it('\\t is a tab; other text is literal with \\t \\n \\r \\s \\\\ escapes', () => {
    expect(value('duser=jdoe\tdst=1.2.3.4', 'duser=', '\\t')).toBe('jdoe');
    expect(value('user=jdoe, ip=1.2.3.4', 'user=', ', ')).toBe('jdoe');
    expect(value('user=jdoe,\tip=1.2.3.4', 'user=', ',\\t')).toBe('jdoe');
    expect(value('user=j doe;\\ip', 'user=', ';\\\\')).toBe('j doe');
    expect(value('user=j doe | ip', 'user=', '\\s|')).toBe('j doe');
  });

  it('ends at the end of the message when the delimiter does not follow', () => {
    expect(value('User:jdoe', 'User:', '\\s')).toBe('jdoe');
    expect(value('duser=jdoe', 'duser=', '\\t')).toBe('jdoe');
  });

  it('skips blanks after the prefix and stops at the first delimiter', () => {
    expect(value('User:   jdoe  Source:x', 'User:', '\\s')).toBe('jdoe');
    expect(value('user=a;b;c', 'user=', ';')).toBe('a');
    expect(value('User: ', 'User:', '\\s')).toBe('');
  });
});
