import { mkdtempSync, rmSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCertificates } from '../../src/syslog/certificates.js';
import { loadServerContext } from '../../src/syslog/tls-material.js';

const made: string[] = [];
const temporary = () => { const dir = mkdtempSync(join(tmpdir(), 'uid-certs-')); made.push(dir); return dir; };
afterAll(() => { for (const dir of made) rmSync(dir, { recursive: true, force: true }); });

describe('ensureCertificates', () => {
  it('makes a usable test PKI once, and leaves it alone afterwards', async () => {
    const dir = join(temporary(), 'certs');
    expect(await ensureCertificates(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key']));
    const made = statSync(join(dir, 'server.crt')).mtimeMs;
    expect(await ensureCertificates(dir)).toBe(false);
    expect(statSync(join(dir, 'server.crt')).mtimeMs).toBe(made);
    expect(() => loadServerContext({ cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') })).not.toThrow();
  });

  it('says what failed and what to do instead', async () => {
    const dir = temporary();
    const broken = join(dir, 'broken.sh');
    writeFileSync(broken, 'echo "make-certs: something went wrong" >&2; exit 3\n');
    await expect(ensureCertificates(join(dir, 'out'), broken)).rejects.toMatchObject({
      code: 'UID_ERR_TLS_MATERIAL',
      message: expect.stringMatching(/something went wrong; or set syslog\.tls\.cert and key to your own$/),
    });
  });
});
