/**
 * Relative paths in a config file resolve against that file's folder (DESIGN §3), so a
 * config works the same from any working directory. The embedded default resolves against
 * the package root. This is the one list of config keys that hold paths.
 */
import { resolve } from 'node:path';
import { child, isRecord, records } from './loose.js';

/** Rewrites every path-valued key of `root` (a validated or partly valid config) to an absolute path. */
export function resolveConfigPaths(root: unknown, baseDir: string): void {
  const at = (node: unknown, ...keys: string[]) => {
    if (!isRecord(node)) return;
    for (const key of keys) {
      const value = node[key];
      if (typeof value === 'string' && value.length > 0) node[key] = resolve(baseDir, value);
    }
  };
  at(root, 'profilesDir');
  at(child(root, 'syslog', 'tls'), 'cert', 'key', 'ca');
  at(child(root, 'mappings', 'snapshot'), 'path');
  at(child(root, 'http'), 'tokensFile');
  at(child(root, 'http', 'tls'), 'cert', 'key');
  at(child(root, 'accounting'), 'spool');
  at(child(root, 'xmlApi'), 'keySecretFile');
  for (const [, user] of records(child(root, 'xmlApi', 'users'))) at(user, 'passwordFile');
  at(child(root, 'log', 'audit'), 'path');
  for (const [, group] of records(child(root, 'accounting', 'groups'))) {
    for (const [, server] of records(group['servers'])) {
      at(server, 'secretFile');
      at(server['tls'], 'ca', 'cert', 'key');
    }
  }
}
