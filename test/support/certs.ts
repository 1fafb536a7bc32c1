/**
 * Test PKIs made by the shipped certs/make-certs.sh, once per test worker: `trusted` is
 * the one servers are configured with; `other` is an unrelated CA whose client
 * certificate a server must refuse.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Pki {
  readonly dir: string;
  readonly path: (name: 'ca.crt' | 'server.crt' | 'server.key' | 'client.crt' | 'client.key') => string;
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
}

const script = fileURLToPath(new URL('../../certs/make-certs.sh', import.meta.url));
let cache: { trusted: Pki; other: Pki } | undefined;

function make(label: string): Pki {
  const dir = mkdtempSync(join(tmpdir(), `uid-pki-${label}-`));
  execFileSync('bash', [script, dir], { stdio: 'pipe' });
  const path: Pki['path'] = (name) => join(dir, name);
  return {
    dir,
    path,
    ca: readFileSync(path('ca.crt')),
    serverCert: readFileSync(path('server.crt')),
    serverKey: readFileSync(path('server.key')),
    clientCert: readFileSync(path('client.crt')),
    clientKey: readFileSync(path('client.key')),
  };
}

export function testPki(): { trusted: Pki; other: Pki } {
  cache ??= { trusted: make('trusted'), other: make('other') };
  return cache;
}
