/**
 * The status page (docs/status-page.md) at GET /ui/: static files from the package's
 * `dist/ui/` (built from src/ui/), read once when the server is built and served from
 * memory. The files hold no data and need no token, so the page can load and show its
 * token form; every number on it comes from the API routes, which do need one.
 *
 * Headers: the content type by extension, a strong ETag with `Cache-Control: no-cache`
 * (the browser revalidates and gets 304, so an upgrade is never hidden by a cache), and a
 * Content-Security-Policy that allows only this origin's scripts, styles and fetches: no
 * inline script, no eval, no framing, nothing from elsewhere.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../present.js';
import '../route-config.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

interface StaticFile { readonly body: Buffer; readonly type: string; readonly etag: string }

/** The servable files of `dir` by name (no subfolders, known extensions only); empty when it does not exist. */
export async function loadUiFiles(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw error;
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = await readFile(join(dir, name));
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return files;
}

export function registerUiRoutes(app: FastifyInstance, files: ReadonlyMap<string, StaticFile>): void {
  const send = (request: FastifyRequest, reply: FastifyReply, name: string) => {
    const file = files.get(name);
    if (!file) {
      reply.code(404);
      return errorBody('UID_ERR_HTTP_NOT_FOUND', files.size === 0
        ? 'the status page is not built into this installation: run "npm run build"'
        : `no file ${name} in the status page`);
    }
    reply.headers(UI_HEADERS).header('etag', file.etag);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };
  const config = { public: true };
  const schema = { hide: true };
  app.get('/ui', { config, schema }, (_request, reply) => reply.redirect('/ui/', 301));
  app.get('/ui/', { config, schema }, (request, reply) => send(request, reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/ui/:file', { config, schema }, (request, reply) => send(request, reply, request.params.file));
}
