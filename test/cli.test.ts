/**
 * The CLI as users run it: `node dist/main.js` in a child process. Build first
 * (`npm test` does; alone: `npx tsc -p tsconfig.build.json`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML } from '../src/config/default-config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'main.js');
const PROFILES = join(ROOT, 'profiles');

/** The Traps ESM heartbeat of the PAN-OS KB, forwarded as LEEF 1.0 (tab-separated attributes). */
const ESM_MESSAGE = 'LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\tdst=10.1.2.3';
const ESM_EVENT = { profile: 'traps-esm-leef', event: 'login', user: 'jdoe', ip: '10.1.2.3' };

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: tmp, env: { PATH: process.env['PATH'] ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

let tmp: string;

function write(name: string, text: string): string {
  const path = join(tmp, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  tmp = mkdtempSync(join(tmpdir(), 'uid-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.concurrent('uid-listener check', () => {
  it('passes the embedded default with a one-line summary', async () => {
    const { code, stdout, stderr } = await run(['check']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\(embedded default\): OK: 2 sender\(s\), \d+ profile\(s\) with passing samples; listening on udp 0\.0\.0\.0:514, tls 0\.0\.0\.0:6514, http 127\.0\.0\.1:8080; accounting off\n$/);
  });

  it('prints the embedded default, which is itself a valid config file', async () => {
    const { code, stdout } = await run(['check', '--print-default']);
    expect(code).toBe(0);
    expect(stdout).toBe(DEFAULT_CONFIG_YAML);
    const dir = join(tmp, 'copy');
    mkdirSync(dir);
    symlinkSync(PROFILES, join(dir, 'profiles'));
    const copy = write('copy/uid.yaml', stdout);
    // A copy is the admin's config: the test certificates are made only for the embedded default.
    const missing = await run(['check', '--config', copy]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.split('\n').filter(Boolean).map((l) => l.replace(/ \(ENOENT\).*/, ''))).toEqual([
      `${copy}:19:11 syslog.tls.cert: cannot read ${join(dir, 'certs/server.crt')}`,
      `${copy}:20:10 syslog.tls.key: cannot read ${join(dir, 'certs/server.key')}`,
    ]);
    symlinkSync(join(ROOT, 'test', 'support'), join(dir, 'certs')); // any readable files will do for check
    writeFileSync(copy, stdout.replace('certs/server.crt', 'certs/certs.ts').replace('certs/server.key', 'certs/fixtures.ts'));
    const checked = await run(['check', '--config', copy]);
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toMatch(new RegExp(`^${copy}: OK: `));
  });

  it('fails on a certificate, key, CA, secret or token file that is missing or unreadable, at its line', async () => {
    const config = write('files.yaml', `profilesDir: ${PROFILES}
syslog:
  tls: { cert: nowhere.crt, key: ., ca: ca.crt }
http: { tokensFile: tokens.txt, tls: { cert: h.crt, key: h.key } }
accounting:
  mode: start-stop
  groups:
    - name: primary
      servers: [{ host: 127.0.0.1, secretFile: secret.txt }, { host: 127.0.0.2, tls: { ca: a.crt, cert: c.crt, key: c.key } }]
`);
    const { code, stdout, stderr } = await run(['check', '--config', config]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(config.length + 1).replace(/: cannot read .*\((\w+)\).*/, ' $1'))).toEqual([
      '3:16 syslog.tls.cert ENOENT',
      '3:34 syslog.tls.key EISDIR',
      '3:41 syslog.tls.ca ENOENT',
      '4:21 http.tokensFile ENOENT',
      '4:46 http.tls.cert ENOENT',
      '4:58 http.tls.key ENOENT',
      '9:48 accounting.groups[0].servers[0].secretFile ENOENT',
      '9:92 accounting.groups[0].servers[1].tls.ca ENOENT',
      '9:105 accounting.groups[0].servers[1].tls.cert ENOENT',
      '9:117 accounting.groups[0].servers[1].tls.key ENOENT',
    ]);
    expect(lines[0]).toContain('certs/make-certs.sh');
  });

  it('warns of risky settings one line each and exits 0; --strict makes them fail', async () => {
    const config = write('risky.yaml', `profilesDir: ${PROFILES}
syslog: { tls: { enabled: false } }
senders:
  - { name: lab, address: 10.0.0.5/8 }
mappings: { ignoreUsers: ['*'] }
`);
    const warned = await run(['check', '--config', config]);
    expect(warned.code).toBe(0);
    expect(warned.stderr.trimEnd().split('\n')).toEqual([
      `${config}:4:27 warning: senders[0].address "10.0.0.5/8" has host bits set: it means 10.0.0.0/8; write that, or 10.0.0.5 alone for the one host`,
      `${config}:5:27 warning: mappings.ignoreUsers[0] "*" matches every user: no mapping will ever be made`,
    ]);
    expect(warned.stdout).toMatch(/; 2 warning\(s\)\n$/);
    const strict = await run(['check', '--strict', '--config', config]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(warned.stderr);
    expect(strict.stdout).toBe('');
  });

  it('reports a misspelt key as file:line:col with the allowed keys, exit 1', async () => {
    const config = write('typo.yaml', `syslog:\n  udp:\n    prot: 514\n  tls: { enabled: false }\nhttp: { port: eighty }\nprofilesDir: ${PROFILES}\n`);
    const { code, stdout, stderr } = await run(['check', '--config', config]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `${config}:3:5 unknown key "prot" in syslog.udp (expected one of: enabled, host, port, receiveBufferBytes, workers)\n` +
      `${config}:5:15 http.port must be a whole number\n`);
  });

  it('reports a profile regex RE2 refuses as file:line:col, exit 1', async () => {
    const profile = write('lookahead/bad.yaml',
      "name: bad\ntype: regex\nevent: login\neventRegex: 'login(?=ok)'\nusernameRegex: 'user=(\\w+)'\naddressRegex: 'ip=(\\S+)'\n");
    const config = write('lookahead.yaml', 'profilesDir: lookahead\nsyslog: { tls: { enabled: false } }\n');
    const { code, stderr } = await run(['check', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^${profile}:4:\\d+ .+\\n$`));
  });

  it('says which config file it cannot read', async () => {
    const { code, stderr } = await run(['check', '--config', 'nowhere.yaml']);
    expect(code).toBe(1);
    expect(stderr).toBe(`${join(tmp, 'nowhere.yaml')}:1:1 cannot read the config file (ENOENT)\n`);
  });
});

describe.concurrent('uid-listener test-profile', () => {
  it('finds the ESM login in the shipped profiles (human output)', async () => {
    const messages = write('esm.log', `${ESM_MESSAGE}\n`);
    const { code, stdout } = await run(['test-profile', PROFILES, messages]);
    expect(code).toBe(0);
    expect(stdout).toBe('line 1: login jdoe at 10.1.2.3 (profile traps-esm-leef)\n');
  });

  it('prints one JSON object per message, in order, and says why nothing matched', async () => {
    const messages = write('mixed.log', `${ESM_MESSAGE}\r\nnothing to see here\n\n${ESM_MESSAGE.replace('jdoe', 'asmith')}`);
    const { code, stdout } = await run(['test-profile', PROFILES, messages, '--json']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(JSON.stringify({ line: 1, events: [ESM_EVENT], reason: null }));
    const results = lines.map((l) => JSON.parse(l) as { line: number; events: unknown[]; reason: string | null });
    expect(results.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(results[1]).toEqual({ line: 2, events: [], reason: expect.stringMatching(/event not matched/) });
    expect(results[2]!.events).toEqual([{ ...ESM_EVENT, user: 'asmith' }]);
  });

  it('reads messages from stdin with -, dropping a byte order mark', async () => {
    const { code, stdout } = await run(['test-profile', PROFILES, '-'], `\uFEFF${ESM_MESSAGE}\nhello\n`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^line 1: login jdoe at 10\.1\.2\.3 \(profile traps-esm-leef\)\nline 2: nothing \(.*event not matched.*\)\n$/);
  });

  it('runs the samples of the shipped profiles when no messages are given', async () => {
    const { code, stdout, stderr } = await run(['test-profile', PROFILES]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/profile\(s\), every sample passes: .*traps-esm-leef/);
  });

  it('exits 1 on a sample whose expectation fails, naming its file and line', async () => {
    const profile = write('failing/wrong.yaml', `name: wrong
type: regex
event: login
eventRegex: 'Service is alive'
usernameRegex: 'duser=([a-zA-Z0-9_]+)'
addressRegex: 'dst=([A-F0-9a-f:.]+)'
samples:
  - message: "LEEF:1.0|Palo Alto Networks|Traps Agent|4.2|Service is alive|duser=jdoe\\tdst=10.1.2.3"
    expect: [{ user: someone-else, ip: 10.1.2.3, event: login }]
`);
    const { code, stderr } = await run(['test-profile', join(tmp, 'failing')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^${profile}:\\d+:\\d+ .*wrong.*\\n$`));
  });

  it('reports a bad profile as file:line:col and a missing messages file, exit 1', async () => {
    const profile = write('broken/broken.yaml', 'name: broken\ntype: regex\nevnt: login\n');
    const bad = await run(['test-profile', join(tmp, 'broken'), '-']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${profile}:3:1 `);
    const missing = await run(['test-profile', PROFILES, 'absent.log']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('uid-listener test-profile: cannot read absent.log (ENOENT)\n');
  });
});

describe.concurrent('usage', () => {
  it('prints the whole usage to stdout and exits 0 for --help and -h', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await run([flag]);
      expect(code, flag).toBe(0);
      expect(stderr).toBe('');
      for (const command of ['start', 'check', 'test-profile']) expect(stdout).toContain(`\n  uid-listener ${command} `);
    }
  });

  it('prints a command\'s own usage and exits 0 for COMMAND --help or -h, whatever else is given', async () => {
    for (const command of ['start', 'check', 'test-profile']) {
      for (const args of [[command, '--help'], [command, '-h'], [command, '--config', 'nowhere.yaml', '--help']]) {
        const { code, stdout, stderr } = await run(args);
        expect(code, args.join(' ')).toBe(0);
        expect(stderr, args.join(' ')).toBe('');
        expect(stdout.startsWith(`Usage:\n  uid-listener ${command} `), args.join(' ')).toBe(true);
        const others = ['start', 'check', 'test-profile'].filter((c) => c !== command);
        for (const other of others) expect(stdout).not.toContain(`uid-listener ${other} `);
      }
    }
  });

  it('exits 2 with the usage on stderr for no command, an unknown command, an unknown option or a missing argument', async () => {
    for (const args of [[], ['frobnicate']]) {
      const { code, stdout, stderr } = await run(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr, args.join(' ')).toContain('uid-listener test-profile PROFILE_FILE|PROFILE_DIR');
    }
    for (const [args, usage] of [[['check', '--confg', 'x'], 'check [--config FILE]'], [['start', '--bogus'], 'start [--config FILE]'], [['test-profile'], 'test-profile PROFILE_FILE']] as const) {
      const { code, stdout, stderr } = await run([...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr, args.join(' ')).toMatch(new RegExp(`^uid-listener ${args[0]}: .+\nUsage:\n  uid-listener ${usage.replace(/[[\]|]/g, '\\$&')}`));
    }
  });

  it('prints the package version', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe.concurrent('uid-listener hash-password', () => {
  it('prints a scrypt hash of the password on stdin that verifies, and no password', async () => {
    const { code, stdout } = await run(['hash-password'], 'pw with spaces\n');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+\n$/);
    const { parsePasswordHash, verifyPassword } = await import('../src/xml-api/password-hash.js');
    const parsed = parsePasswordHash(stdout.trim());
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(await verifyPassword('pw with spaces', parsed)).toBe(true);
  });

  it('refuses an empty stdin and arguments', async () => {
    expect((await run(['hash-password'], '')).code).toBe(1);
    expect((await run(['hash-password', 'secret'])).code).toBe(2);
  });
});

describe.concurrent('uid-listener check with a plain XML API password', () => {
  it('warns at its line and still passes', async () => {
    const file = write('xml/uid.yaml', `profilesDir: ${PROFILES}\nsyslog: { tls: { enabled: false } }\nxmlApi:\n  users:\n    - { name: nac, password: hunter2 }\n`);
    const { code, stderr } = await run(['check', '--config', file]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/uid\.yaml:5:\d+ warning: xmlApi\.users\[0\]\.password is written in the config file/);
  });
});
