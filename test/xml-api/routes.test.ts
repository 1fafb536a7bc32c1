import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FORM, form, readAnswer, uidMessage, xmlApiServer, type XmlApiServer } from './support.js';

let server: XmlApiServer;
let key: string;

async function post(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await server.app.inject({ method: 'POST', url: '/api/', headers: { ...FORM, ...headers }, payload: form(fields) });
  expect(res.headers['content-type']).toMatch(/^application\/xml/);
  return { res, answer: readAnswer(res.body) };
}

async function push(payload: string, more: Record<string, string> = {}) {
  return post({ type: 'user-id', key, cmd: uidMessage(payload), ...more });
}

async function op(cmd: string) {
  return post({ type: 'op', key, cmd });
}

function metric(name: string): Promise<string> {
  return server.registry.getSingleMetricAsString(name);
}

beforeEach(async () => {
  server = await xmlApiServer({ tokens: ['tok-1'] });
  const { answer } = await post({ type: 'keygen', user: 'nac', password: 's3cret pass' });
  key = (answer.result as { key: string }).key;
});
afterEach(() => server.close());

describe('type=keygen', () => {
  it('gives a URL-safe key that is the same on every keygen, and both work', async () => {
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await server.app.inject({ method: 'GET', url: '/api?type=keygen&user=nac&password=s3cret%20pass' });
    expect(res.statusCode).toBe(200);
    expect(readAnswer(res.body)).toMatchObject({ status: 'success', result: { key } });
    expect((await op('<show><system><info/></system></show>')).answer.status).toBe('success');
  });

  it('gives another user another key', async () => {
    const { answer } = await post({ type: 'keygen', user: 'portal', password: 'other' });
    expect((answer.result as { key: string }).key).not.toBe(key);
  });

  it.each([['nac', 'wrong'], ['nobody', 's3cret pass'], ['NAC', 's3cret pass']])('refuses %s / %s with HTTP 403 and code 403', async (user, password) => {
    const { res, answer } = await post({ type: 'keygen', user, password });
    expect(res.statusCode).toBe(403);
    expect(answer).toMatchObject({ status: 'error', code: '403' });
    expect(answer.message).toMatch(/^UID_ERR_XML_API_KEY: Invalid Credential/);
  });

  it('asks for user and password', async () => {
    const { res, answer } = await post({ type: 'keygen', user: 'nac' });
    expect(res.statusCode).toBe(400);
    expect(answer).toMatchObject({ status: 'error', code: '400' });
  });
});

describe('the key', () => {
  it('is taken as key=, as the X-PAN-KEY header, and an http.tokens token is one too; no Authorization needed', async () => {
    const cmd = '<show><system><info/></system></show>';
    expect((await post({ type: 'op', cmd }, { 'x-pan-key': key })).answer.status).toBe('success');
    expect((await post({ type: 'op', cmd, key: 'tok-1' })).answer.status).toBe('success');
    const get = await server.app.inject({ method: 'GET', url: `/api/?type=op&key=${key}&cmd=${encodeURIComponent(cmd)}` });
    expect(readAnswer(get.body).status).toBe('success');
  });

  it('refuses a missing or wrong key with HTTP 403 and changes nothing', async () => {
    for (const fields of [{}, { key: 'not-a-key' }, { key: `${key}x` }] as Record<string, string>[]) {
      const { res, answer } = await post({ type: 'user-id', cmd: uidMessage('<login><entry name="jdoe" ip="10.1.2.3"/></login>'), ...fields });
      expect(res.statusCode).toBe(403);
      expect(answer).toMatchObject({ status: 'error', code: '403' });
    }
    expect(server.table.size).toBe(0);
    expect(await metric('uid_xml_api_requests_total')).toMatch(/type="user-id",outcome="forbidden"} 3/);
  });

  it('leaves the JSON API to bearer tokens', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/v1/mappings/10.1.2.3', headers: { 'x-pan-key': key } });
    expect(res.statusCode).toBe(401);
  });
});

