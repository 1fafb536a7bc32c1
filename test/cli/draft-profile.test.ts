/**
 * `uid-listener draft-profile` and `test-profile --config --sender` as a user runs them
 * (dist/main.js; `npm test` builds first): the draft is a profile file that test-profile
 * accepts as it is, and bad input gets a clear error and the documented exit code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAIN } from '../support/listener.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'uid-draft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('uid-listener draft-profile', () => {
  it('writes a commented profile that test-profile runs and whose samples pass as written', async () => {
    const fixture = parse(readFileSync(new URL('../fixtures/draft/cisco-asa-anyconnect.yaml', import.meta.url), 'utf8')) as { lines: { message: string }[] };
    const samples = join(dir, 'asa.log');
    writeFileSync(samples, fixture.lines.map((l) => `${l.message}\r\n`).join(''));
    const out = join(dir, 'draft-asa.yaml');
    expect(await cli(['draft-profile', samples, '--out', out, '--name', 'asa-draft'])).toMatchObject({ code: 0, stdout: '' });
    const yaml = readFileSync(out, 'utf8');
    expect(yaml).toMatch(/^# DRAFT by uid-listener draft-profile from asa\.log/);
    expect(yaml).toMatch(/# Could not decide, or guessed:\n#  - .*logouts/);
    expect(parse(yaml)).toMatchObject({ name: 'asa-draft', type: 'regex', event: 'login', eventRegex: '%ASA-\\d-722051:' });
    expect(await cli(['test-profile', out])).toMatchObject({ code: 0, stdout: '1 profile(s), every sample passes: asa-draft\n' });
    const mapped = await cli(['test-profile', out, samples]);
    expect(mapped.stdout.split('\n')[0]).toBe('line 1: login jdoe at 10.89.4.165 (profile asa-draft)');
  });

  it('prints to stdout without --out, and refuses a file with no lines (exit 1, UID_ERR_DRAFT_INPUT wording)', async () => {
    const one = join(dir, 'one.log');
    writeFileSync(one, 'sshd[9]: Accepted password for jdoe from 10.0.0.1 port 22 ssh2\n');
    const drafted = await cli(['draft-profile', one]);
    expect(drafted.code).toBe(0);
    expect(parse(drafted.stdout)).toMatchObject({ name: 'draft-one', samples: [{ expect: [{ user: 'jdoe', ip: '10.0.0.1' }] }] });
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '\n\n');
    expect(await cli(['draft-profile', empty])).toMatchObject({ code: 1, stderr: `${empty}:1:1 no sample lines: give one message per line, as the device sends them\n` });
    expect((await cli(['draft-profile'])).code).toBe(2);
  });
});

describe('uid-listener test-profile --config --sender', () => {
  it('needs both options and one messages file, and names an unknown sender', async () => {
    expect((await cli(['test-profile', '--config', 'x.yaml', '-'])).code).toBe(2);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'senders:\n  - { name: esm, address: 10.0.0.5 }\nprofilesDir: ' + JSON.stringify(new URL('../../profiles', import.meta.url).pathname) + '\n');
    const missing = await cli(['test-profile', '--config', config, '--sender', 'nope', '-']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--sender "nope": the config has no sender of that name \(senders: esm\)/);
  });
});
