/**
 * Relay tolerance (issue 2 item 5): what syslog relays do to a message on the way, undone
 * before any profile looks at it, so a profile written for the device works unchanged
 * behind a relay.
 *
 * - rsyslog escapes control characters on receive as `#` and three octal digits
 *   (`$EscapeControlCharactersOnReceive`, on by default), so a LEEF 1.0 tab arrives as
 *   `#011`. When the message holds no real tab, every `#011` becomes a tab again (a message
 *   that has real tabs was not escaped, and its `#011` is text).
 * - A leading space or tab (some relays put one before `LEEF:`) is dropped.
 * - A trailing CR or LF, and rsyslog's escaped forms `#015` / `#012` at the very end, are
 *   dropped (CR LF senders).
 *
 * The common case (nothing to undo) costs a look at the first and last byte and one
 * `memchr` for `#`, and returns the message itself.
 */
const HASH = 0x23;
const TAB = 0x09;
const ESCAPED_TAB = Buffer.from('#011');

export function undoRelay(data: Buffer): Buffer {
  let start = 0;
  let end = data.length;
  while (start < end && (data[start] === 0x20 || data[start] === TAB)) start++;
  for (;;) {
    const last = data[end - 1];
    if (end > start && (last === 0x0d || last === 0x0a)) end--;
    else if (end - start >= 4 && isEscapedLineEnd(data, end - 4)) end -= 4;
    else break;
  }
  const hash = data.indexOf(HASH, start);
  const escaped = hash !== -1 && hash < end ? data.indexOf(ESCAPED_TAB, hash) : -1;
  if (escaped !== -1 && escaped + 4 <= end && data.indexOf(TAB, start) === -1) return unescapeTabs(data, start, end, escaped);
  return start === 0 && end === data.length ? data : data.subarray(start, end);
}

/** `#015` or `#012`. */
function isEscapedLineEnd(data: Buffer, at: number): boolean {
  return data[at] === HASH && data[at + 1] === 0x30 && data[at + 2] === 0x31 && (data[at + 3] === 0x35 || data[at + 3] === 0x32);
}

function unescapeTabs(data: Buffer, start: number, end: number, first: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let written = 0;
  let from = start;
  for (let at = first; at !== -1 && at + 4 <= end; at = data.indexOf(ESCAPED_TAB, from)) {
    written += data.copy(out, written, from, at);
    out[written++] = TAB;
    from = at + 4;
  }
  written += data.copy(out, written, from, end);
  return out.subarray(0, written);
}
