/**
 * Password hashes for `xmlApi.users[].passwordHash`: scrypt (RFC 7914) from node:crypto,
 * written in the PHC string format the passlib/argon2 world uses:
 *
 *   $scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt, base64>$<hash, base64>
 *
 * base64 without padding (standard or URL alphabet both read). `uid-listener hash-password`
 * prints one (ln=15, r=8, p=1, 16 random salt bytes, 32 hash bytes).
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  readonly ln: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export const DEFAULT_COST = { ln: 15, r: 8, p: 1 } as const;

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/_-]{11,})\$([A-Za-z0-9+/_-]{22,})$/;

function scrypt(password: string, salt: Buffer, length: number, cost: { ln: number; r: number; p: number }): Promise<Buffer> {
  const N = 2 ** cost.ln;
  // Node refuses above 32 MiB by default; scrypt needs 128·N·r bytes, so allow twice that.
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A new PHC string for `password`. */
export async function hashPassword(password: string, cost: { ln: number; r: number; p: number } = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, cost);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${unpadded(salt)}$${unpadded(hash)}`;
}

/** The parts of a PHC string, or a sentence saying why it is not one this build reads. */
export function parsePasswordHash(text: string): PasswordHash | string {
  const m = PHC.exec(text);
  if (!m) return 'is not a scrypt hash of the form $scrypt$ln=15,r=8,p=1$<salt>$<hash> (make one with: uid-listener hash-password)';
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || p < 1 || p > 16) return `has cost ln=${ln},r=${r},p=${p}; this build accepts ln 10–20, r ≥ 1, p 1–16`;
  return { ln, r, p, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') };
}

/** Whether `password` hashes to `expected` (compared in constant time). */
export async function verifyPassword(password: string, expected: PasswordHash): Promise<boolean> {
  const actual = await scrypt(password, expected.salt, expected.hash.length, expected);
  return timingSafeEqual(actual, expected.hash);
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
