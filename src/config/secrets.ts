/**
 * Secrets kept out of the YAML so the file itself can be committed (DESIGN §3):
 * `${ENV_NAME}` inside a TACACS+ `secret` or an `http.tokens` entry is replaced by that
 * environment variable; `secretFile` / `tokensFile` are read from disk. The resolved
 * config carries the values (`secret` holds the server's secret whichever way it was
 * given; `http.tokens` holds the tokens of both the list and the file). Issues name the
 * variable or file, never a value.
 */
import { readFile } from 'node:fs/promises';
import type { ConfigIssue } from '../errors.js';
import { child, isRecord, records, text } from './loose.js';
import { tokenLines } from './token-lines.js';
import { formatPath, type YamlSource, type YamlPath } from './yaml-source.js';

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces each `${NAME}` in `value`; `missing` lists the names that are unset. */
export function expandEnv(value: string, env: NodeJS.ProcessEnv): { value: string; missing: string[] } {
  const missing: string[] = [];
  const expanded = value.replace(ENV_REFERENCE, (_, name: string) => {
    const found = env[name];
    if (found === undefined) missing.push(name);
    return found ?? '';
  });
  return { value: expanded, missing };
}

/** Resolves every secret of `root` in place; returns the problems found. */
export async function resolveSecrets(source: YamlSource, root: unknown, env: NodeJS.ProcessEnv): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const fromEnv = (path: YamlPath, value: string): string => {
    const { value: expanded, missing } = expandEnv(value, env);
    for (const name of missing) {
      issues.push(source.issue(path, 'UID_ERR_CONFIG_SECRET',
        `${formatPath(path)}: environment variable ${name} is not set; export it before starting, or use a file`));
    }
    if (missing.length === 0 && expanded === '') {
      issues.push(source.issue(path, 'UID_ERR_CONFIG_SECRET', `${formatPath(path)} is empty after substituting the environment`));
    }
    return expanded;
  };
  const fromFile = async (path: YamlPath, file: string): Promise<string | undefined> => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      issues.push(source.issue(path, 'UID_ERR_CONFIG_SECRET', `${formatPath(path)}: cannot read ${file} (${reason})`));
      return undefined;
    }
  };

  /** A file holding one secret; the newline editors and `echo` end it with is not part of it. */
  const fromSecretFile = async (path: YamlPath, file: string): Promise<string | undefined> => {
    const content = await fromFile(path, file);
    if (content === undefined) return undefined;
    const value = content.replace(/[\r\n]+$/, '');
    if (value !== '') return value;
    issues.push(source.issue(path, 'UID_ERR_CONFIG_SECRET', `${formatPath(path)}: ${file} is empty`));
    return undefined;
  };

  for (const [g, group] of records(child(root, 'accounting', 'groups'))) {
    for (const [s, server] of records(group['servers'])) {
      const at: YamlPath = ['accounting', 'groups', g, 'servers', s];
      const secret = text(server, 'secret');
      if (secret !== undefined) server['secret'] = fromEnv([...at, 'secret'], secret);
      const secretFile = text(server, 'secretFile');
      if (secretFile === undefined) continue;
      const value = await fromSecretFile([...at, 'secretFile'], secretFile);
      if (value !== undefined && secret === undefined) server['secret'] = value;
    }
  }

  // PAN-OS XML API users: `password` may be ${ENV}; `passwordFile` is read into `password`.
  for (const [u, user] of records(child(root, 'xmlApi', 'users'))) {
    const at: YamlPath = ['xmlApi', 'users', u];
    const password = text(user, 'password');
    if (password !== undefined) user['password'] = fromEnv([...at, 'password'], password);
    const passwordFile = text(user, 'passwordFile');
    if (passwordFile === undefined) continue;
    const value = await fromSecretFile([...at, 'passwordFile'], passwordFile);
    if (value !== undefined && password === undefined) user['password'] = value;
  }

  const http = child(root, 'http');
  if (!isRecord(http)) return issues;
  const tokens = Array.isArray(http['tokens']) ? (http['tokens'] as unknown[]) : undefined;
  tokens?.forEach((token, i) => {
    if (typeof token === 'string') tokens[i] = fromEnv(['http', 'tokens', i], token);
  });
  const tokensFile = text(http, 'tokensFile');
  if (tokensFile !== undefined) {
    const content = await fromFile(['http', 'tokensFile'], tokensFile);
    if (content !== undefined) {
      const fileTokens = tokenLines(content);
      if (fileTokens.length === 0) {
        issues.push(source.issue(['http', 'tokensFile'], 'UID_ERR_CONFIG_SECRET', `http.tokensFile: ${tokensFile} holds no token`));
      }
      tokens?.push(...fileTokens);
    }
  }
  return issues;
}
