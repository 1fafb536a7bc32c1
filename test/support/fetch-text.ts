/** One GET through node:http or node:https with its own options (a CA, no agent), the body as text. */
import type { get as httpsGet } from 'node:https';

export function fetchText(get: typeof httpsGet, options: object): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}
