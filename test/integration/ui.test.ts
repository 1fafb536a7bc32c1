/**
 * The status page (issue 15 item 5) in a real browser: Debian's chromium, headless, driven
 * by playwright-core, against a real listener. A mapping sent over syslog UDP appears on
 * the open page without a reload (from the change stream) and leaves it at logout; the
 * profile tester answers; with tokens the page asks for one first. The page must run
 * under its strict Content-Security-Policy without a single console error; its stream and
 * metrics parsers are run in the browser on edge cases.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/config/default-config.js';
import { CHURN_PROFILES, churnMessage, esmLeef, sendUdp } from '../support/listener-clients.js';
import { InProcessListener, cleanupListeners } from '../support/listener.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'ui-test-token-5b7f0c';

let profileDir: string;
let browser: BrowserContext;
/**
 * Console errors and uncaught exceptions of every page (a CSP violation is one). The
 * browser's own "Failed to load resource" lines are left out: the page asks for things
 * that may be absent on purpose (a 404 for an address not mapped, a 401 for a wrong token).
 */
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'ui', 'app.js'))) throw new Error('dist/ui is missing: run "npm run build" first (npm test does)');
  profileDir = await mkdtemp(join(tmpdir(), 'uid-ui-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await rm(profileDir, { recursive: true, force: true });
  await cleanupListeners();
});
afterEach(() => {
  const seen = problems.splice(0);
  expect(seen).toEqual([]);
});

async function openPage(listener: InProcessListener): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
  await page.goto(`http://127.0.0.1:${listener.ports.http}/ui/`);
  return page;
}

describe('status page', () => {
  it('shows a mapping made over syslog without a reload, drops it at logout, and tests pasted lines', async () => {
    const listener = await InProcessListener.start({ profiles: CHURN_PROFILES });
    const page = await openPage(listener);
    await page.waitForSelector('#live.ok'); // the change stream is connected
    await page.evaluate('window.notReloaded = true'); // a reload would lose it

    await sendUdp(listener.ports.udp, esmLeef('jdoe', '10.1.2.3'));
    // Rows are redrawn as changes arrive: query by selector each time, never hold an element.
    const row = '#mapping-rows tr[data-ip="10.1.2.3"]';
    await page.waitForSelector(row);
    expect(await page.innerText(row)).toMatch(/10\.1\.2\.3\s+jdoe\s+lo\s+traps-esm-leef/);
    expect(await page.evaluate('window.notReloaded')).toBe(true);

    await page.click(row); // opens the address in the search
    await page.waitForSelector('#search-result tr[data-ip="10.1.2.3"]');

    await sendUdp(listener.ports.udp, churnMessage('logout', 'jdoe', '10.1.2.3'));
    await page.waitForSelector('#mapping-rows tr[data-ip="10.1.2.3"]', { state: 'detached' });

    // Profiles and senders come from /metrics and /v1/senders.
    await page.waitForSelector('#profile-rows tr[data-profile="traps-esm-leef"] td.num >> text="1"');
    expect(await page.innerText('#sender-rows tr[data-sender="lo"]')).toContain('127.0.0.1 (udp, tcp, tls)');
    expect(await page.innerText('#accounting-body')).toContain('Accounting is off');

    // The search follows the change stream: the address is not mapped now.
    await page.waitForSelector('#search-result >> text=10.1.2.3 is not mapped now.');
    await page.fill('#search', 'jdoe');
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#search-result >> text=jdoe is not mapped at any address.');

    await page.fill('#tester-lines', `${esmLeef('alice', '10.9.0.1')}\nnot a login at all`);
    await page.click('#tester-form button[type=submit]');
    await page.waitForSelector('#tester-results li.miss');
    expect(await page.innerText('#tester-results li.hit')).toContain('login alice at 10.9.0.1 (traps-esm-leef)');
    expect(await page.innerText('#tester-results li.miss')).toContain('nothing: event not matched');
    expect(await listener.mapping('10.9.0.1')).toBeNull(); // testing applies nothing

    await page.close();
    await listener.stop();
  });

  it('serves the files with their types, revalidation and a strict Content-Security-Policy', async () => {
    const listener = await InProcessListener.start({ config: { http: { tokens: [TOKEN] } } });
    const base = `http://127.0.0.1:${listener.ports.http}`;
    const page = await fetch(`${base}/ui/`);
    expect(page.status).toBe(200); // no token needed for the page itself: it holds no data
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
    const script = await fetch(`${base}/ui/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${base}/ui/app.js`, { headers: { 'if-none-match': script.headers.get('etag')! } })).status).toBe(304);
    expect((await fetch(`${base}/ui/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await fetch(`${base}/ui/..%2Fmain.js`)).status).toBe(404);
    expect((await fetch(`${base}/ui`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
    // The data still needs the token.
    expect((await fetch(`${base}/v1/mappings`)).status).toBe(401);
    await listener.stop();
  });

  it('with tokens set: asks for one, refuses a wrong one, then shows the live page', async () => {
    const listener = await InProcessListener.start({ config: { http: { tokens: [TOKEN] } } });
    const page = await openPage(listener);
    await page.waitForSelector('#login-form');
    expect(await page.isVisible('#status')).toBe(false);

    await page.fill('#token', 'wrong-token');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error >> text=That token is not one of http.tokens.');

    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#live.ok');
    await sendUdp(listener.ports.udp, esmLeef('bob', '10.4.0.7'));
    await page.waitForSelector('#mapping-rows tr[data-ip="10.4.0.7"]');

    // The token lives in this tab's sessionStorage; "Forget token" goes back to the form.
    expect(await page.evaluate("sessionStorage.getItem('uid-listener.token')")).toBe(TOKEN);
    await page.click('#logout');
    await page.waitForSelector('#login-form');
    await page.close();
    await listener.stop();
  });

  it('parses the event stream (HTML §9.2.6) and Prometheus text as the browser runs them', async () => {
    const listener = await InProcessListener.start();
    const page = await openPage(listener);
    await page.waitForSelector('#live.ok');
    // The page's own modules, loaded by the browser; chunks split inside a CRLF and a field.
    const chunks = ['retry: 500\r\n: comment\r', '\nid: 7\r\nevent: added\ndata: {"a":', '1}\ndata:x\r\n\r\n', 'data: no type\n\n', 'id: 8\n\n'];
    const events = await page.evaluate(`import('/ui/sse.js').then(({ EventStreamParser }) => {
      const parser = new EventStreamParser();
      const out = ${JSON.stringify(chunks)}.flatMap((chunk) => parser.push(chunk));
      return { out, lastId: parser.lastId, retryMs: parser.retryMs };
    })`);
    expect(events).toEqual({
      out: [{ id: '7', type: 'added', data: '{"a":1}\nx' }, { id: '7', type: 'message', data: 'no type' }],
      lastId: '8', retryMs: 500,
    });
    const text = '# HELP x y\n# TYPE x counter\nx{sender="a\\\\b\\"c",outcome="ok"} 3\nplain 1.5e3 1700000000000\nbad{ 1\ninf +Inf\n';
    const samples = await page.evaluate(`import('/ui/prometheus.js').then(({ parseMetrics }) => parseMetrics(${JSON.stringify(text)}))`);
    expect(samples).toEqual([
      { name: 'x', labels: { sender: 'a\\b"c', outcome: 'ok' }, value: 3 },
      { name: 'plain', labels: {}, value: 1500 },
      { name: 'inf', labels: {}, value: Infinity },
    ]);
    await page.close();
    await listener.stop();
  });
});