describe('type=user-id', () => {
  it('applies every login with its own timeout, IPv4 and IPv6, from sender xml-api:<user>', async () => {
    const { res, answer } = await push(
      '<login><entry name="ACME\\jdoe" ip="10.1.2.3" timeout="20"/><entry name="bob@acme.com" ip="2001:DB8::1" timeout="0"/>' +
      '<entry name="carol" ip="10.1.2.5"/></login>', { vsys: 'vsys1' });
    expect(res.statusCode).toBe(200);
    expect(answer.status).toBe('success');
    expect(server.table.get('10.1.2.3')).toMatchObject({ user: 'ACME\\jdoe', sender: 'xml-api:nac', profile: 'xml-api', timeoutMs: 20 * 60_000 });
    expect(server.table.get('2001:db8::1')).toMatchObject({ user: 'bob@acme.com', timeoutMs: 0, expiresAt: Infinity });
    expect(server.table.get('10.1.2.5')).toMatchObject({ timeoutMs: 45 * 60_000 }); // mappings.timeoutMinutes
    expect(await metric('uid_xml_api_entries_total')).toMatch(/event="login"} 3/);
  });

  it('gives the sender rule its place: a user\'s timeoutMinutes applies to its pushes without timeout=', async () => {
    const { answer } = await post({ type: 'keygen', user: 'portal', password: 'other' });
    const portalKey = (answer.result as { key: string }).key;
    await post({ type: 'user-id', key: portalKey, cmd: uidMessage('<login><entry name="d" ip="10.0.0.4"/><entry name="e" ip="10.0.0.5" timeout="3"/></login>') });
    expect(server.table.get('10.0.0.4')).toMatchObject({ sender: 'xml-api:portal', timeoutMs: 7 * 60_000 });
    expect(server.table.get('10.0.0.5')).toMatchObject({ timeoutMs: 3 * 60_000 });
  });

  it('applies logins before logouts; a logout without name ends whoever is there, one naming another user leaves it', async () => {
    await push('<login><entry name="a" ip="10.0.0.1"/><entry name="b" ip="10.0.0.2"/><entry name="c" ip="10.0.0.3"/></login>');
    await push('<logout><entry ip="10.0.0.1"/><entry name="someone-else" ip="10.0.0.2"/></logout>' +
      '<login><entry name="d" ip="10.0.0.4"/></login><logout><entry name="d" ip="10.0.0.4"/></logout>');
    expect(server.table.get('10.0.0.1')).toBeUndefined();
    expect(server.table.get('10.0.0.2')).toMatchObject({ user: 'b' });
    expect(server.table.get('10.0.0.4')).toBeUndefined(); // logged in, then out, in that order
    expect(server.changes.map((c) => [c.kind, c.mapping.ip])).toEqual([
      ['added', '10.0.0.1'], ['added', '10.0.0.2'], ['added', '10.0.0.3'], ['added', '10.0.0.4'], ['removed', '10.0.0.1'], ['removed', '10.0.0.4'],
    ]);
  });

  const refusals: [string, string, string, RegExp][] = [ // what, cmd, PAN-OS code, message
    ['malformed XML', '<uid-message><payload><login><entry name="a" ip="10.0.0.9"/></login></payload>', '18', /not well-formed/],
    ['a DOCTYPE with an entity', '<!DOCTYPE x [<!ENTITY e "boom">]>' + uidMessage('<login><entry name="&e;" ip="10.0.0.9"/></login>'), '18', /declares <!DOCTYPE/],
    ['a bad entry among good ones', uidMessage('<login><entry name="a" ip="10.0.0.9"/><entry name="b" ip="10.0.0.300"/></login>'), '18', /entry 2: ip "10\.0\.0\.300"/],
    ['a login without name', uidMessage('<login><entry ip="10.0.0.9"/></login>'), '18', /name is missing/],
    ['a bad timeout', uidMessage('<login><entry name="a" ip="10.0.0.9" timeout="-5"/></login>'), '18', /timeout "-5"/],
    ['another root element', '<config><login/></config>', '18', /must be a <uid-message>/],
    ['register (tags) beside a login', uidMessage('<login><entry name="a" ip="10.0.0.9"/></login><register><entry ip="10.0.0.9"><tag><member>t</member></tag></entry></register>'), '17', /does not implement <register>/],
    ['groups and register-user', uidMessage('<groups><entry name="g"/></groups><register-user><entry user="a"/></register-user>'), '17', /<groups>, <register-user>/],
  ];
  it.each(refusals)('refuses %s, applies nothing', async (_what, cmd, code, message) => {
    const { res, answer } = await post({ type: 'user-id', key, cmd });
    expect(res.statusCode).toBe(200);
    expect(answer).toMatchObject({ status: 'error', code });
    expect(answer.message).toMatch(message);
    expect(server.table.size).toBe(0);
  });

  it('refuses a body over xmlApi.maxBodyBytes with HTTP 413, code 400, and counts it', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `<entry name="u${i}" ip="10.9.${i >> 8}.${(i & 255) + 1}"/>`).join('');
    const { res, answer } = await push(`<login>${many}</login>`);
    expect(res.statusCode).toBe(413);
    expect(answer).toMatchObject({ status: 'error', code: '400' });
    expect(answer.message).toMatch(/^UID_ERR_XML_API_TOO_LARGE/);
    expect(server.table.size).toBe(0);
    expect(await metric('uid_xml_api_requests_total')).toMatch(/outcome="too_large"} 1/);
  });

  it('takes the multipart form curl -F sends: key as a field, the message as the file part', async () => {
    const boundary = 'x-boundary-1';
    const part = (name: string, value: string, file = false) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="login.xml"\r\nContent-Type: application/xml' : ''}\r\n\r\n${value}\r\n`;
    const payload = part('key', key) + part('file', uidMessage('<login><entry name="jdoe" ip="10.7.7.7" timeout="5"/></login>'), true) + `--${boundary}--\r\n`;
    const res = await server.app.inject({ method: 'POST', url: '/api/?type=user-id', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(readAnswer(res.body).status).toBe('success');
    expect(server.table.get('10.7.7.7')).toMatchObject({ user: 'jdoe', timeoutMs: 5 * 60_000 });
  });

  it('refuses another vsys, and a body of another content type, as PAN-OS errors', async () => {
    expect((await push('<login/>', { vsys: 'vsys2' })).answer).toMatchObject({ status: 'error', code: '400' });
    const res = await server.app.inject({ method: 'POST', url: '/api/', headers: { 'content-type': 'application/octet-stream' }, payload: 'type=op' });
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(readAnswer(res.body)).toMatchObject({ status: 'error', code: '400' });
  });
});

