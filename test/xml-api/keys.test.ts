import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyRing, MAX_KEYGENS_WAITING, TOKEN_PRINCIPAL, loadKeySecret } from '../../src/xml-api/keys.js';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../src/xml-api/password-hash.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid-xml-keys-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('password hashes', () => {
  it('verifies the password it was made from and nothing else', async () => {
    const text = await hashPassword('correct horse', { ln: 10, r: 8, p: 1 });
    expect(text).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const parsed = parsePasswordHash(text);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(await verifyPassword('correct horse', parsed)).toBe(true);
    expect(await verifyPassword('correct horse ', parsed)).toBe(false);
  });

  it('refuses what is not one, and costs out of range', () => {
    expect(parsePasswordHash('plain')).toMatch(/is not a scrypt hash/);
    expect(parsePasswordHash('$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g')).toMatch(/ln 10–20/);
  });
});

describe('key secret', () => {
  it('is made once, mode 0600, and read back the same after a restart', async () => {
    const path = join(dir, 'state', 'xml-api.secret');
    const first = await loadKeySecret(path);
    expect(((await stat(path)).mode & 0o777).toString(8)).toBe('600');
    expect((await loadKeySecret(path)).equals(first)).toBe(true);
    expect((await readFile(path, 'utf8')).trim()).toBe(first.toString('hex'));
  });

  it('refuses a file that does not hold one, rather than replacing it', async () => {
    const path = join(dir, 'xml-api.secret');
    await writeFile(path, 'garbage\n');
    await expect(loadKeySecret(path)).rejects.toMatchObject({ code: 'UID_ERR_XML_API_SECRET' });
    expect(await readFile(path, 'utf8')).toBe('garbage\n');
  });
});

describe('KeyRing', () => {
  const secret = Buffer.alloc(32, 7);

  it('derives the same key across restarts, revokes it when the password changes, and matches tokens', async () => {
    const passwordHash = await hashPassword('pw-hash', { ln: 10, r: 8, p: 1 });
    const ring = new KeyRing(secret, [{ name: 'nac', password: 'pw1' }, { name: 'hashed', passwordHash }], ['tok']);
    const key = await ring.keygen('nac', 'pw1');
    const hashedKey = await ring.keygen('hashed', 'pw-hash');
    expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(hashedKey).not.toBe(key);
    expect(ring.principal(key!)).toMatchObject({ name: 'nac', sender: 'xml-api:nac' });
    expect(ring.principal(hashedKey!)).toMatchObject({ name: 'hashed' });
    expect(ring.principal('tok')).toBe(TOKEN_PRINCIPAL);
    expect(await ring.keygen('hashed', 'wrong')).toBeUndefined();

    const restarted = new KeyRing(secret, [{ name: 'nac', password: 'pw1' }], []);
    expect(restarted.principal(key!)).toMatchObject({ name: 'nac' });
    const changed = new KeyRing(secret, [{ name: 'nac', password: 'pw2' }], []);
    expect(changed.principal(key!)).toBeUndefined();
    const otherSecret = new KeyRing(Buffer.alloc(32, 8), [{ name: 'nac', password: 'pw1' }], []);
    expect(otherSecret.principal(key!)).toBeUndefined();
  });

  it('checks passwords one at a time and turns keygens away beyond the queue, answering the rest', async () => {
    const passwordHash = await hashPassword('pw', { ln: 10, r: 8, p: 1 });
    const ring = new KeyRing(secret, [{ name: 'u', passwordHash }], []);
    const answers = await Promise.all(Array.from({ length: MAX_KEYGENS_WAITING + 5 }, (_, i) => ring.keygen('u', i % 2 === 0 ? 'pw' : 'no')));
    expect(answers.filter((a) => a === 'busy')).toHaveLength(5);
    const answered = answers.slice(0, MAX_KEYGENS_WAITING);
    expect(answered.filter((a, i) => (i % 2 === 0 ? typeof a === 'string' && a !== 'busy' : a === undefined))).toHaveLength(MAX_KEYGENS_WAITING);
    expect(await ring.keygen('u', 'pw')).toBe(answers[0]); // the queue drained
  });
});
