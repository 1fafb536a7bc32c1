/** The status page's file serving without sockets (src/http/routes/ui.ts); the browser test is test/integration/ui.test.ts. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUiFiles, registerUiRoutes } from '../../src/http/routes/ui.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid-ui-files-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  await writeFile(join(dir, 'app.js'), 'export {};');
  await writeFile(join(dir, 'notes.txt'), 'not served');
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'deep.js'), 'export {};');
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function server(from: string) {
  const app = Fastify();
  registerUiRoutes(app, await loadUiFiles(from));
  return app;
}

describe('status page files', () => {
  it('serves only known file types directly in the folder', async () => {
    const app = await server(dir);
    expect((await app.inject({ url: '/ui/' })).headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await app.inject({ url: '/ui/app.js' })).statusCode).toBe(200);
    for (const url of ['/ui/notes.txt', '/ui/sub', '/ui/sub%2Fdeep.js', '/ui/..%2F..%2Fetc%2Fpasswd']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
    await app.close();
  });

  it('answers 404 saying to build when dist/ui is missing', async () => {
    const app = await server(join(dir, 'missing'));
    const res = await app.inject({ url: '/ui/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain('npm run build');
    await app.close();
  });
});