describe('type=op', () => {
  beforeEach(async () => {
    await push('<login><entry name="ACME\\jdoe" ip="10.1.2.3" timeout="20"/><entry name="ACME\\jdoe" ip="10.1.2.4" timeout="0"/></login>');
    server.table.apply({ event: 'login', user: 'ACME\\bob', ip: '10.1.2.9', profile: 'traps-esm-leef', sender: 'esm' });
  });

  const entries = (result: unknown) => ((result as { entry?: Record<string, string>[] }).entry ?? []);

  it('shows one address with PAN-OS fields: vsys1, type, user as pushed, seconds left', async () => {
    const { answer } = await op('<show><user><ip-user-mapping><ip>10.1.2.3</ip></ip-user-mapping></user></show>');
    expect(answer.status).toBe('success');
    const [entry, ...rest] = entries(answer.result);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ ip: '10.1.2.3', vsys: 'vsys1', type: 'XMLAPI', user: 'ACME\\jdoe' });
    expect(Number(entry!['timeout'])).toBeGreaterThan(20 * 60 - 5);
    expect(Number(entry!['timeout'])).toBeLessThanOrEqual(20 * 60);
    expect(entry!['idle_timeout']).toBe(entry!['timeout']);
  });

  it('answers an unmapped address with success and no entry', async () => {
    const { answer } = await op('<show><user><ip-user-mapping><ip>10.200.0.1</ip></ip-user-mapping></user></show>');
    expect(answer.status).toBe('success');
    expect(entries(answer.result)).toEqual([]);
  });

  it('lists all with a count, by type, and by user; a mapping until logout shows Never', async () => {
    const all = (await op('<show><user><ip-user-mapping><all/></ip-user-mapping></user></show>')).answer;
    expect((all.result as { count: string }).count).toBe('3');
    expect(entries(all.result).map((e) => [e['ip'], e['type']]).sort()).toEqual([['10.1.2.3', 'XMLAPI'], ['10.1.2.4', 'XMLAPI'], ['10.1.2.9', 'SYSLOG']]);
    expect(entries(all.result).find((e) => e['ip'] === '10.1.2.4')).toMatchObject({ timeout: 'Never', idle_timeout: 'Never' });
    const syslog = (await op('<show><user><ip-user-mapping><all><type>SYSLOG</type></all></ip-user-mapping></user></show>')).answer;
    expect(entries(syslog.result).map((e) => e['ip'])).toEqual(['10.1.2.9']);
    expect((syslog.result as { count: string }).count).toBe('1');
    const user = (await op('<show><user><ip-user-mapping><user>acme\\JDOE</user></ip-user-mapping></user></show>')).answer;
    expect(entries(user.result).map((e) => e['ip']).sort()).toEqual(['10.1.2.3', '10.1.2.4']);
  });

  it('answers show system info as a single-vsys firewall with a PAN-OS sw-version', async () => {
    const { answer } = await op('<show><system><info></info></system></show>');
    const system = (answer.result as { system: Record<string, string> }).system;
    expect(system).toMatchObject({ 'sw-version': '10.2.0', 'multi-vsys': 'off', model: 'uid-listener', 'uid-listener-version': '9.9.9', uptime: '1 days, 1:01:01' });
    const version = readAnswer((await server.app.inject({ method: 'GET', url: `/api/?type=version&key=${key}` })).body);
    expect(version.result).toMatchObject({ 'sw-version': '10.2.0', 'multi-vsys': 'off' });
  });

  it('answers a command it does not know with code 17', async () => {
    const { answer } = await op('<show><jobs><all/></jobs></show>');
    expect(answer).toMatchObject({ status: 'error', code: '17' });
    expect(answer.message).toMatch(/show jobs is not a command/);
    expect((await op('<show><user><ip-user-mapping><all><type>BOGUS</type></all></ip-user-mapping></user></show>')).answer.code).toBe('17');
  });
});

