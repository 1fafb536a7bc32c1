/**
 * `uid-listener squid-helper` as Squid runs it (node dist/main.js, stdin/stdout): usage
 * errors exit 2 before reading anything; an unreadable token file is answered BH (named in
 * stderr, Squid's cache.log) and read again at the next lookup; HTTPS with a private CA
 * through NODE_EXTRA_CA_CERTS; and the process exits 0 when Squid closes stdin.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttpServer } from '../../src/http/server.js';
import { login } from '../mappings/support.js';
import { testPki } from '../support/certs.js';
import { MAIN } from '../support/listener.js';
import { testServer } from '../http/harness.js';

const TOKEN = 'cli-helper-token';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function api(tls = false): Promise<string> {
  const { trusted } = testPki();
  const server = await testServer({ config: { tokens: [TOKEN], ...(tls ? { tls: { cert: trusted.path('server.crt'), key: trusted.path('server.key') } } : {}) } });
  cleanups.push(() => server.app.close());
  await server.table.apply(login('10.1.2.3', 'ACME\\alice'));
  const { port } = await listenHttpServer(server.app, { host: '127.0.0.1', port: 0 });
  return `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
}

/** The helper as a child; `ask` writes one line and resolves with the next answer line. */
function helper(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, 'squid-helper', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  cleanups.push(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  const waiting: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; for (const w of waiting.splice(0)) w(); });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ask = async (line: string): Promise<string> => {
    child.stdin.write(`${line}\n`);
    while (!out.includes('\n')) await new Promise<void>((resolve) => waiting.push(resolve));
    const answer = out.slice(0, out.indexOf('\n'));
    out = out.slice(out.indexOf('\n') + 1);
    return answer;
  };
  return { child, ask, exited, stderr: () => err };
}

describe.skipIf(!existsSync(MAIN))('uid-listener squid-helper', () => {
  it('exits 2 on a missing --url, a bad URL or a bad --timeout-ms', async () => {
    for (const [args, message] of [
      [[], /--url is required/],
      [['--url', 'not a url'], /is not a URL/],
      [['--url', 'ftp://127.0.0.1/'], /http:\/\/ or https:\/\//],
      [['--url', 'http://127.0.0.1:1', '--timeout-ms', 'soon'], /--timeout-ms must be a whole number/],
    ] as const) {
      const h = helper([...args]);
      expect(await h.exited, String(args)).toBe(2);
      expect(h.stderr()).toMatch(message);
    }
  });

  it('answers BH while the token file is unreadable and uses it once it is there; exits 0 when stdin closes', async () => {
    const url = await api();
    const dir = await mkdtemp(join(tmpdir(), 'uid-helper-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const tokenFile = join(dir, 'token');
    const h = helper(['--url', url, '--token-file', tokenFile]);
    expect(await h.ask('1 10.1.2.3 -')).toMatch(/^1 BH message="cannot read --token-file .*ENOENT \(UID_ERR_CONFIG_SECRET\)"$/);
    await writeFile(tokenFile, `# the listener's token\n${TOKEN}\n`);
    expect(await h.ask('2 10.1.2.3 -')).toBe('2 OK user="ACME\\\\alice"');
    expect(await h.ask('3 10.9.9.9 -')).toBe('3 ERR');
    h.child.stdin.end();
    expect(await h.exited).toBe(0);
    expect(h.stderr()).toMatch(/1 request\(s\) answered BH: cannot read --token-file/);
  });

  it('speaks HTTPS to a listener with http.tls, trusting a private CA through NODE_EXTRA_CA_CERTS', async () => {
    const url = await api(true);
    const dir = await mkdtemp(join(tmpdir(), 'uid-helper-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'token'), TOKEN);
    const trusting = helper(['--url', url, '--token-file', join(dir, 'token')], { NODE_EXTRA_CA_CERTS: testPki().trusted.path('ca.crt') });
    expect(await trusting.ask('10.1.2.3 -')).toBe('OK user="ACME\\\\alice"');
    const untrusting = helper(['--url', url, '--token-file', join(dir, 'token')]);
    expect(await untrusting.ask('10.1.2.3 -')).toMatch(/^BH message="cannot reach the listener at https:.*\(UID_ERR_SQUID_LOOKUP\)"$/);
  });
});
