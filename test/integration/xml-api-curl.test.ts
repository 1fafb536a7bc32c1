/**
 * A PAN-OS script's calls, made by real curl over HTTPS against a running listener (as
 * the PAN-OS XML API docs show them: keygen, uid-message login/logout with per-entry
 * timeouts as cmd= and as -F file=@…, show user ip-user-mapping), the answers read element
 * by element with fast-xml-parser. Bad XML, an entity declaration and a bad key are each
 * refused and change nothing.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../support/certs.js';
import { ListenerProcess, cleanupListeners } from '../support/listener.js';
import { readAnswer, uidMessage, type PanAnswer } from '../xml-api/support.js';

const run = promisify(execFile);
const PASSWORD = 'p@ss w&rd=1';
let listener: ListenerProcess;
let base: string;
let ca: string;

/** curl with the test CA; returns the HTTP status, the content type and the answer. */
async function curl(args: string[], path = '/api/'): Promise<{ status: number; type: string; answer: PanAnswer }> {
  const { stdout } = await run('curl', ['-sS', '--cacert', ca, '-w', '\n%{http_code}\n%{content_type}', ...args, `${base}${path}`]);
  const lines = stdout.split('\n');
  const type = lines.pop()!;
  const status = Number(lines.pop());
  return { status, type, answer: readAnswer(lines.join('\n')) };
}

const entries = (answer: PanAnswer) => ((answer.result as { entry?: Record<string, string>[] }).entry ?? []);

async function showAll(key: string): Promise<Record<string, string>[]> {
  const { answer } = await curl(['-G', '--data-urlencode', 'type=op', '--data-urlencode', 'cmd=<show><user><ip-user-mapping><all></all></ip-user-mapping></user></show>', '-d', `key=${key}`]);
  expect(answer.status).toBe('success');
  return entries(answer);
}

beforeAll(async () => {
  const pki = testPki().trusted;
  ca = pki.path('ca.crt');
  listener = await ListenerProcess.start({
    env: { NAC_PASSWORD: PASSWORD },
    config: {
      http: { tls: { cert: pki.path('server.crt'), key: pki.path('server.key') } },
      xmlApi: { users: [{ name: 'nac', password: '${NAC_PASSWORD}' }] },
    },
  });
  base = `https://127.0.0.1:${listener.ports.http}`;
}, 60_000);
afterAll(() => cleanupListeners());

describe('a PAN-OS script against the listener, with curl over HTTPS', () => {
  let key: string;

  it('gets a key with type=keygen, the same one twice, and refuses a wrong password with 403', async () => {
    const first = await curl(['-d', 'type=keygen', '-d', 'user=nac', '--data-urlencode', `password=${PASSWORD}`]);
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/^application\/xml/);
    key = (first.answer.result as { key: string }).key;
    expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await curl(['-G', '-d', 'type=keygen', '-d', 'user=nac', '--data-urlencode', `password=${PASSWORD}`]);
    expect((second.answer.result as { key: string }).key).toBe(key);
    const wrong = await curl(['-d', 'type=keygen', '-d', 'user=nac', '-d', 'password=nope']);
    expect(wrong.status).toBe(403);
    expect(wrong.answer).toMatchObject({ status: 'error', code: '403' });
  });

  it('learns what it talks to from show system info (key appended unencoded)', async () => {
    const cmd = encodeURIComponent('<show><system><info></info></system></show>');
    const { answer } = await curl([], `/api/?type=op&cmd=${cmd}&key=${key}`);
    expect((answer.result as { system: Record<string, string> }).system).toMatchObject({ 'sw-version': '10.2.0', 'multi-vsys': 'off' });
  });

  it('pushes logins with their own timeouts as cmd=, logs out with -F file=@…, and sees it in show ip-user-mapping', async () => {
    const login = uidMessage('<login><entry name="ACME\\jdoe" ip="10.20.0.1" timeout="20"/><entry name="ACME\\kiosk" ip="2001:db8::20" timeout="0"/>' +
      '<entry name="bob" ip="10.20.0.2"/></login>');
    const pushed = await curl(['--data-urlencode', 'type=user-id', '--data-urlencode', `cmd=${login}`, '-H', `X-PAN-KEY: ${key}`]);
    expect(pushed.answer.status).toBe('success');

    let shown = await showAll(key);
    const byIp = new Map(shown.map((e) => [e['ip'], e]));
    expect(byIp.get('10.20.0.1')).toMatchObject({ user: 'ACME\\jdoe', vsys: 'vsys1', type: 'XMLAPI' });
    expect(Number(byIp.get('10.20.0.1')!['timeout'])).toBeGreaterThan(20 * 60 - 30);
    expect(Number(byIp.get('10.20.0.1')!['timeout'])).toBeLessThanOrEqual(20 * 60);
    expect(byIp.get('2001:db8::20')).toMatchObject({ timeout: 'Never' });
    expect(Number(byIp.get('10.20.0.2')!['timeout'])).toBeGreaterThan(45 * 60 - 30); // mappings.timeoutMinutes

    const file = join(listener.dir, 'logout.xml');
    await writeFile(file, uidMessage('<logout><entry name="ACME\\jdoe" ip="10.20.0.1"/><entry ip="2001:db8::20"/></logout>'));
    const loggedOut = await curl(['-F', `key=${key}`, '-F', `file=@${file}`], '/api/?type=user-id');
    expect(loggedOut.answer.status).toBe('success');
    shown = await showAll(key);
    expect(shown.map((e) => e['ip'])).toEqual(['10.20.0.2']);

    const one = await curl(['-G', '--data-urlencode', 'type=op', '--data-urlencode', 'cmd=<show><user><ip-user-mapping><ip>10.20.0.9</ip></ip-user-mapping></user></show>', '-d', `key=${key}`]);
    expect(one.answer.status).toBe('success');
    expect(entries(one.answer)).toEqual([]);

    // The JSON API sees the same mapping with its own timeout (bearer tokens are not configured here).
    const { stdout } = await run('curl', ['-sS', '--cacert', ca, `${base}/v1/mappings/10.20.0.2`]);
    expect(JSON.parse(stdout)).toMatchObject({ user: 'bob', sender: 'xml-api:nac', profile: 'xml-api', timeoutSeconds: 2700 });
  });

  it('refuses bad XML, an entity declaration and a bad key, and none of them changes anything', async () => {
    const before = await showAll(key);
    const bad = await curl(['-d', 'type=user-id', '-d', `key=${key}`, '--data-urlencode', 'cmd=<uid-message><payload><login><entry name="x" ip="10.20.0.7"/></payload>']);
    expect(bad.answer).toMatchObject({ status: 'error', code: '18' });
    const entity = await curl(['-d', 'type=user-id', '-d', `key=${key}`, '--data-urlencode',
      `cmd=<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>${uidMessage('<login><entry name="&x;" ip="10.20.0.7"/></login>')}`]);
    expect(entity.answer).toMatchObject({ status: 'error', code: '18' });
    const badKey = await curl(['-d', 'type=user-id', '-d', 'key=AAAA', '--data-urlencode', `cmd=${uidMessage('<login><entry name="x" ip="10.20.0.7"/></login>')}`]);
    expect(badKey.status).toBe(403);
    expect(badKey.answer).toMatchObject({ status: 'error', code: '403' });
    expect(await showAll(key)).toEqual(before);
  });
});
