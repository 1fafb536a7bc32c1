/**
 * `uid-listener squid-helper --url URL [--token-file F] [--timeout-ms 5000]`: Squid's
 * external ACL helper (src/squid/, docs/integrations.md "Squid"). Squid starts several
 * and waits for them, so this module imports only the helper, never the listener.
 * Problems after the start (token file unreadable, listener down) are answered BH and
 * written to stderr, which Squid puts into cache.log; the helper never exits for them.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tokenLines } from '../config/token-lines.js';
import { runHelper } from '../squid/helper.js';
import { createLookupClient } from '../squid/lookup-client.js';

const DEFAULT_TIMEOUT_MS = 5000;
const USAGE_ERROR = 2;

export async function squidHelper(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, 'token-file': { type: 'string' }, 'timeout-ms': { type: 'string' } },
    strict: true,
  });
  const problem = (text: string) => {
    process.stderr.write(`uid-listener squid-helper: ${text}\n`);
    return USAGE_ERROR;
  };
  if (values.url === undefined) return problem('--url is required (the listener\'s HTTP API, e.g. --url http://127.0.0.1:8080)');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    return problem(`--url ${values.url} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return problem(`--url must be http:// or https://, not ${url.protocol}`);
  const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) return problem(`--timeout-ms must be a whole number of milliseconds, not ${values['timeout-ms']}`);

  const tokenFile = values['token-file'];
  const client = createLookupClient({ url, timeoutMs, token: tokenFile === undefined ? () => ({}) : tokenReader(tokenFile) });
  let lastFailure = '';
  await runHelper(process.stdin, process.stdout, client.lookup, {
    onLookupFailure: (message, lines) => {
      // Once per distinct cause, not once per request: an outage must not flood cache.log.
      if (message === lastFailure) return;
      lastFailure = message;
      process.stderr.write(`uid-listener squid-helper: ${lines} request(s) answered BH: ${message}\n`);
    },
  });
  client.close();
  return 0;
}

/**
 * The token, read at the first lookup and kept; an unreadable or empty file is tried again
 * at the next lookup, so fixing it heals the helpers without restarting Squid.
 */
function tokenReader(file: string): () => { token?: string; problem?: string } {
  let token: string | undefined;
  return () => {
    if (token !== undefined) return { token };
    try {
      token = tokenLines(readFileSync(file, 'utf8'))[0];
    } catch (error) {
      return { problem: `cannot read --token-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (UID_ERR_CONFIG_SECRET)` };
    }
    return token === undefined ? { problem: `--token-file ${file} holds no token (UID_ERR_CONFIG_SECRET)` } : { token };
  };
}
