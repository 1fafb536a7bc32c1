/**
 * Certificate, key and CA files into a TLS server context, with errors that name the file
 * (UID_ERR_TLS_MATERIAL). TLS 1.2 is the floor (RFC 5425 §4.2 asks for TLS; 1.0/1.1 are
 * deprecated by RFC 8996).
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { UidError } from '../errors.js';
import { readTlsFile } from '../shared/tls-file.js';

export interface TlsMaterialPaths {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string | undefined;
}

export function loadServerContext(paths: TlsMaterialPaths): SecureContext {
  const cert = readTlsFile('syslog.tls.cert', paths.cert);
  const key = readTlsFile('syslog.tls.key', paths.key);
  const ca = paths.ca === undefined ? undefined : readTlsFile('syslog.tls.ca', paths.ca);
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
