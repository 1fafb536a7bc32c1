/** HTTPS material for the API (`http.tls`): read and checked once, at build time. */
import { createSecureContext } from 'node:tls';
import { UidError } from '../errors.js';
import { readTlsFile } from '../shared/tls-file.js';

export interface HttpsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Throws UID_ERR_TLS_MATERIAL naming the file when a PEM is unreadable or the pair unusable. */
export function loadHttpsMaterial(paths: { readonly cert: string; readonly key: string }): HttpsMaterial {
  const cert = readTlsFile('http.tls.cert', paths.cert);
  const key = readTlsFile('http.tls.key', paths.key);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new UidError('UID_ERR_TLS_MATERIAL',
      `http.tls.cert ${paths.cert} and http.tls.key ${paths.key} are not a usable certificate and private key pair ` +
      `(${(err as Error).message}): both must be PEM and the key must belong to the certificate`, { cause: err });
  }
  return { cert, key };
}
