/**
 * Certificate, key and CA files into a TLS server context, with errors that name the file
 * (UID_ERR_TLS_MATERIAL). TLS 1.2 is the floor (RFC 5425 §4.2 asks for TLS; 1.0/1.1 are
 * deprecated by RFC 8996).
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import { UidError } from '../errors.js';

export interface TlsMaterialPaths {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string | undefined;
}

export function loadServerContext(paths: TlsMaterialPaths): SecureContext {
  const cert = readMaterial(paths.cert, 'certificate (syslog.tls.cert)');
  const key = readMaterial(paths.key, 'private key (syslog.tls.key)');
  const ca = paths.ca === undefined ? undefined : readMaterial(paths.ca, 'CA certificate (syslog.tls.ca)');
  try {
    return createSecureContext({ cert, key, ca, minVersion: 'TLSv1.2' });
  } catch (error) {
    const files = [paths.cert, paths.key, ...(paths.ca ? [paths.ca] : [])].join(', ');
    throw new UidError(
      'UID_ERR_TLS_MATERIAL',
      `cannot use the TLS material in ${files}: ${(error as Error).message} (is the key the certificate's, and are all files PEM?)`,
      { cause: error },
    );
  }
}

function readMaterial(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UidError('UID_ERR_TLS_MATERIAL', `cannot read the TLS ${what} ${path}: ${why}`, { cause: error });
  }
}
