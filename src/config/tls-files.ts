/**
 * `check` reads every certificate, key and CA file the config names (syslog TLS, HTTPS,
 * TACACS+ over TLS), so a path that is wrong or unreadable is found at its line before
 * `start` fails on it. The embedded default's syslog certificate and key are the
 * exception: `start` makes test ones on first run (src/syslog/certificates.ts). Secret and
 * token files are read when secrets are resolved (secrets.ts).
 */
import { readFile } from 'node:fs/promises';
import type { ConfigIssue } from '../errors.js';
import { child, records, text } from './loose.js';
import { formatPath, type YamlPath, type YamlSource } from './yaml-source.js';

/** The problems of every TLS file `root` (paths already absolute) names; `isDefault` skips the default's own pair. */
export async function checkTlsFiles(source: YamlSource, root: unknown, isDefault: boolean): Promise<ConfigIssue[]> {
  const wanted: [YamlPath, string][] = [];
  const collect = (at: YamlPath, keys: readonly string[]) => {
    for (const key of keys) {
      const path = text(child(root, ...(at as string[])), key);
      if (path !== undefined) wanted.push([[...at, key], path]);
    }
  };
  if (child(root, 'syslog', 'tls', 'enabled') !== false) collect(['syslog', 'tls'], isDefault ? ['ca'] : ['cert', 'key', 'ca']);
  if (child(root, 'http', 'enabled') !== false) collect(['http', 'tls'], ['cert', 'key']);
  if (text(child(root, 'accounting'), 'mode') !== 'none') {
    for (const [g, group] of records(child(root, 'accounting', 'groups'))) {
      for (const [s, server] of records(group['servers'])) {
        const at: YamlPath = ['accounting', 'groups', g, 'servers', s, 'tls'];
        for (const key of ['ca', 'cert', 'key']) {
          const path = text(server['tls'], key);
          if (path !== undefined) wanted.push([[...at, key], path]);
        }
      }
    }
  }
  const issues = await Promise.all(wanted.map(async ([at, path]) => {
    try {
      await readFile(path);
      return undefined;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return source.issue(at, 'UID_ERR_TLS_MATERIAL', `${formatPath(at)}: cannot read ${path} (${reason})${hint(at)}`);
    }
  }));
  return issues.filter((issue): issue is ConfigIssue => issue !== undefined);
}

function hint(at: YamlPath): string {
  if (at[0] !== 'syslog') return '';
  return '; make test certificates with certs/make-certs.sh (certs/README.md), point at your own, or set syslog.tls.enabled: false';
}
