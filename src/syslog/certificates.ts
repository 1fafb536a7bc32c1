/**
 * First-start certificates: when the TLS source's files are missing, certs/make-certs.sh
 * makes a local test PKI (CA, server and client certificates) with openssl. For trials
 * only; production points syslog.tls at its own CA's material (docs/syslog.md).
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UidError } from '../errors.js';

/** certs/make-certs.sh of this package (the same relative place from src/ and dist/). */
export const MAKE_CERTS_SCRIPT = fileURLToPath(new URL('../../certs/make-certs.sh', import.meta.url));

const FILES = ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key'] as const;

/** Makes the test PKI in `dir` unless all its files are there; true when it made them. */
export async function ensureCertificates(dir: string, script: string = MAKE_CERTS_SCRIPT): Promise<boolean> {
  const present = await Promise.all(FILES.map((name) => access(join(dir, name)).then(() => true, () => false)));
  if (present.every(Boolean)) return false;
  await new Promise<void>((resolve, reject) => {
    execFile('bash', [script, dir], { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const why = /openssl: (?:command )?not found/.test(stderr)
        ? 'openssl is not installed (apt-get install openssl)'
        : (stderr.trim().split('\n').pop() || error.message);
      reject(new UidError(
        'UID_ERR_TLS_MATERIAL',
        `cannot make test certificates in ${dir} with ${script}: ${why}; or set syslog.tls.cert and key to your own`,
        { cause: error },
      ));
    });
  });
  return true;
}
