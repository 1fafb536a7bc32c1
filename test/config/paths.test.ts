import { describe, expect, it } from 'vitest';
import { resolveConfigPaths } from '../../src/config/paths.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { validate, YamlSource } from '../../src/config/yaml-source.js';

function resolved(yaml: string, baseDir: string) {
  const { source } = YamlSource.parse('c.yaml', yaml);
  const { value } = validate(source, ConfigSchema, source.toValue());
  resolveConfigPaths(value, baseDir);
  return value;
}

describe('resolveConfigPaths', () => {
  it('resolves every path key against the config folder, defaults included', () => {
    const config = resolved(`
profilesDir: ../profiles
syslog: { tls: { ca: pki/ca.crt } }
mappings: { snapshot: { path: state/map.json } }
http: { tokensFile: tokens.txt, tls: { cert: h.crt, key: h.key } }
accounting:
  spool: /var/spool/uid
  groups:
    - name: g
      servers:
        - { host: a, secretFile: ./tacacs.secret }
        - { host: b, tls: { ca: ca.crt, cert: c.crt, key: c.key } }
`, '/etc/uid');
    expect(config.profilesDir).toBe('/etc/profiles');
    expect(config.syslog.tls).toMatchObject({ cert: '/etc/uid/certs/server.crt', key: '/etc/uid/certs/server.key', ca: '/etc/uid/pki/ca.crt' });
    expect(config.mappings.snapshot.path).toBe('/etc/uid/state/map.json');
    expect(config.http).toMatchObject({ tokensFile: '/etc/uid/tokens.txt', tls: { cert: '/etc/uid/h.crt', key: '/etc/uid/h.key' } });
    expect(config.accounting.spool).toBe('/var/spool/uid');
    const [a, b] = config.accounting.groups[0]!.servers;
    expect(a!.secretFile).toBe('/etc/uid/tacacs.secret');
    expect(b!.tls).toEqual({ ca: '/etc/uid/ca.crt', cert: '/etc/uid/c.crt', key: '/etc/uid/c.key' });
  });

  it('leaves non-path values alone and tolerates a malformed config', () => {
    const config = resolved('http: { host: localhost, tokens: [relative-looking] }', '/etc/uid');
    expect(config.http.host).toBe('localhost');
    expect(config.http.tokens).toEqual(['relative-looking']);
    expect(() => resolved('profilesDir: 5\naccounting: { groups: [null, { servers: 3 }] }', '/x')).not.toThrow();
  });
});
