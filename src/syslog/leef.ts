/**
 * LEEF decoding (IBM QRadar Log Event Extended Format), lazily, never on the message path:
 *   LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…
 *   LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|key=value<Delimiter>key=value…
 * The LEEF 2.0 delimiter field is one character, or its code in hex as `x09`, `0x5E`
 * (1-4 hex digits); empty or absent means tab. Tolerated as relays deliver it: a syslog
 * header or spaces before `LEEF:`, rsyslog's `#011` for a tab, a trailing CR LF, `\|` in
 * header fields, a delimiter inside a value (kept in the value). A key seen twice keeps
 * its last value. Decodes as far as it can and lists what was wrong; never throws.
 */

export type LeefProblem =
  | 'header-truncated' // fewer than the five header fields
  | 'version-unknown' // neither 1.x nor 2.x; decoded as 1.0
  | 'attribute-without-key'; // a segment with no `key=`; appended to the previous value

export interface LeefEvent {
  /** As written after `LEEF:`, e.g. "1.0". */
  readonly version: string;
  readonly vendor: string | undefined;
  readonly product: string | undefined;
  readonly productVersion: string | undefined;
  readonly eventId: string | undefined;
  /** The attribute delimiter in effect. */
  readonly delimiter: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly problems: readonly LeefProblem[];
}

const HEX_DELIMITER = /^(?:0x|x)([0-9a-f]{1,4})$/i;

/** The LEEF event in a message (after any syslog header), or undefined when there is none. */
export function decodeLeef(input: Buffer | string): LeefEvent | undefined {
  const text = (typeof input === 'string' ? input : input.toString('utf8')).replace(/[\r\n]+$/, '');
  const start = text.indexOf('LEEF:');
  if (start < 0) return undefined;
  const problems: LeefProblem[] = [];

  const header: string[] = [];
  let pos = start + 'LEEF:'.length;
  while (header.length < 5) {
    const pipe = nextPipe(text, pos);
    if (pipe < 0) {
      if (pos < text.length) header.push(unescapePipes(text.slice(pos)));
      break;
    }
    header.push(unescapePipes(text.slice(pos, pipe)));
    pos = pipe + 1;
  }
  const [version = '', vendor, product, productVersion, eventId] = header;
  if (header.length < 5) {
    problems.push('header-truncated');
    return { version, vendor, product, productVersion, eventId, delimiter: '\t', attributes: new Map(), problems };
  }
  if (!/^[12](?:\.\d+)?$/.test(version)) problems.push('version-unknown');

  let delimiter = '\t';
  if (version.startsWith('2')) {
    const pipe = text.indexOf('|', pos);
    const field = pipe < 0 ? undefined : text.slice(pos, pipe);
    const chosen = field === undefined ? undefined : delimiterOf(field);
    if (chosen !== undefined) {
      delimiter = chosen;
      pos = pipe + 1;
    }
  }
  const attributes = readAttributes(text.slice(pos), delimiter, problems);
  return { version, vendor, product, productVersion, eventId, delimiter, attributes, problems };
}

/** The index of the next `|` not escaped as `\|`, or -1. */
function nextPipe(text: string, from: number): number {
  let pipe = text.indexOf('|', from);
  while (pipe > 0 && text[pipe - 1] === '\\') pipe = text.indexOf('|', pipe + 1);
  return pipe;
}

const unescapePipes = (field: string): string => field.replace(/\\\|/g, '|');

/** The delimiter a LEEF 2.0 delimiter field names, or undefined when the field is not one. */
function delimiterOf(field: string): string | undefined {
  if (field === '') return '\t';
  const hex = HEX_DELIMITER.exec(field);
  if (hex) return String.fromCharCode(parseInt(hex[1]!, 16));
  return [...field].length === 1 ? field : undefined;
}

function readAttributes(text: string, delimiter: string, problems: LeefProblem[]): Map<string, string> {
  const attributes = new Map<string, string>();
  // rsyslog escapes control characters as #ooo, so a tab arrives as "#011".
  const separator = delimiter === '\t' && !text.includes('\t') && text.includes('#011') ? '#011' : delimiter;
  let lastKey: string | undefined;
  for (const segment of text.split(separator)) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    if (eq > 0) {
      lastKey = segment.slice(0, eq);
      attributes.set(lastKey, segment.slice(eq + 1));
      continue;
    }
    if (!problems.includes('attribute-without-key')) problems.push('attribute-without-key');
    if (lastKey !== undefined) attributes.set(lastKey, `${attributes.get(lastKey)!}${delimiter}${segment}`);
  }
  return attributes;
}
