import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML, PACKAGE_ROOT } from '../../src/config/default-config.js';
import { YamlSource } from '../../src/config/yaml-source.js';

describe('the embedded default', () => {
  it('finds the package root, where profiles/ and certs/ live', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('uid-listener');
    expect(existsSync(join(PACKAGE_ROOT, 'profiles'))).toBe(true);
    expect(existsSync(join(PACKAGE_ROOT, 'certs', 'make-certs.sh'))).toBe(true);
  });

  it('spells out the DESIGN §3 defaults instead of leaning on the schema', () => {
    const { source, issues } = YamlSource.parse('default', DEFAULT_CONFIG_YAML);
    expect(issues).toEqual([]);
    expect(source.toValue()).toMatchObject({
      syslog: { udp: { enabled: true, host: '0.0.0.0', port: 514 }, tls: { enabled: true, host: '0.0.0.0', port: 6514 }, tcp: { enabled: false } },
      senders: [{ address: '127.0.0.0/8' }, { address: '::1' }],
      profilesDir: 'profiles',
      http: { host: '127.0.0.1', port: 8080 },
      accounting: { mode: 'none' },
    });
  });
});
