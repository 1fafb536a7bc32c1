/**
 * API keys of the PAN-OS XML API (`type=keygen`, DESIGN §5). PAN-OS gives the same key for
 * the same credentials, and scripts keep keys in files, so keys are derived, not stored:
 *
 *   key = base64url(HMAC-SHA256(server secret, "uid-listener/xml-api-key/1" NUL user NUL credential))
 *
 * where `credential` is the user's passwordHash string as configured, or the SHA-256 of the
 * password given as password / ${ENV} / passwordFile. So a key survives restarts, a second
 * keygen returns the same key (the first keeps working), it is made of URL-safe characters
 * only (clients append it unencoded), and changing the user's password revokes it. The
 * server secret (32 random bytes, hex, mode 0600) is made on the first start at
 * `xmlApi.keySecretFile`; without it a key could be computed from the config file alone
 * (a passwordHash is meant to be committable). Deleting the file revokes every key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { XmlApiUserConfig } from '../config/schema.js';
import { UidError } from '../errors.js';
import { createSecretMatcher, sha256 } from '../shared/secret-match.js';
import { parsePasswordHash, verifyPassword, type PasswordHash } from './password-hash.js';

/** Who pushed: a configured user, or a holder of an http.tokens bearer token. */
export interface Principal {
  readonly name: string;
  /** The sender of its events, `xml-api:<name>` (the TACACS+ `port` of its records). */
  readonly sender: string;
  /** The sender rule of DESIGN §5 for its pushes. */
  readonly timeoutMinutes?: number;
}

/** The principal behind `http.tokens` used as keys. */
export const TOKEN_PRINCIPAL: Principal = { name: 'http-token', sender: 'xml-api:http-token' };

interface Account {
  readonly principal: Principal;
  readonly key: string;
  readonly verify: (password: string) => Promise<boolean>;
}

const SECRET_BYTES = 32;
/**
 * Keygens waiting for their password check, at most. Checks run one at a time: scrypt runs
 * on libuv's thread pool (4 threads), which the snapshot and the accounting spool need too,
 * so a flood of keygens from the network must not occupy it; beyond this many waiting, a
 * keygen is turned away (`busy`).
 */
export const MAX_KEYGENS_WAITING = 32;

/** Reads the server secret, making it on first use. Throws UID_ERR_XML_API_SECRET when neither works. */
export async function loadKeySecret(path: string): Promise<Buffer> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (!/^[0-9a-f]{64}$/.test(text)) {
      throw new UidError('UID_ERR_XML_API_SECRET', `${path} does not hold a 64-digit hex secret: delete it to have a new one made (every API key changes)`);
    }
    return Buffer.from(text, 'hex');
  } catch (error) {
    if (error instanceof UidError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw secretError(path, error);
  }
  const secret = randomBytes(SECRET_BYTES);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process made it first: use theirs, so both derive the same keys.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadKeySecret(path);
    throw secretError(path, error);
  }
  return secret;
}

function secretError(path: string, error: unknown): UidError {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new UidError('UID_ERR_XML_API_SECRET', `cannot read or make the XML API key secret ${path} (${reason}): check xmlApi.keySecretFile and its folder's permissions`, { cause: error });
}

export function deriveKey(secret: Buffer, user: string, credential: string): string {
  return createHmac('sha256', secret).update(`uid-listener/xml-api-key/1\0${user}\0${credential}`).digest('base64url');
}

/** Users and their keys, compiled once from config (users with their secrets resolved). */
export class KeyRing {
  readonly #accounts = new Map<string, Account>();
  readonly #match: (presented: string) => Principal | undefined;
  /** Checked when the user is unknown, so timing does not tell which names exist. */
  readonly #decoy: PasswordHash;

  constructor(secret: Buffer, users: readonly XmlApiUserConfig[], tokens: readonly string[]) {
    for (const user of users) {
      const principal: Principal = { name: user.name, sender: `xml-api:${user.name}`, ...(user.timeoutMinutes === undefined ? {} : { timeoutMinutes: user.timeoutMinutes }) };
      this.#accounts.set(user.name, account(secret, principal, user));
    }
    this.#decoy = { ln: 15, r: 8, p: 1, salt: randomBytes(16), hash: randomBytes(32) };
    this.#match = createSecretMatcher([
      ...[...this.#accounts.values()].map((a) => [a.key, a.principal] as const),
      ...tokens.map((token) => [token, TOKEN_PRINCIPAL] as const),
    ]);
  }

  #checking: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  /** `type=keygen`: the user's key, undefined for a wrong user or password, or `busy` when too many wait. */
  async keygen(user: string, password: string): Promise<string | undefined | 'busy'> {
    if (this.#waiting >= MAX_KEYGENS_WAITING) return 'busy';
    this.#waiting++;
    const turn = this.#checking.then(() => this.#check(user, password));
    this.#checking = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.#waiting--;
    }
  }

  async #check(user: string, password: string): Promise<string | undefined> {
    const found = this.#accounts.get(user);
    if (found === undefined) {
      await verifyPassword(password, this.#decoy);
      return undefined;
    }
    return (await found.verify(password)) ? found.key : undefined;
  }

  /** Whose key (or http.tokens token) this is. */
  principal(key: string): Principal | undefined {
    return this.#match(key);
  }
}

function account(secret: Buffer, principal: Principal, user: XmlApiUserConfig): Account {
  if (user.passwordHash !== undefined) {
    const parsed = parsePasswordHash(user.passwordHash);
    if (typeof parsed === 'string') throw new UidError('UID_ERR_CONFIG_VALUE', `xmlApi.users "${user.name}": passwordHash ${parsed}`);
    return { principal, key: deriveKey(secret, user.name, user.passwordHash), verify: (password) => verifyPassword(password, parsed) };
  }
  const password = user.password;
  if (password === undefined) throw new UidError('UID_ERR_CONFIG_VALUE', `xmlApi.users "${user.name}" has no password, passwordFile or passwordHash`);
  const expected = sha256(password);
  return {
    principal,
    key: deriveKey(secret, user.name, expected.toString('hex')),
    verify: async (given) => timingSafeEqual(sha256(given), expected),
  };
}
