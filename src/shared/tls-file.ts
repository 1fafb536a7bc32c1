/**
 * The PEM files the config names for TLS (syslog, the HTTP API, TACACS+ servers, Redis),
 * read once at start or reload: one refusal for all of them, naming the setting, the path
 * and the system's reason, so an operator reads the same line whichever part it is.
 */
import { readFileSync } from 'node:fs';
import { UidError } from '../errors.js';

/** Throws UID_ERR_TLS_MATERIAL: `cannot read <setting> <path> (<code>): check the path and its permissions`. */
export function readTlsFile(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UidError('UID_ERR_TLS_MATERIAL', `cannot read ${setting} ${path} (${reason}): check the path and its permissions`, { cause: error });
  }
}
