/** HTTPS material for the API (`http.tls`): read and checked once, at build time. */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { UidError } from '../errors.js';

export interface HttpsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UidError('UID_ERR_TLS_MATERIAL', `cannot read http.tls.${what} ${path} (${reason}): check the path and its permissions`, { cause: err });
  }
}

/** Throws UID_ERR_TLS_MATERIAL naming the file when a PEM is unreadable or the pair unusable. */
export async function loadHttpsMaterial(paths: { readonly cert: string; readonly key: string }): Promise<HttpsMaterial> {
  const [cert, key] = await Promise.all([readPem(paths.cert, 'cert'), readPem(paths.key, 'key')]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new UidError('UID_ERR_TLS_MATERIAL',
      `http.tls.cert ${paths.cert} and http.tls.key ${paths.key} are not a usable certificate and private key pair ` +
      `(${(err as Error).message}): both must be PEM and the key must belong to the certificate`, { cause: err });
  }
  return { cert, key };
}
