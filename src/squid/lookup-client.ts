/**
 * The helper's one question to the listener: POST /v1/lookup with every address that
 * queued up, over a kept-alive connection (docs/http-api.md). node:http rather than
 * fetch: Squid starts helpers on demand and waits for them, and undici's first load costs
 * more than the whole helper otherwise does. Any failure — refused, timed out, a status
 * other than 200, a body that is not the answer — fails the whole batch, which Squid is
 * then told as BH (never ERR: that would be cached as a denial).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Per address: the user, or null when unmapped, or the listener's word why not (bad address). */
export type LookupResult = { readonly user: string } | { readonly user: null } | { readonly error: string };

export interface LookupClientOptions {
  /** The listener's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: URL;
  readonly timeoutMs: number;
  /** The bearer token now, or why there is none that can be used (an unreadable token file). */
  readonly token: () => { readonly token?: string; readonly problem?: string };
}

export type Lookup = (addresses: readonly string[]) => Promise<readonly LookupResult[]>;

interface LookupBody { readonly items?: readonly { readonly mapping?: { readonly user?: unknown }; readonly error?: { readonly code?: unknown; readonly message?: unknown } }[] }
interface ErrorBody { readonly error?: { readonly code?: unknown; readonly message?: unknown } }

/** A failure of the whole lookup; its message goes to Squid (and its cache.log) as the BH message. */
export class LookupFailure extends Error {}

/** Longest answer we read: 1000 addresses with their mappings fit many times over. */
const MAX_BODY = 16 * 1024 * 1024;

export function createLookupClient(options: LookupClientOptions): { lookup: Lookup; close: () => void } {
  const { url, timeoutMs } = options;
  const https = url.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 1 }) : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const send = https ? httpsRequest : httpRequest;
  const endpoint = new URL('v1/lookup', url.href.endsWith('/') ? url : `${url.href}/`);

  const lookup: Lookup = (addresses) => new Promise((resolve, reject) => {
    const { token, problem } = options.token();
    if (problem !== undefined) return reject(new LookupFailure(problem));
    const body = JSON.stringify({ ips: addresses });
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const req = send(endpoint, { method: 'POST', agent, headers }, (res) => {
      readBody(res).then((text) => results(res.statusCode ?? 0, text, addresses.length)).then(resolve, reject);
    });
    // One deadline for the whole exchange, connect to last byte.
    const timer = setTimeout(() => req.destroy(new LookupFailure(`the listener did not answer within ${timeoutMs} ms (UID_ERR_SQUID_LOOKUP)`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (error) => reject(error instanceof LookupFailure ? error
      : new LookupFailure(`cannot reach the listener at ${url.origin}: ${(error as NodeJS.ErrnoException).code ?? error.message} (UID_ERR_SQUID_LOOKUP)`)));
    req.end(body);
  });
  return { lookup, close: () => agent.destroy() };
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) res.destroy(new LookupFailure('the listener answered more than 16 MiB (UID_ERR_SQUID_LOOKUP)'));
      else chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new LookupFailure('the listener closed the connection mid-answer (UID_ERR_SQUID_LOOKUP)')));
  });
}

function results(status: number, text: string, expected: number): LookupResult[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LookupFailure(`the listener answered HTTP ${status} with a body that is not JSON (UID_ERR_SQUID_LOOKUP)`);
  }
  if (status !== 200) {
    const error = (parsed as ErrorBody | null)?.error;
    const why = typeof error?.message === 'string' ? `: ${error.message}` : '';
    const code = typeof error?.code === 'string' ? error.code : 'UID_ERR_SQUID_LOOKUP';
    throw new LookupFailure(`the listener refused the lookup with HTTP ${status}${why} (${code})`);
  }
  const items = (parsed as LookupBody | null)?.items;
  if (!Array.isArray(items) || items.length !== expected) {
    throw new LookupFailure(`the listener's answer does not have one item per address (UID_ERR_SQUID_LOOKUP)`);
  }
  return items.map((item): LookupResult => {
    if (item.error !== undefined) return { error: `${String(item.error.message)} (${String(item.error.code)})` };
    const user = item.mapping?.user;
    return typeof user === 'string' ? { user } : { user: null };
  });
}
