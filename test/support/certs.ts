/**
 * The test PKIs made once per run by global-setup.ts: `trusted` is the one servers are
 * configured with; `other` is an unrelated CA whose client certificate a server must refuse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

export interface Pki {
  readonly dir: string;
  readonly path: (name: 'ca.crt' | 'server.crt' | 'server.key' | 'client.crt' | 'client.key') => string;
  readonly ca: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
}

let cache: { trusted: Pki; other: Pki } | undefined;

function read(dir: string): Pki {
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
  const dir = inject('pkiDir');
  cache ??= { trusted: read(join(dir, 'trusted')), other: read(join(dir, 'other')) };
  return cache;
}
