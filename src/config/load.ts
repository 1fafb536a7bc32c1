/**
 * Loads the main config (a file, or the embedded default) and its profile directory.
 * Either everything is right and the result is complete (defaults filled, paths absolute,
 * secrets resolved, profiles compiled), or a ConfigError lists every issue at once, sorted
 * by file and position: YAML syntax, schema, semantic checks, secrets and profiles.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { ProfileSet } from '../identify/profile-set.js';
import { checkConfig, configWarnings } from './checks.js';
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_YAML, PACKAGE_ROOT } from './default-config.js';
import { text } from './loose.js';
import { resolveConfigPaths } from './paths.js';
import { loadProfiles } from './profiles.js';
import { ConfigSchema, type Config } from './schema.js';
import { resolveSecrets } from './secrets.js';
import { validate, YamlSource } from './yaml-source.js';

export interface LoadedConfig {
  readonly config: Config;
  /** The config file's absolute path, or `(embedded default)`. */
  readonly source: string;
  readonly profiles: ProfileSet;
  /** Allowed but unwise (a password written in the file): `check` prints them, `start` logs them. */
  readonly warnings: readonly ConfigIssue[];
}

/** Loads `file`, or the embedded default when `file` is undefined; `env` supplies `${NAME}` secrets. */
export async function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const { name, text: yaml, baseDir } = file === undefined
    ? { name: DEFAULT_CONFIG_NAME, text: DEFAULT_CONFIG_YAML, baseDir: PACKAGE_ROOT }
    : await readConfigFile(file);

  const parsed = YamlSource.parse(name, yaml);
  // A document with syntax errors has no reliable structure: more checks would only add noise.
  if (parsed.issues.length > 0) throw new ConfigError(parsed.issues);
  const { source } = parsed;
  const { value: root, issues } = validate(source, ConfigSchema, source.toValue());
  resolveConfigPaths(root, baseDir);

  const profilesDir = text(root, 'profilesDir');
  const loaded = profilesDir === undefined ? undefined : await loadProfiles(profilesDir);
  // Before secrets: resolving secretFile fills `secret`, which the one-of check must not see.
  issues.push(...checkConfig(source, root, loaded?.profiles.names));
  const warnings = configWarnings(source, root);
  issues.push(...(await resolveSecrets(source, root, env)));
  if (loaded) issues.push(...loaded.issues);
  if (issues.length > 0 || loaded === undefined) throw new ConfigError(sortIssues(issues));

  fillServerPorts(root);
  return { config: root, source: name, profiles: loaded.profiles, warnings };
}

async function readConfigFile(file: string): Promise<{ name: string; text: string; baseDir: string }> {
  const name = resolve(file);
  try {
    return { name, text: await readFile(name, 'utf8'), baseDir: dirname(name) };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError([{ code: 'UID_ERR_CONFIG_FILE', file: name, line: 1, col: 1, message: `cannot read the config file (${reason})` }]);
  }
}

/** TACACS+ listens on 49 (RFC 8907 §4); over TLS on 300 (RFC 9887 §4). */
function fillServerPorts(config: Config): void {
  for (const group of config.accounting.groups) {
    for (const server of group.servers) server.port ??= server.tls ? 300 : 49;
  }
}

/** Files in the order they first appear (the config before its profiles), each by line and column. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const fileOrder = new Map<string, number>();
  for (const issue of issues) if (!fileOrder.has(issue.file)) fileOrder.set(issue.file, fileOrder.size);
  return [...issues].sort((a, b) =>
    fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col);
}
