import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SenderConfig } from '../../src/config/schema.js';
import { SenderTable, senderProblems } from '../../src/syslog/senders.js';

const sender = (name: string, address: string, transports: SenderConfig['transports'] = ['udp', 'tcp', 'tls'], extra: Partial<SenderConfig> = {}): SenderConfig =>
  ({ name, address, transports, ...extra });

describe('SenderTable', () => {
  const esm = sender('esm', '10.0.0.5', ['tls']);
  const lab = sender('lab', '10.0.0.0/8', ['udp', 'tls'], { defaultDomain: 'LAB' });
  const v6 = sender('v6', '2001:db8::/32', ['udp']);
  const table = new SenderTable([esm, lab, v6]);

  it('admits an address inside a sender network over an allowed transport', () => {
    expect(table.lookup('10.9.8.7', 'udp')).toBe(lab);
    expect(table.lookup('2001:db8:1::5', 'udp')).toBe(v6);
    expect(table.lookup('2001:0DB8::1', 'udp')).toBe(v6);
  });

  it('refuses an unknown address or a transport no matching sender allows', () => {
    expect(table.lookup('192.0.2.1', 'udp')).toBeUndefined();
    expect(table.lookup('10.9.8.7', 'tcp')).toBeUndefined();
    expect(table.lookup('2001:db8::1', 'tls')).toBeUndefined();
  });

  it('takes the first sender in config order that matches address and transport', () => {
    expect(table.lookup('10.0.0.5', 'tls')).toBe(esm);
    expect(table.lookup('10.0.0.5', 'udp')).toBe(lab); // esm does not allow udp
    const reversed = new SenderTable([lab, esm]);
    expect(reversed.lookup('10.0.0.5', 'tls')).toBe(lab);
  });

  it('matches an IPv4-mapped IPv6 remote address (a dual-stack socket) against IPv4 senders', () => {
    expect(table.lookup('::ffff:10.1.2.3', 'udp')).toBe(lab);
  });

  it('answers the same from its cache, stays bounded, and admits nothing for a zone index', () => {
    const small = new SenderTable([lab], 4);
    for (let i = 0; i < 50; i++) expect(small.lookup(`10.0.0.${i}`, 'udp')).toBe(lab);
    expect(small.lookup('10.0.0.1', 'udp')).toBe(lab);
    expect(small.lookup('fe80::1%eth0', 'udp')).toBeUndefined();
  });

  it('refuses a bad address or fingerprint with every problem at once', () => {
    expect(() => new SenderTable([sender('a', '10.0.0.300'), sender('b', '10/8'), sender('c', '::1', ['tls'], { tlsFingerprints: ['sha-256:zz'] })]))
      .toThrow(/sender "a".*sender "b".*sender "c"/);
    expect(senderProblems(sender('ok', '10.0.0.0/24'))).toEqual([]);
  });

  it('gives the pins of a sender', () => {
    const pinned = sender('p', '::1', ['tls'], { tlsFingerprints: ['a'.repeat(64)] });
    const t = new SenderTable([pinned]);
    expect(t.pins(pinned)).toEqual([{ algorithm: 'sha256', hex: 'A'.repeat(64) }]);
    expect(t.pins(esm)).toBeUndefined();
  });

  it('suggests YAML that admits an unknown address, and parses as such', () => {
    const { hint, yaml } = table.admissionHint('::ffff:192.0.2.7', 'udp');
    expect(hint).toMatch(/192\.0\.2\.7 is not a configured sender/);
    const doc = parse(yaml!) as { senders: SenderConfig[] };
    expect(doc.senders[0]).toMatchObject({ address: '192.0.2.7', transports: ['udp'] });
    const admitted = new SenderTable(doc.senders);
    expect(admitted.lookup('192.0.2.7', 'udp')).toBeDefined();
  });

  it('suggests adding the transport to a sender that matches the address', () => {
    const { hint, yaml } = table.admissionHint('10.1.1.1', 'tcp');
    expect(hint).toMatch(/sender "lab".*does not allow tcp/);
    const doc = parse(yaml!) as { senders: SenderConfig[] };
    expect(doc.senders[0]).toEqual({ name: 'lab', address: '10.0.0.0/8', transports: ['udp', 'tls', 'tcp'], defaultDomain: 'LAB' });
  });

  describe('never weakens a sender that authenticates its peer', () => {
    const pin = 'a'.repeat(64);
    const pinned = sender('esm', '10.0.0.5', ['tls'], { tlsFingerprints: [pin], profiles: ['traps-esm-leef'] });
    const tlsOnly = sender('nac', '10.0.1.0/24', ['tls']);
    const tcpOnly = sender('vpn', '10.0.2.7', ['tcp']);

    it('says only that a pinned sender does not allow the transport, with no YAML', () => {
      for (const transport of ['udp', 'tcp'] as const) {
        const { hint, yaml } = new SenderTable([pinned]).admissionHint('10.0.0.5', transport);
        expect(hint).toBe(`sender "esm" (10.0.0.5) does not allow ${transport}; the message was dropped`);
        expect(yaml).toBeUndefined();
      }
    });

    it('suggests neither a new sender nor a wider one when a pinned sender covers the address', () => {
      const broad = sender('lab', '10.0.0.0/8', ['udp']); // adding tcp would not weaken lab, but would bypass esm's pin
      for (const senders of [[broad, pinned], [pinned, broad]]) {
        const { hint, yaml } = new SenderTable(senders).admissionHint('10.0.0.5', 'tcp');
        expect(hint).toMatch(/^sender "esm" \(10\.0\.0\.5\) does not allow tcp/);
        expect(yaml).toBeUndefined();
      }
    });

    it('does not add a spoofable transport to a TLS-only or TCP-only sender', () => {
      const t = new SenderTable([tlsOnly, tcpOnly]);
      expect(t.admissionHint('10.0.1.9', 'udp')).toEqual({ hint: 'sender "nac" (10.0.1.0/24) does not allow udp; the message was dropped' });
      expect(t.admissionHint('10.0.1.9', 'tcp').yaml).toBeUndefined();
      expect(t.admissionHint('10.0.2.7', 'udp').yaml).toBeUndefined();
      // a stronger transport than any the sender allows is no weakening
      expect(parse(t.admissionHint('10.0.2.7', 'tls').yaml!)).toEqual({ senders: [{ name: 'vpn', address: '10.0.2.7', transports: ['tcp', 'tls'] }] });
    });
  });

  it('quotes an IPv6 address so the suggestion stays valid YAML', () => {
    const doc = parse(new SenderTable([]).admissionHint('2001:db8::7', 'tls').yaml!) as { senders: SenderConfig[] };
    expect(doc.senders[0]!.address).toBe('2001:db8::7');
  });
});