describe('beside the JSON API', () => {
  it('stays out of the OpenAPI document', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: 'Bearer tok-1' } })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api'))).toEqual([]);
  });
});

describe('abuse', () => {
  it('answers every mangled uid-message with PAN-OS XML, and one it refuses changes nothing', async () => {
    const good = uidMessage('<login><entry name="ACME\\jdoe" ip="10.1.2.3" timeout="5"/></login><logout><entry ip="10.1.2.4"/></logout>');
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = ['<', '>', '/', '"', '&', '&amp;', '<!--', ']]>', '<![CDATA[', '<!DOCTYPE a>', '<!ENTITY', '\u0000', '\uFFFF', '=', ' ', 'entry', 'login'];
    for (let i = 0; i < 200; i++) {
      const at = Math.floor(random() * good.length);
      const cut = good.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + good.slice(at + Math.floor(random() * 3));
      const res = await server.app.inject({ method: 'POST', url: '/api/', headers: FORM, payload: form({ type: 'user-id', key, cmd: cut }) });
      const answer = readAnswer(res.body);
      expect(['success', 'error']).toContain(answer.status);
      if (answer.status === 'error') expect(server.table.size, cut).toBe(0);
      else server.table.delete('10.1.2.3'); // a mangling that is still a valid message
    }
  });
});
