import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/checks.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { validate, YamlSource } from '../../src/config/yaml-source.js';

/** The semantic issues of a config text, as `line:col code message`. */
function check(yaml: string, profiles: readonly string[] | 'unreadable' = ['traps', 'asa']): string[] {
  const { source, issues } = YamlSource.parse('c.yaml', yaml);
  expect(issues).toEqual([]);
  const { value } = validate(source, ConfigSchema, source.toValue());
  return checkConfig(source, value, profiles === 'unreadable' ? undefined : profiles).map((i) => `${i.line}:${i.col} ${i.code} ${i.message}`);
}

describe('checkConfig', () => {
  it('finds nothing wrong with a sound config', () => {
    expect(check(`
senders:
  - { name: esm, address: 10.0.0.5, profiles: [traps] }
  - { name: v6, address: '2001:db8::/32' }
mappings: { includeNetworks: [10.0.0.0/8], excludeNetworks: ['fd00::/8'] }
accounting:
  mode: start-stop
  groups:
    - name: primary
      servers: [{ host: 10.0.0.9, secret: s }, { host: 10.0.0.10, secretFile: f }]
    - name: audit
      servers: [{ host: 10.0.0.11, tls: { ca: a, cert: b, key: c } }]
`)).toEqual([]);
  });

  it('takes a shared table on Redis with its url, and asks for the url when it is missing', () => {
    expect(check(`mappings:\n  store: { type: redis, url: 'rediss://redis.example:6380/1', keyPrefix: 'site1:' }\n`)).toEqual([]);
    expect(check(`mappings:\n  store:\n    type: redis\n`)).toEqual([
      '3:11 UID_ERR_CONFIG_VALUE mappings.store: type redis needs url (redis://host:6379, rediss://… for TLS; with sentinel or cluster, the scheme, user and db)',
    ]);
    expect(check(`mappings: { store: { type: memory } }`)).toEqual([]);
    expect(check(`mappings:\n  store: { type: redis, url: 'redis://x', cluster: [{ host: a }] }\n`)).toEqual([]);
    expect(check(`mappings:\n  store: { type: redis, url: 'redis://x', cluster: [{ host: a }], sentinel: { name: m, sentinels: [{ host: b }] } }\n`)).toEqual([
      expect.stringContaining('UID_ERR_CONFIG_VALUE mappings.store: sentinel and cluster exclude each other'),
    ]);
  });

  it('places an unparsable sender address at its value', () => {
    expect(check(`senders:\n  - name: a\n    address: 10.0.0.300\n`)).toEqual([
      '3:14 UID_ERR_CONFIG_VALUE senders[0].address: "10.0.0.300" is not an IPv4 or IPv6 address or network (write 10.0.0.5, 10.0.0.0/24 or 2001:db8::/32)',
    ]);
    expect(check(`senders: [{ name: a, address: 10.0.0.0/33 }]`)).toHaveLength(1);
  });

  it('places a certificate fingerprint that does not parse at its value', () => {
    const pin = 'sha-256:' + 'AB:'.repeat(31) + 'AB';
    expect(check(`senders:\n  - name: a\n    address: 10.0.0.5\n    tlsFingerprints: ['${pin}', 'sha-256:AB:CD']\n`)).toEqual([
      expect.stringMatching(/^4:130 UID_ERR_CONFIG_VALUE senders\[0\]\.tlsFingerprints\[1\]: "sha-256:AB:CD" is not a sha256 fingerprint: expected 64 hex digits, got 4$/),
    ]);
  });

  it('checks include and exclude networks', () => {
    const issues = check(`mappings:\n  includeNetworks: [10.0.0.0/8, nonsense]\n  excludeNetworks:\n    - 'fe80::/129'\n`);
    expect(issues).toEqual([
      expect.stringMatching(/^2:33 UID_ERR_CONFIG_VALUE mappings\.includeNetworks\[1\]: "nonsense"/),
      expect.stringMatching(/^4:7 UID_ERR_CONFIG_VALUE mappings\.excludeNetworks\[0\]: "fe80::\/129"/),
    ]);
  });

  it('checks the trusted proxies of /v1/auth', () => {
    const issues = check(`http:\n  trustedProxies: [10.0.0.0/24, '::1', proxy.example]\n`);
    expect(issues).toEqual([
      expect.stringMatching(/^2:40 UID_ERR_CONFIG_VALUE http\.trustedProxies\[2\]: "proxy.example"/),
    ]);
  });

  it('refuses two senders with one name, ignoring case, at the second', () => {
    expect(check(`senders:\n  - { name: esm, address: 10.0.0.5 }\n  - { name: ESM, address: 10.0.0.6 }\n`)).toEqual([
      '3:13 UID_ERR_CONFIG_REFERENCE senders[1].name: sender name "ESM" is already used at line 2; names must be unique',
    ]);
  });

  it('refuses a sender profile that is not loaded, suggesting a close name or listing what is', () => {
    expect(check(`senders:\n  - { name: a, address: 10.0.0.5, profiles: [traps, Trap] }\n`)).toEqual([
      '2:53 UID_ERR_CONFIG_REFERENCE senders[0].profiles[1]: no profile is named "Trap" (did you mean "traps"?)',
    ]);
    expect(check(`senders:\n  - { name: a, address: 10.0.0.5, profiles: [fortigate] }\n`)).toEqual([
      '2:46 UID_ERR_CONFIG_REFERENCE senders[0].profiles[0]: no profile is named "fortigate" (loaded: traps, asa)',
    ]);
    expect(check(`senders:\n  - { name: a, address: 10.0.0.5, profiles: [asa] }\n`, [])).toEqual([
      '2:46 UID_ERR_CONFIG_REFERENCE senders[0].profiles[0]: no profile is named "asa" (no profile is loaded)',
    ]);
    // When the profile directory could not be read, its own issue says so; no second guess here.
    expect(check(`senders:\n  - { name: a, address: 10.0.0.5, profiles: [trap] }\n`, 'unreadable')).toEqual([]);
  });

  it('refuses two accounting groups with one name', () => {
    const issues = check(`accounting:
  mode: stop-only
  groups:
    - { name: main, servers: [{ host: a, secret: s }] }
    - { name: main, servers: [{ host: b, secret: s }] }
`);
    expect(issues).toEqual([expect.stringMatching(/^5:15 UID_ERR_CONFIG_REFERENCE accounting\.groups\[1\]\.name: accounting group name "main" is already used at line 4/)]);
  });

  it('wants exactly one of secret, secretFile and tls per TACACS+ server', () => {
    const issues = check(`accounting:
  mode: start-stop
  groups:
    - name: g
      servers:
        - { host: a }
        - { host: b, secret: s, secretFile: f }
        - { host: c, secret: s, tls: { ca: a, cert: b, key: c } }
`);
    expect(issues).toEqual([
      expect.stringMatching(/^6:11 UID_ERR_CONFIG_VALUE accounting\.groups\[0\]\.servers\[0\] needs one of: secret/),
      expect.stringMatching(/^7:33 UID_ERR_CONFIG_VALUE accounting\.groups\[0\]\.servers\[1\] sets secret and secretFile; give exactly one/),
      expect.stringMatching(/^8:33 UID_ERR_CONFIG_VALUE accounting\.groups\[0\]\.servers\[2\] sets secret and tls/),
    ]);
  });

  it('refuses accounting turned on with no group to send to', () => {
    expect(check(`accounting:\n  mode: start-stop\n`)).toEqual([
      expect.stringMatching(/^2:9 UID_ERR_CONFIG_VALUE accounting\.mode is start-stop but accounting\.groups is empty/),
    ]);
    expect(check(`accounting:\n  mode: none\n`)).toEqual([]);
  });

  describe('HTTP exposure', () => {
    it('refuses an API off loopback without tokens', () => {
      expect(check(`http:\n  host: 0.0.0.0\n`)).toEqual([
        expect.stringMatching(/^2:9 UID_ERR_HTTP_INSECURE http\.host 0\.0\.0\.0 is reachable from other machines but no bearer token is set/),
      ]);
      expect(check(`http: { host: '::' }`)).toHaveLength(1);
      expect(check(`http: { host: 10.1.2.3, tokens: [] }`)).toHaveLength(1);
    });

    it('accepts loopback, tokens, a tokens file, allowAnonymous or a disabled API', () => {
      for (const http of [
        '{ host: 127.0.0.1 }', '{ host: 127.9.9.9 }', "{ host: '::1' }", '{ host: localhost }',
        '{ host: 0.0.0.0, tokens: [t] }', '{ host: 0.0.0.0, tokensFile: tokens }',
        '{ host: 0.0.0.0, allowAnonymous: true }', '{ host: 0.0.0.0, enabled: false }',
      ]) {
        expect(check(`http: ${http}`), http).toEqual([]);
      }
    });
  });

  describe('TCP listeners', () => {
    it('refuses TCP and TLS on one host and port, at the second listener', () => {
      expect(check(`syslog:\n  tcp: { enabled: true, port: 6514 }\n  tls: { port: 6514 }\n`)).toEqual([
        '3:16 UID_ERR_CONFIG_PORT syslog.tls would listen on 0.0.0.0:6514, which syslog.tcp (line 2) also uses; give one of them another port',
      ]);
    });

    it('sees a wildcard cover a specific address, and HTTP as a TCP listener too', () => {
      // HTTP keeps its default port, so the issue sits at the port written in the file.
      expect(check(`syslog:\n  tcp: { enabled: true, host: 0.0.0.0, port: 8080 }\n`)).toEqual([
        '2:46 UID_ERR_CONFIG_PORT syslog.tcp would listen on 0.0.0.0:8080, which http (by default) also uses; give one of them another port',
      ]);
      expect(check(`syslog:\n  tls: { host: '::', port: 8080 }\nhttp: { host: '::1', port: 8080 }\n`)).toHaveLength(1);
    });

    it('lets UDP and TCP share 514, distinct hosts share a port, and disabled listeners be', () => {
      expect(check(`syslog:\n  udp: { port: 514 }\n  tcp: { enabled: true, port: 514 }\n`)).toEqual([]);
      expect(check(`syslog:\n  tcp: { enabled: true, host: 10.0.0.1, port: 6514 }\n  tls: { host: 10.0.0.2 }\n`)).toEqual([]);
      expect(check(`syslog:\n  tcp: { enabled: true, host: 0.0.0.0, port: 6514 }\n  tls: { host: '::1' }\n`)).toEqual([]);
      expect(check(`syslog:\n  tcp: { enabled: false, port: 6514 }\n`)).toEqual([]);
    });
  });

  it('skips what the schema already refused instead of failing on it', () => {
    expect(check(`senders: [{ name: 5, address: [1] }, 7]\nhttp: 3\naccounting: { groups: [{ servers: x }] }\nsyslog: { tls: { port: x } }`)).toEqual([]);
    expect(check('just text')).toEqual([]);
  });
});
