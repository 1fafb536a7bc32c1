import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { configWarnings } from '../../src/config/warnings.js';
import { validate, YamlSource } from '../../src/config/yaml-source.js';

/** The warnings of a config text, as `line:col message`. */
function warnings(yaml: string): string[] {
  const { source, issues } = YamlSource.parse('c.yaml', yaml);
  expect(issues).toEqual([]);
  const { value, issues: schema } = validate(source, ConfigSchema, source.toValue());
  expect(schema).toEqual([]);
  return configWarnings(source, value).map((i) => `${i.line}:${i.col} ${i.message}`);
}

describe('configWarnings', () => {
  it('says nothing of a sound config', () => {
    expect(warnings(`
senders:
  - { name: esm, address: 10.0.0.5, transports: [tls] }
  - { name: lab, address: 10.0.0.0/8, transports: [udp] }
  - { name: v6, address: '2001:db8::/32' }
mappings: { ignoreUsers: ['svc_*', '*$'] }
http: { host: 0.0.0.0, tokens: [t] }
`)).toEqual([]);
  });

  it('warns of a sender network with host bits set, naming the network it means', () => {
    expect(warnings(`senders:\n  - { name: a, address: 10.0.0.5/8 }\n  - { name: b, address: '2001:db8::1/32' }\n`)).toEqual([
      '2:25 senders[0].address "10.0.0.5/8" has host bits set: it means 10.0.0.0/8; write that, or 10.0.0.5 alone for the one host',
      '3:25 senders[1].address "2001:db8::1/32" has host bits set: it means 2001:db8::/32; write that, or 2001:db8::1 alone for the one host',
    ]);
  });

  it('warns of a sender shadowed by an earlier one, wholly or over some transports', () => {
    expect(warnings(`
senders:
  - { name: lab, address: 10.0.0.0/8, transports: [udp, tls] }
  - { name: esm, address: 10.0.0.5, transports: [tls], tlsFingerprints: ['${'a'.repeat(64)}'] }
  - { name: nac, address: 10.1.0.0/16, transports: [udp, tcp] }
  - { name: other, address: 192.0.2.0/24 }
`)).toEqual([
      '4:27 sender "esm" is never used: senders[0] "lab" comes first and covers 10.0.0.5 over tls; put the more specific sender first',
      '5:27 sender "nac" gets nothing over udp: senders[0] "lab" comes first and covers 10.1.0.0/16 over udp; put the more specific sender first',
    ]);
  });

  it('warns of an ignoreUsers glob that matches every user', () => {
    expect(warnings(`mappings: { ignoreUsers: [svc_x, '*'] }\n`)).toEqual([
      '1:34 mappings.ignoreUsers[1] "*" matches every user: no mapping will ever be made',
    ]);
  });

  it('warns of an anonymous HTTP API off loopback, not of one on loopback or with tokens', () => {
    expect(warnings(`http: { host: 0.0.0.0, allowAnonymous: true }\n`)).toEqual([
      expect.stringMatching(/^1:15 http\.host 0\.0\.0\.0 is reachable from other machines and no bearer token is set/),
    ]);
    expect(warnings(`http: { host: 127.0.0.1, allowAnonymous: true }\n`)).toEqual([]);
    expect(warnings(`http: { host: '::', tokensFile: /etc/t }\n`)).toEqual([]);
    expect(warnings(`http: { enabled: false, host: 0.0.0.0, allowAnonymous: true }\n`)).toEqual([]);
  });
});
