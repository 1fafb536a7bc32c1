import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProfiles } from '../../src/config/profiles.js';
import { formatIssue } from '../../src/errors.js';
import { checkSamples } from '../../src/identify/tester.js';
import { ESM_PROFILE_YAML as ESM } from '../support/fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid-profiles-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});


async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const lines = (issues: Parameters<typeof formatIssue>[0][]) => issues.map((i) => formatIssue(i).slice(dir.length + 1));

describe('loadProfiles', () => {
  it('loads every .yaml/.yml file, names default to the file name', async () => {
    await write('esm.yaml', ESM);
    await write('second.yml', ESM.replace('description:', 'name: esm-two\ndescription:'));
    await write('notes.txt', 'not a profile');
    await write('.hidden.yaml', 'broken: [');
    await mkdir(join(dir, 'sub.yaml'));
    const { profiles, issues } = await loadProfiles(dir);
    expect(issues).toEqual([]);
    expect(profiles.names).toEqual(['esm', 'esm-two']);
    expect(checkSamples(profiles)).toEqual([]);
    expect(profiles.profile('esm')!.definition.samples?.[0]?.at).toEqual({ file: join(dir, 'esm.yaml'), line: 8, col: 5 });
  });

  it('keeps a profile\'s timeoutMinutes and refuses one out of range at its line', async () => {
    await write('esm.yaml', ESM.replace('description:', 'timeoutMinutes: 120\ndescription:'));
    await write('bad.yaml', ESM.replace('description:', 'name: bad\ntimeoutMinutes: 0\ndescription:'));
    const { profiles, issues } = await loadProfiles(dir);
    expect(profiles.profile('esm')?.definition.timeoutMinutes).toBe(120);
    expect(lines(issues)).toEqual([expect.stringMatching(/^bad\.yaml:2:\d+ .*timeoutMinutes/)]);
  });

  it('loads a single file given instead of a directory', async () => {
    const file = await write('esm.yaml', ESM);
    const { profiles, issues } = await loadProfiles(file);
    expect(issues).toEqual([]);
    expect(profiles.names).toEqual(['esm']);
  });

  it('places a lookahead and a backreference at their lines, with RE2 reasons', async () => {
    await write('bad.yaml', ESM.replace("'Service is alive'", "'Service(?= is alive)'").replace("'duser=([a-zA-Z0-9\\_]+)'", "'(duser)=\\1'"));
    const { profiles, issues } = await loadProfiles(dir);
    expect(profiles.names).toEqual([]);
    expect(issues.map((i) => i.code)).toEqual(['UID_ERR_PROFILE_REGEX', 'UID_ERR_PROFILE_REGEX']);
    const [event, user] = lines(issues);
    expect(event).toMatch(/^bad\.yaml:4:13 profile "bad": eventRegex "Service\(\?= is alive\)" is not a pattern RE2 accepts: invalid perl operator: \(\?=/);
    expect(user).toMatch(/^bad\.yaml:5:16 profile "bad": usernameRegex .*invalid escape sequence: \\1/);
  });

  it('reports schema problems at their key or value, every file at once', async () => {
    await write('a-typo.yaml', ESM.replace('eventRegex:', 'eventRegx:'));
    await write('b-event.yaml', ESM.replace('event: login', 'event: signin'));
    await write('c-type.yaml', ESM.replace('type: regex', 'type: grok'));
    await write('d-notype.yaml', ESM.replace('type: regex\n', ''));
    await write('e-field.yaml', `type: field
event: logout
eventString: 'session closed'
usernamePrefix: 'User:'
usernameDelimiter: ''
addressPrefix: 'Source:'
`);
    await write('f-sample.yaml', ESM.replace('expect: [{ user: jdoe, ip: 10.1.2.3, event: login }]', 'expect: [{ user: jdoe, addr: 10.1.2.3, event: login }]'));
    await write('g-yaml.yaml', 'type: regex\nevent: [login\n');
    await write('h-list.yaml', '- type: regex\n');
    const { issues } = await loadProfiles(dir);
    expect(lines(issues)).toEqual([
      'a-typo.yaml:1:1 top level: missing required key "eventRegex"',
      expect.stringMatching(/^a-typo\.yaml:4:1 unknown key "eventRegx" in top level \(expected one of: .*eventRegex/),
      'b-event.yaml:3:8 event must be one of: login, logout',
      'c-type.yaml:2:7 type must be one of: regex, field',
      'd-notype.yaml:1:1 missing required key "type" (one of: regex, field)',
      'e-field.yaml:1:1 top level: missing required key "addressDelimiter"',
      expect.stringMatching(/^e-field\.yaml:5:20 usernameDelimiter must NOT have fewer than 1 characters/),
      expect.stringMatching(/^f-sample\.yaml:9:14 samples\[0\]\.expect\[0\]: missing required key "ip"/),
      expect.stringMatching(/^f-sample\.yaml:9:28 unknown key "addr"/),
      expect.stringMatching(/^g-yaml\.yaml:3:1 /),
      'h-list.yaml:1:1 a profile file holds one mapping (type, event, patterns, samples)',
    ]);
    expect(issues.every((i) => i.code.startsWith('UID_ERR_CONFIG_'))).toBe(true);
  });

  it('refuses duplicate names across files and names a file name cannot give', async () => {
    await write('a.yaml', ESM.replace('description:', 'name: esm\ndescription:'));
    await write('esm.yaml', ESM);
    await write('bad name.yaml', ESM);
    const { profiles, issues } = await loadProfiles(dir);
    expect(profiles.names).toEqual(['esm']);
    expect(lines(issues)).toEqual([
      expect.stringMatching(/^bad name\.yaml:1:1 the file name gives the profile name "bad name"/),
      `esm.yaml:1:1 profile name "esm" is already used by ${join(dir, 'a.yaml')}:1:7; names must be unique`,
    ]);
  });

  it('reports a missing directory as a file issue', async () => {
    const { profiles, issues } = await loadProfiles(join(dir, 'absent'));
    expect(profiles.names).toEqual([]);
    expect(issues).toEqual([{ code: 'UID_ERR_CONFIG_FILE', file: join(dir, 'absent'), line: 1, col: 1,
      message: 'cannot read the profile directory or file: ENOENT' }]);
  });
});
