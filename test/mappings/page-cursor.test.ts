import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/mappings/page-cursor.js';

describe('paging cursors', () => {
  it('round-trip and refuse ones the table could not have issued', () => {
    for (const ip of ['10.1.2.3', '2001:db8::1']) expect(decodeCursor(encodeCursor(ip))).toBe(ip);
    for (const bad of ['', '!!!', encodeCursor('not an ip'), encodeCursor('::ffff:10.1.2.3'), `${encodeCursor('10.1.2.3')}=`]) {
      expect(() => decodeCursor(bad), bad).toThrow(expect.objectContaining({ code: 'UID_ERR_HTTP_BAD_REQUEST' }));
    }
  });
});
