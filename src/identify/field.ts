/**
 * PAN-OS "Field Identifier" values: the value starts after a prefix and ends at a
 * delimiter, or at the end of the message when the delimiter does not follow. How a
 * delimiter is written (docs/profiles.md "Delimiters"):
 *
 * - `\s` alone, or a single space: any whitespace byte (space, tab, CR, LF, VT, FF) ends
 *   the value. PAN-OS documents `\s` for "a standalone space"; tabs are accepted too.
 * - `\n` alone: the value runs to the end of the line (messages are single lines, so in
 *   practice to the end of the message).
 * - anything else is literal text, in which `\t`, `\n`, `\r`, `\s` and `\\` stand for tab,
 *   line feed, carriage return, space and backslash; `\t` thus matches a tab, and since
 *   rsyslog's `#011` is turned back into a tab first (relay.ts), it still works behind a relay.
 *
 * Leading spaces and tabs after the prefix are skipped, so `User: jdoe` with delimiter
 * `\s` yields `jdoe` rather than nothing. The first delimiter after the value's start ends it.
 */

export type Delimiter =
  | { readonly kind: 'whitespace' }
  | { readonly kind: 'line' }
  | { readonly kind: 'text'; readonly bytes: Buffer };

const ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', s: ' ', '\\': '\\' };

/** Parses a delimiter as written in a profile; an empty one is refused by the schema. */
export function parseDelimiter(written: string): Delimiter {
  if (written === '\\s' || written === ' ') return { kind: 'whitespace' };
  if (written === '\\n') return { kind: 'line' };
  const text = written.replace(/\\([tnrs\\])/g, (_, c: string) => ESCAPES[c]!);
  return { kind: 'text', bytes: Buffer.from(text) };
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

/** Index of the first byte after `start` that is not a space or a tab. */
export function skipBlanks(data: Buffer, start: number): number {
  let at = start;
  while (at < data.length && (data[at] === 0x20 || data[at] === 0x09)) at++;
  return at;
}

/** Where the value that starts at `start` ends (exclusive). */
export function valueEnd(data: Buffer, start: number, delimiter: Delimiter): number {
  switch (delimiter.kind) {
    case 'whitespace': {
      let at = start;
      while (at < data.length && !isWhitespace(data[at]!)) at++;
      return at;
    }
    case 'line': {
      const lf = data.indexOf(0x0a, start);
      const end = lf === -1 ? data.length : lf;
      return end > start && data[end - 1] === 0x0d ? end - 1 : end;
    }
    case 'text': {
      const at = data.indexOf(delimiter.bytes, start);
      return at === -1 ? data.length : at;
    }
  }
}
