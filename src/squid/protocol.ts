/**
 * Squid's external ACL helper protocol, as squid.conf documents it for Squid 5
 * (https://www.squid-cache.org/Doc/config/external_acl_type/, "General request syntax"
 * and "General result syntax"; the same text is in Debian's /etc/squid/squid.conf; the
 * wiki's https://wiki.squid-cache.org/Features/AddonHelpers describes the line protocol
 * common to all helpers):
 *
 *   request:  [channel-ID] FORMAT-values      (one line; values URL-escaped, space-separated)
 *   result:   [channel-ID] OK|ERR|BH [keyword=value ...]
 *
 * With `concurrency=N` Squid puts a channel-ID first and answers may come in any order;
 * the docs say 0..N-1, but Squid 5 sends growing request numbers, so any digits are an id.
 * An address (%SRC) is never digits alone, so the first token tells the two forms apart.
 * Squid appends %DATA (`-` when the acl line has no arguments) after our %SRC: ignored.
 * Keyword values are "a single token with URL escaping, or enclosed in double quotes
 * and escaped using \ on any double quotes or \ characters"; we quote.
 */

export interface HelperRequest {
  /** The channel-ID to echo, absent without `concurrency=`. */
  readonly channel?: string;
  /** The client address (%SRC), URL-unescaped; absent when the line has none. */
  readonly address?: string;
  /** Why the line cannot be looked up (answered BH). */
  readonly problem?: string;
}

const CHANNEL = /^\d+$/;
/** The API's limit for one address (MAX_IP_TEXT): a longer one would fail the whole bulk request, not just its line. */
const MAX_ADDRESS_TEXT = 64;
const SEPARATORS = /[ \t]+/;

export function parseRequest(line: string): HelperRequest {
  const tokens = line.trim().split(SEPARATORS);
  const channel = tokens.length > 0 && CHANNEL.test(tokens[0]!) ? tokens.shift() : undefined;
  const first = tokens[0];
  const withChannel = channel === undefined ? {} : { channel };
  if (first === undefined || first === '' || first === '-') {
    return { ...withChannel, problem: 'the request has no client address: external_acl_type FORMAT must start with %SRC (UID_ERR_SQUID_REQUEST)' };
  }
  let address: string;
  try {
    address = decodeURIComponent(first);
  } catch {
    return { ...withChannel, problem: `'${first.slice(0, 64)}' is not URL-escaped text (UID_ERR_SQUID_REQUEST)` };
  }
  if (address.length > MAX_ADDRESS_TEXT) {
    return { ...withChannel, problem: `'${address.slice(0, 64)}…' is not an IP address (UID_ERR_SQUID_REQUEST)` };
  }
  return { ...withChannel, address };
}

/** A keyword value in double quotes, `"` and `\` escaped, CR and LF as \r and \n (squid.conf external_acl_type). */
export function quoteValue(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;
}

export type HelperAnswer =
  | { readonly result: 'OK'; readonly user: string }
  | { readonly result: 'ERR' }
  | { readonly result: 'BH'; readonly message: string };

/** One result line, newline included. */
export function formatAnswer(channel: string | undefined, answer: HelperAnswer): string {
  const prefix = channel === undefined ? '' : `${channel} `;
  switch (answer.result) {
    case 'OK':
      return `${prefix}OK user=${quoteValue(answer.user)}\n`;
    case 'ERR':
      return `${prefix}ERR\n`;
    case 'BH':
      return `${prefix}BH message=${quoteValue(answer.message)}\n`;
  }
}
