/**
 * `type=user-id`: a `<uid-message>` (PAN-OS XML API "Apply User-ID Mapping and Populate
 * Dynamic Groups"), validated whole before anything is applied:
 *
 *   <uid-message><version>1.0</version><type>update</type><payload>
 *     <login><entry name="ACME\jdoe" ip="10.1.2.3" timeout="20"/>…</login>
 *     <logout><entry name="ACME\jdoe" ip="10.1.2.3"/>…</logout>
 *   </payload></uid-message>
 *
 * `timeout` is in minutes (pan-os-python's UserId.login: "timeout in minutes"); 0 keeps
 * the mapping until logout; absent, the sender/table rule applies (DESIGN §5). A logout
 * may leave out `name`: it ends whoever is at the address. Payload elements other than
 * login and logout (register, unregister, groups, register-user, unregister-user, …) are
 * not implemented here: the whole message is refused (PAN-OS code 17), never half applied.
 */
import { normaliseAddress } from '../identify/address.js';
import { childNames, childOf } from './parse-xml.js';

export interface UidEntry {
  /** As pushed; absent only on a logout (whoever is at the address). */
  readonly name?: string;
  /** Canonical form (normaliseAddress). */
  readonly ip: string;
  /** Minutes; absent when the entry names none. */
  readonly timeout?: number;
}

export interface UidMessage {
  readonly logins: readonly UidEntry[];
  readonly logouts: readonly UidEntry[];
}

export type UidParse =
  | { readonly ok: true; readonly message: UidMessage }
  | { readonly ok: false; readonly code: 'UID_ERR_XML_API_MALFORMED' | 'UID_ERR_XML_API_UNSUPPORTED'; readonly reason: string };

/** Longest user name taken (TACACS+ carries at most 255 octets of user, RFC 8907 §7.1). */
const MAX_NAME = 255;
/** Largest `timeout` taken, in minutes: a year. */
export const MAX_TIMEOUT_MINUTES = 525_600;
/** Problems listed in one answer; the rest are counted. */
const MAX_LISTED = 5;

export function readUidMessage(root: string, body: unknown): UidParse {
  if (root !== 'uid-message') return malformed(`the command must be a <uid-message>, not <${root}>`);
  const type = childOf(body, 'type');
  if (type !== undefined && type !== 'update') return malformed(`<type> must be update, not ${String(type)}`);
  const payload = childOf(body, 'payload');
  if (payload === undefined) return malformed('the <uid-message> has no <payload>');
  const unsupported = childNames(payload).filter((name) => name !== 'login' && name !== 'logout');
  if (unsupported.length > 0) {
    return {
      ok: false,
      code: 'UID_ERR_XML_API_UNSUPPORTED',
      reason: `uid-listener keeps IP-to-user mappings only and does not implement ${unsupported.map((n) => `<${n}>`).join(', ')}; ` +
        'send those to the firewall (nothing in this message was applied)',
    };
  }
  const problems: string[] = [];
  const logins = entries(childOf(payload, 'login'), 'login', problems);
  const logouts = entries(childOf(payload, 'logout'), 'logout', problems);
  if (problems.length > 0) {
    const more = problems.length > MAX_LISTED ? ` (and ${problems.length - MAX_LISTED} more)` : '';
    return malformed(`${problems.slice(0, MAX_LISTED).join('; ')}${more}; nothing in this message was applied`);
  }
  return { ok: true, message: { logins, logouts } };
}

/** The entries of every `<login>` (or `<logout>`) section, in order; a message may repeat a section. */
function entries(sections: unknown, kind: 'login' | 'logout', problems: string[]): UidEntry[] {
  const list: unknown[] = [];
  for (const section of Array.isArray(sections) ? sections : [sections]) {
    if (section === undefined || section === '') continue;
    const others = childNames(section).filter((name) => name !== 'entry');
    if (others.length > 0) problems.push(`<${kind}> holds <${others[0]}>; only <entry> elements belong there`);
    const found = childOf(section, 'entry');
    if (Array.isArray(found)) list.push(...(found as unknown[]));
  }
  const out: UidEntry[] = [];
  list.forEach((entry: unknown, i) => {
    const where = `<${kind}> entry ${i + 1}`;
    const name = childOf(entry, '@_name');
    const ipText = childOf(entry, '@_ip');
    const timeoutText = childOf(entry, '@_timeout');
    const ip = typeof ipText === 'string' ? normaliseAddress(ipText) : null;
    if (ip === null) {
      problems.push(`${where}: ip ${ipText === undefined ? 'is missing' : `"${String(ipText)}" is not an IPv4 or IPv6 host address`}`);
      return;
    }
    const user = typeof name === 'string' ? name.trim() : undefined;
    if (user === undefined || user === '') {
      if (kind === 'login') {
        problems.push(`${where}: name is missing or empty`);
        return;
      }
    } else if (user.length > MAX_NAME) {
      problems.push(`${where}: name is longer than ${MAX_NAME} characters`);
      return;
    }
    let timeout: number | undefined;
    if (timeoutText !== undefined) {
      timeout = typeof timeoutText === 'string' && /^\d{1,7}$/.test(timeoutText) ? Number(timeoutText) : Number.NaN;
      if (!(timeout <= MAX_TIMEOUT_MINUTES)) {
        problems.push(`${where}: timeout "${String(timeoutText)}" is not a whole number of minutes from 0 to ${MAX_TIMEOUT_MINUTES}`);
        return;
      }
    }
    out.push({ ip, ...(user ? { name: user } : {}), ...(timeout === undefined ? {} : { timeout }) });
  });
  return out;
}

function malformed(reason: string): UidParse {
  return { ok: false, code: 'UID_ERR_XML_API_MALFORMED', reason };
}
