/**
 * What forward auth (/v1/auth, DESIGN §5 "Proxies") answers, apart from how it is sent: the
 * fastify route (routes/forward-auth.ts) and the lookup thread (lookup-thread/front.ts) both
 * send these. Mapped: 200, empty body, `X-User` (the user as the table keeps it,
 * `ACME\alice`) and `X-User-Domain` (`ACME`; `acme.com` for `alice@acme.com`; empty
 * without a domain). Unmapped: 401. A header from a trusted proxy that is no address: 400.
 */
import type { MaybePromise } from '../mappings/table.js';
import type { ClientAddress } from './client-address.js';
import type { MappingGet } from './mapping-answers.js';
import { isPromiseLike } from './maybe-promise.js';
import { errorBody } from './present.js';
import type { ErrorBody } from './schemas.js';

/** Every method a proxy may forward (HEAD explicitly, as the server exposes no HEAD twins). */
export const FORWARD_AUTH_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** RFC 9110 §5.5: field values carry no control characters; such bytes are %-escaped. */
const CONTROL = /[\x00-\x1f\x7f]/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export type ForwardAuthAnswer =
  /** Both values ready for the header (headerValue). */
  | { readonly status: 200; readonly user: string; readonly domain: string }
  | { readonly status: 400 | 401; readonly body: ErrorBody };

/** `ACME\alice` → `ACME`, `alice@acme.com` → `acme.com`, `alice` → undefined. */
export function userDomain(user: string): string | undefined {
  const slash = user.indexOf('\\');
  if (slash > 0) return user.slice(0, slash);
  const at = user.lastIndexOf('@');
  return at > 0 && at < user.length - 1 ? user.slice(at + 1) : undefined;
}

/**
 * A header value for any name: ASCII as it is; other text as its UTF-8 bytes (Node writes
 * header strings byte per character), control characters %-escaped.
 */
export function headerValue(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  const escaped = text.replace(CONTROL, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  return Buffer.from(escaped, 'utf8').toString('latin1');
}

function userOrUnmapped(user: string | undefined, ip: string): ForwardAuthAnswer {
  if (user === undefined) return { status: 401, body: errorBody('UID_ERR_HTTP_UNMAPPED', `no mapping for ${ip}`) };
  // X-User-Domain is sent even when empty, so that a proxy copying it upstream (Envoy's
  // allowed_upstream_headers) overwrites one the client may have forged.
  return { status: 200, user: headerValue(user), domain: headerValue(userDomain(user) ?? '') };
}

/** `client` as client-address.ts resolved it; the table is asked once. */
export function answerForwardAuth(client: ClientAddress, get: MappingGet): MaybePromise<ForwardAuthAnswer> {
  if (!('ip' in client)) {
    return { status: 400, body: errorBody('UID_ERR_HTTP_BAD_IP',
      `${client.header} from a trusted proxy says '${client.invalid.slice(0, 64)}', which is not a valid host address`) };
  }
  const { ip } = client;
  const found = get(ip);
  return isPromiseLike(found) ? found.then((m) => userOrUnmapped(m?.user, ip)) : userOrUnmapped(found?.user, ip);
}
