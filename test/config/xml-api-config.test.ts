import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { ESM_PROFILE_YAML } from '../support/fixtures.js';

let etc: string;
beforeAll(() => {
  etc = mkdtempSync(join(tmpdir(), 'uid-xmlcfg-'));
  mkdirSync(join(etc, 'profiles'));
  writeFileSync(join(etc, 'profiles', 'traps-esm-leef.yaml'), ESM_PROFILE_YAML);
  writeFileSync(join(etc, 'portal.pw'), 'from-file\n');
});
afterAll(() => rmSync(etc, { recursive: true, force: true }));

function write(yaml: string): string {
  const file = join(etc, 'uid.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('xmlApi config', () => {
  it('resolves ${ENV} and passwordFile, resolves paths, and warns about a password written in the file', async () => {
    const file = write([
      'xmlApi:',
      '  users:',
      "    - { name: nac, password: '${NAC_PW}' }",
      '    - { name: portal, passwordFile: portal.pw, timeoutMinutes: 10 }',
      '    - { name: plain, password: hunter2 }',
    ].join('\n'));
    const loaded = await loadConfig(file, { NAC_PW: 'from-env' });
    expect(loaded.config.xmlApi.users.map((u) => u.password)).toEqual(['from-env', 'from-file', 'hunter2']);
    expect(loaded.config.xmlApi.keySecretFile).toBe(join(etc, 'data', 'xml-api.secret'));
    expect(loaded.warnings.map(formatIssue)).toEqual([expect.stringMatching(/uid\.yaml:5:\d+ xmlApi\.users\[2\]\.password is written in the config file/)]);
  });

  it('wants exactly one credential per user and unique names', async () => {
    const file = write([
      'xmlApi:',
      '  users:',
      '    - { name: nac }',
      '    - { name: NAC, password: a, passwordHash: b }',
    ].join('\n'));
    const error = await loadConfig(file, {}).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).issues.map(formatIssue).map((l) => l.replace(`${file}:`, ''));
    expect(lines).toEqual([
      expect.stringMatching(/^3:\d+ xmlApi\.users\[0\] needs one of: password/),
      expect.stringMatching(/^4:\d+ xmlApi\.users\[1\]\.name: xmlApi user name "NAC" is already used at line 3/),
      expect.stringMatching(/^4:\d+ xmlApi\.users\[1\] sets password and passwordHash; give exactly one/),
    ]);
  });
});

describe('xmlApi served off loopback without HTTPS', () => {
  it('is a warning at http.host', async () => {
    const file = write(['http: { host: 0.0.0.0, tokens: [t] }', 'xmlApi:', "  users: [{ name: nac, password: '${PW}' }]"].join('\n'));
    const loaded = await loadConfig(file, { PW: 'x' });
    expect(loaded.warnings.map(formatIssue)).toEqual([expect.stringMatching(/uid\.yaml:1:\d+ the PAN-OS XML API is served on 0\.0\.0\.0 without http\.tls/)]);
  });
});
