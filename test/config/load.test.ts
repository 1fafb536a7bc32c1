import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/errors.js';
import { PACKAGE_ROOT } from '../../src/config/default-config.js';
import { loadConfig } from '../../src/config/load.js';
import { ESM_PROFILE_YAML } from '../support/fixtures.js';


let root: string;
let etc: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'uid-load-'));
  etc = join(root, 'etc');
  mkdirSync(join(etc, 'profiles'), { recursive: true });
  writeFileSync(join(etc, 'profiles', 'traps-esm-leef.yaml'), ESM_PROFILE_YAML);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(etc, name);
  writeFileSync(path, text);
  return path;
}

/** The issues loadConfig throws for `yaml`, formatted as the CLI prints them. */
async function issuesOf(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const file = write('bad.yaml', yaml);
  const error = await loadConfig(file, env).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues.map(formatIssue).map((line) => line.replace(`${file}:`, ''));
}

describe('loadConfig', () => {
  it('loads the embedded default clean, with paths under the package root', async () => {
    const { config, source, profiles } = await loadConfig(undefined, {});
    expect(source).toBe('(embedded default)');
    expect(profiles.names).toContain('traps-esm-leef');
    expect(config.profilesDir).toBe(join(PACKAGE_ROOT, 'profiles'));
    expect(config.syslog.tls).toMatchObject({ enabled: true, port: 6514, cert: join(PACKAGE_ROOT, 'certs/server.crt') });
    expect(config.syslog.udp).toMatchObject({ enabled: true, host: '0.0.0.0', port: 514 });
    expect(config.senders.map((s) => s.address)).toEqual(['127.0.0.0/8', '::1']);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.accounting.mode).toBe('none');
    expect(config.mappings.snapshot.path).toBe(join(PACKAGE_ROOT, 'data/mappings.jsonl'));
  });

  it('resolves relative paths against the config file folder, whatever the working directory', async () => {
    write('tacacs.secret', 's3cret\n');
    const file = write('good.yaml', `
senders: [{ name: esm, address: 10.0.0.5, profiles: [traps-esm-leef] }]
accounting:
  mode: start-stop
  groups:
    - name: primary
      servers:
        - { host: 10.0.0.9, secretFile: tacacs.secret }
        - { host: 10.0.0.10, secret: '\${TACACS_SECRET}' }
        - { host: 10.0.0.11, tls: { ca: ca.crt, cert: c.crt, key: c.key } }
`);
    const { config, source, profiles } = await loadConfig(file, { TACACS_SECRET: 'from-env' });
    expect(source).toBe(file);
    expect(profiles.names).toEqual(['traps-esm-leef']);
    expect(config.profilesDir).toBe(join(etc, 'profiles'));
    expect(config.syslog.tls.cert).toBe(join(etc, 'certs/server.crt'));
    const [a, b, c] = config.accounting.groups[0]!.servers;
    expect(a).toMatchObject({ secret: 's3cret', secretFile: join(etc, 'tacacs.secret'), port: 49 });
    expect(b).toMatchObject({ secret: 'from-env', port: 49 });
    expect(c).toMatchObject({ port: 300, tls: { ca: join(etc, 'ca.crt') } });
  });

  it('places YAML syntax errors', async () => {
    expect(await issuesOf('syslog:\n  udp: { port: 514\nsenders: []\n')).toEqual([
      expect.stringMatching(/^3:1 .*flow/i),
    ]);
    expect(await issuesOf('http:\n  port: 1\n  port: 2\n')).toEqual(['3:3 Map keys must be unique']);
  });

  it('reports a misspelt key at its line and column with the keys allowed there', async () => {
    expect(await issuesOf('syslog:\n  udp:\n    prot: 514\n')).toEqual([
      '3:5 unknown key "prot" in syslog.udp (expected one of: enabled, host, port, receiveBufferBytes, workers)',
    ]);
  });

  it('reports wrong types, ranges and choices at their values', async () => {
    expect(await issuesOf(`syslog:\n  tls: { port: "6514x" }\n  maxMessageBytes: 10\naccounting:\n  mode: sometimes\nsenders: yes\n`)).toEqual([
      '2:16 syslog.tls.port must be a whole number',
      '3:20 syslog.maxMessageBytes must be at least 480 (is 10)',
      '5:9 accounting.mode must be one of: start-stop, stop-only, none',
      '6:10 senders must be a list',
    ]);
  });

  it('reports every issue of every kind at once, in file order', async () => {
    const issues = await issuesOf(`
syslog:
  udp: { prot: 514 }
senders:
  - { name: esm, address: 10.0.0.500, profiles: [traps-esm-leff] }
  - { name: esm, address: 10.0.0.6 }
http: { host: 0.0.0.0 }
accounting:
  mode: start-stop
  groups:
    - name: g
      servers: [{ host: a, secret: '\${NOT_SET}' }]
`);
    expect(issues).toEqual([
      expect.stringMatching(/^3:10 unknown key "prot"/),
      expect.stringMatching(/^5:27 senders\[0\]\.address: "10\.0\.0\.500"/),
      expect.stringMatching(/^5:50 senders\[0\]\.profiles\[0\]: no profile is named "traps-esm-leff" \(did you mean "traps-esm-leef"\?\)/),
      expect.stringMatching(/^6:13 senders\[1\]\.name: sender name "esm" is already used at line 5/),
      expect.stringMatching(/^7:15 http\.host 0\.0\.0\.0 is reachable/),
      expect.stringMatching(/^12:36 accounting\.groups\[0\]\.servers\[0\]\.secret: environment variable NOT_SET is not set/),
    ]);
  });

  it('adds the profile directory issues after the config issues', async () => {
    mkdirSync(join(etc, 'bad-profiles'), { recursive: true });
    const profile = join(etc, 'bad-profiles', 'lookahead.yaml');
    writeFileSync(profile, "type: regex\nevent: login\neventRegex: 'login(?=ok)'\nusernameRegex: 'u=(\\w+)'\naddressRegex: 'ip=(\\S+)'\n");
    const file = write('with-bad-profiles.yaml', 'profilesDir: bad-profiles\nhttp: { prt: 1 }\n');
    const error = (await loadConfig(file, {}).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues.map((i) => i.file)).toEqual([file, profile]);
    expect(error.issues[1]).toMatchObject({ code: 'UID_ERR_PROFILE_REGEX', line: 3 });
  });

  it('says when the config file cannot be read', async () => {
    const missing = join(etc, 'absent.yaml');
    const error = (await loadConfig(missing).catch((e: unknown) => e)) as ConfigError;
    expect(error.issues).toEqual([{ code: 'UID_ERR_CONFIG_FILE', file: missing, line: 1, col: 1, message: 'cannot read the config file (ENOENT)' }]);
  });

  it('reads an empty file as all defaults (which must name senders to admit anything)', async () => {
    const { config } = await loadConfig(write('empty.yaml', '# nothing\n'), {});
    expect(config.senders).toEqual([]);
    expect(config.profilesDir).toBe(join(etc, 'profiles'));
  });
});
