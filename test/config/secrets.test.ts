import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../src/errors.js';
import { expandEnv, resolveSecrets } from '../../src/config/secrets.js';
import { YamlSource } from '../../src/config/yaml-source.js';

const dir = mkdtempSync(join(tmpdir(), 'uid-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function resolve(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<{ value: any; issues: ConfigIssue[] }> {
  const { source } = YamlSource.parse('c.yaml', yaml);
  const value = source.toValue();
  const issues = await resolveSecrets(source, value, env);
  return { value, issues };
}

const server = (fields: string) => `accounting:\n  groups:\n    - name: g\n      servers:\n        - { host: h, ${fields} }\n`;

describe('expandEnv', () => {
  it('replaces every ${NAME} and lists the unset ones', () => {
    expect(expandEnv('${A}-${B}', { A: 'x', B: 'y' })).toEqual({ value: 'x-y', missing: [] });
    expect(expandEnv('${A}${NOPE}', { A: 'x' })).toEqual({ value: 'x', missing: ['NOPE'] });
    expect(expandEnv('plain $A ${ not-a-name }', {})).toEqual({ value: 'plain $A ${ not-a-name }', missing: [] });
  });
});

describe('resolveSecrets', () => {
  it('takes a TACACS+ secret from the environment', async () => {
    const { value, issues } = await resolve(server("secret: '${TACACS_SECRET}'"), { TACACS_SECRET: 'hunter2' });
    expect(issues).toEqual([]);
    expect(value.accounting.groups[0].servers[0].secret).toBe('hunter2');
  });

  it('names an unset variable at its line and never prints a value', async () => {
    const { issues } = await resolve(server("secret: '${SET}${UNSET}'"), { SET: 'hunter2' });
    expect(issues).toEqual([{
      code: 'UID_ERR_CONFIG_SECRET', file: 'c.yaml', line: 5, col: 30,
      message: 'accounting.groups[0].servers[0].secret: environment variable UNSET is not set; export it before starting, or use a file',
    }]);
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('refuses a secret that is empty after substitution', async () => {
    const { issues } = await resolve(server("secret: '${EMPTY}'"), { EMPTY: '' });
    expect(issues.map((i) => i.message)).toEqual(['accounting.groups[0].servers[0].secret is empty after substituting the environment']);
  });

  it('reads secretFile into secret, trimming only the trailing newline', async () => {
    const path = file('tacacs.secret', 'top secret \r\n');
    const { value, issues } = await resolve(server(`secretFile: ${path}`));
    expect(issues).toEqual([]);
    expect(value.accounting.groups[0].servers[0].secret).toBe('top secret ');
    expect(value.accounting.groups[0].servers[0].secretFile).toBe(path);
  });

  it('reports an unreadable or empty secretFile at its line, without content', async () => {
    const missing = join(dir, 'absent.secret');
    const unreadable = await resolve(server(`secretFile: ${missing}`));
    expect(unreadable.issues).toEqual([expect.objectContaining({
      code: 'UID_ERR_CONFIG_SECRET', line: 5, col: 34,
      message: `accounting.groups[0].servers[0].secretFile: cannot read ${missing} (ENOENT)`,
    })]);
    const empty = await resolve(server(`secretFile: ${file('empty.secret', '\n')}`));
    expect(empty.issues.map((i) => i.message)).toEqual([expect.stringMatching(/secretFile: .*empty\.secret is empty$/)]);
  });

  it('expands tokens and appends the tokens file, skipping blanks and comments', async () => {
    const path = file('tokens', '# readers\nfile-token-1\n\n  file-token-2  \r\n');
    const { value, issues } = await resolve(`http:\n  tokens: ['\${UID_TOKEN}', literal]\n  tokensFile: ${path}\n`, { UID_TOKEN: 'from-env' });
    expect(issues).toEqual([]);
    expect(value.http.tokens).toEqual(['from-env', 'literal', 'file-token-1', 'file-token-2']);
  });

  it('reports an unset token variable at the entry and a tokens file with no token', async () => {
    const path = file('no-tokens', '# nothing yet\n\n');
    const { issues } = await resolve(`http:\n  tokens:\n    - ok\n    - '\${MISSING_TOKEN}'\n  tokensFile: ${path}\n`);
    expect(issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '4:7 http.tokens[1]: environment variable MISSING_TOKEN is not set; export it before starting, or use a file',
      `5:15 http.tokensFile: ${path} holds no token`,
    ]);
  });

  it('leaves values of the wrong shape to the schema', async () => {
    expect((await resolve('http: { tokens: 5, tokensFile: [x] }\naccounting: { groups: [{ servers: [{ secret: 5 }] }] }')).issues).toEqual([]);
  });
});
