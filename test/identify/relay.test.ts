import { describe, expect, it } from 'vitest';
import { undoRelay } from '../../src/identify/relay.js';

const undo = (text: string) => undoRelay(Buffer.from(text)).toString();

describe('undoRelay', () => {
  it('returns the very same buffer when there is nothing to undo', () => {
    const data = Buffer.from('LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\tdst=10.1.2.3');
    expect(undoRelay(data)).toBe(data);
  });

  it("turns rsyslog's #011 back into tabs", () => {
    expect(undo('LEEF:1.0|V|P|1|E|duser=jdoe#011dst=10.1.2.3#011sev=1')).toBe('LEEF:1.0|V|P|1|E|duser=jdoe\tdst=10.1.2.3\tsev=1');
  });

  it('leaves #011 alone in a message that has real tabs (it was not escaped)', () => {
    expect(undo('ticket #011\tuser=jdoe')).toBe('ticket #011\tuser=jdoe');
  });

  it('drops a leading space or tab, and trailing CR, LF, #015 and #012', () => {
    expect(undo(' LEEF:1.0|V|P|1|E|a=b')).toBe('LEEF:1.0|V|P|1|E|a=b');
    expect(undo('\t LEEF:1.0|V|P|1|E|a=b\r\n')).toBe('LEEF:1.0|V|P|1|E|a=b');
    expect(undo('User-Name=jdoe,#015')).toBe('User-Name=jdoe,');
    expect(undo('a=b#015#012')).toBe('a=b');
    expect(undo(' duser=jdoe#011dst=10.1.2.3#015')).toBe('duser=jdoe\tdst=10.1.2.3');
  });

  it('copes with degenerate input', () => {
    for (const text of ['', ' ', '\r\n', '#011', '#01', '#015', '   #011  ', '#0#011#']) {
      expect(() => undo(text)).not.toThrow();
    }
    expect(undo('#011')).toBe('\t');
    expect(undo('\r\n')).toBe('');
  });
});
