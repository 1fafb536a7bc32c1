import { describe, expect, it } from 'vitest';
import { decodeLeef } from '../../src/syslog/leef.js';

const ESM = 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\tdst=10.1.2.3';

describe('LEEF 1.0', () => {
  it('decodes the header and tab-delimited attributes', () => {
    expect(decodeLeef(ESM)).toEqual({
      version: '1.0', vendor: 'Palo Alto Networks', product: 'Traps Agent', productVersion: '4.2',
      eventId: 'Service is alive', delimiter: '\t', attributes: new Map([['duser', 'jdoe'], ['dst', '10.1.2.3']]), problems: [],
    });
  });

  it("tolerates rsyslog's #011 for a tab, a leading space, a syslog header and CR LF", () => {
    const relayed = '<14>Jan 18 11:07:53 esm  LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe#011dst=10.1.2.3\r\n';
    const leef = decodeLeef(Buffer.from(relayed));
    expect(leef?.attributes).toEqual(new Map([['duser', 'jdoe'], ['dst', '10.1.2.3']]));
    expect(leef?.problems).toEqual([]);
  });

  it('keeps = inside a value and an escaped pipe in a header field', () => {
    const leef = decodeLeef('LEEF:1.0|Ven\\|dor|P|1|E|url=http://x/?a=b\tk=v');
    expect(leef?.vendor).toBe('Ven|dor');
    expect(leef?.attributes.get('url')).toBe('http://x/?a=b');
  });

  it('appends a segment without key to the previous value and says so', () => {
    const leef = decodeLeef('LEEF:1.0|V|P|1|E|msg=a\tb\tk=v');
    expect(leef?.attributes.get('msg')).toBe('a\tb');
    expect(leef?.problems).toEqual(['attribute-without-key']);
  });

  it('reports a truncated header and returns undefined for non-LEEF', () => {
    expect(decodeLeef('LEEF:1.0|V|P')).toMatchObject({ vendor: 'V', product: 'P', problems: ['header-truncated'] });
    expect(decodeLeef('<13>Jan 18 11:07:53 host su: hello')).toBeUndefined();
  });
});

describe('LEEF 2.0 delimiters', () => {
  const attrs = new Map([['src', '10.0.1.8'], ['dst', '10.0.0.5'], ['sev', '5']]);

  it('takes a single character', () => {
    const leef = decodeLeef('LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5');
    expect(leef).toMatchObject({ version: '2.0', eventId: '41', delimiter: '^', problems: [] });
    expect(leef?.attributes).toEqual(attrs);
  });

  it('takes the hex forms x09 and 0x5E', () => {
    expect(decodeLeef('LEEF:2.0|V|P|1|41|x09|src=10.0.1.8\tdst=10.0.0.5\tsev=5')?.attributes).toEqual(attrs);
    const caret = decodeLeef('LEEF:2.0|V|P|1|41|0x5E|src=10.0.1.8^dst=10.0.0.5^sev=5');
    expect(caret?.delimiter).toBe('^');
    expect(caret?.attributes).toEqual(attrs);
  });

  it('falls back to tab when the delimiter field is empty or absent', () => {
    expect(decodeLeef('LEEF:2.0|V|P|1|41||src=10.0.1.8\tdst=10.0.0.5\tsev=5')?.attributes).toEqual(attrs);
    expect(decodeLeef('LEEF:2.0|V|P|1|41|src=10.0.1.8\tdst=10.0.0.5\tsev=5')?.attributes).toEqual(attrs);
  });

  it('reads #011 with a declared tab delimiter and CR LF', () => {
    expect(decodeLeef('LEEF:2.0|V|P|1|41|x09|src=10.0.1.8#011dst=10.0.0.5#011sev=5\r\n')?.attributes).toEqual(attrs);
  });

  it('flags an unknown version but still decodes', () => {
    const leef = decodeLeef('LEEF:3.0|V|P|1|E|a=b');
    expect(leef?.problems).toEqual(['version-unknown']);
    expect(leef?.attributes.get('a')).toBe('b');
  });
});
