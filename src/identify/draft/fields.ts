/**
 * What `draft-profile` recognises in one sample line: named values in the shapes devices
 * write them, each with the exact text around the value, so a pattern can be written that
 * finds the same value again:
 *
 * - `key=value`, the value quoted ("…", '…') or bare (LEEF 1.0 tab-separated attributes, LEEF 2.0
 *   with `^` as its delimiter, CEF
 *   extensions, FortiGate/Sophos/WatchGuard key=value logs);
 * - JSON members `"key":"value"` / `"key":123` (NXLog, Winlogbeat, cloud proxies);
 * - text labels before a value: `User <jdoe>`, `Username = jdoe`, `user: jdoe`, `IP <…>`,
 *   `IPv4 Address <…>`, `for jdoe from 10.0.0.1` (Cisco, Juniper, sshd);
 * - the event id of a LEEF or CEF header (`LEEF:1.0|vendor|product|version|EventID|`) and a
 *   Cisco-style mnemonic (`%ASA-6-722051:`, `%SEC_LOGIN-5-LOGIN_SUCCESS:`).
 */
export type FieldStyle = 'kv' | 'json' | 'angle' | 'label' | 'word';

export interface Field {
  /** The name as written (`duser`, `TargetUserName`, `IPv4 Address`, `from`). */
  readonly key: string;
  readonly value: string;
  readonly style: FieldStyle;
  /** The text from the key's start to the value's (`user="`, `"IpAddress":"`, `User <`), and the closing quote or bracket ('' when bare). */
  readonly before: string;
  readonly after: string;
}

/** A line's event marker: the text that names the kind of event, and its pattern. */
export interface Marker {
  /** What kind of id (`LEEF event id`, `message id`, `EventID`…), for notes. */
  readonly kind: string;
  readonly value: string;
  /** An RE2 pattern that finds this marker in any line of the same kind. */
  readonly pattern: string;
}

const KV = /(?:^|[\s|,;{(\[>^])(([A-Za-z_][A-Za-z0-9_.-]{0,63})=("?|'?))([^"'\s,;|^]*)/g;
const JSON_MEMBER = /("([A-Za-z_][A-Za-z0-9_.-]{0,63})"\s*:\s*("?))((?:[^"\\,}\s]|\\.)*)/g;
const ANGLE = /\b(((?:IPv[46] )?[A-Za-z][A-Za-z -]{0,30}?)\s*<)([^<>]*)>/g;
const LABEL = /\b((User(?:name)?|user(?:name)?|USER(?:NAME)?|Account Name|Account|account|Login|login|IP Address|IP address|IP|Address|address|Client IP|client IP|Assigned IP|assigned IP)\s*[=:]\s*('?))([^\s,;'"<>]+)/g;
const WORD = /\b((for user|for|user|from|address|IP) ('?))([A-Za-z0-9_.\\@$-]+)(?=['\s,;]|$)/g;

/** Every named value of a line (a value may be found in more than one shape). */
export function fieldsOf(line: string): Field[] {
  const fields: Field[] = [];
  const add = (re: RegExp, style: FieldStyle, closing: (open: string) => string) => {
    for (const m of line.matchAll(re)) {
      const open = m[3]!;
      const after = closing(open);
      let value = m[4] ?? m[3]!;
      if (style === 'angle') value = m[3]!;
      // A quoted value runs to its closing quote, spaces included.
      if (open === '"' || open === "'") {
        const start = m.index! + m[0].length - value.length;
        const end = line.indexOf(open, start);
        if (end === -1) continue;
        value = line.slice(start, end);
      }
      fields.push({ key: m[2]!.trim(), value, style, before: style === 'angle' ? m[1]! : m[1]!, after });
    }
  };
  add(KV, 'kv', (open) => open);
  add(JSON_MEMBER, 'json', (open) => open);
  add(ANGLE, 'angle', () => '>');
  add(LABEL, 'label', (open) => open);
  add(WORD, 'word', (open) => open);
  return fields;
}

const LEEF = /(?:^|\s)LEEF:(\d(?:\.\d)?)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]+)\|/;
const CEF = /(?:^|\s)CEF:(\d+)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]+)\|/;
const CISCO = /%([A-Z][A-Z0-9_]*)-(\d)-([A-Z0-9_]+):/;
/** JSON or key=value members that name the kind of event, best first. */
const ID_KEYS = ['EventID', 'EventId', 'event_id', 'eventid', 'EventCode', 'logid', 'log_id', 'msgid', 'msg_id', 'messageid', 'event_type', 'eventtype', 'action', 'act', 'logdesc', 'status'];

/** The event markers found in a line, best first. */
export function markersOf(line: string, fields: readonly Field[]): Marker[] {
  const markers: Marker[] = [];
  const leef = LEEF.exec(line) ?? CEF.exec(line);
  if (leef) {
    const kind = leef[0].includes('LEEF') ? 'LEEF event id' : 'CEF signature id';
    markers.push({ kind, value: leef[5]!, pattern: `\\|${escapeRegex(leef[5]!)}\\|` });
  }
  const cisco = CISCO.exec(line);
  if (cisco) markers.push({ kind: 'message id', value: `${cisco[1]}-${cisco[3]}`, pattern: `%${escapeRegex(cisco[1]!)}-\\d-${escapeRegex(cisco[3]!)}:` });
  for (const key of ID_KEYS) {
    if (markers.some((m) => m.kind.toLowerCase() === key.toLowerCase())) continue;
    const field = fields.find((f) => f.key.toLowerCase() === key.toLowerCase() && f.value !== '' && (f.style === 'kv' || f.style === 'json'));
    if (field) markers.push({ kind: field.key, value: field.value, pattern: fieldPattern(field, escapeRegex(field.value)) });
  }
  return markers;
}

/**
 * A pattern for a field written as `field` was, whose value matches `value` (a pattern with
 * one capture group, or plain text). A key that starts with a letter starts at a word
 * boundary, so `user=` does not match inside `duser=`; RE2 accepts `\b`, and a pattern that
 * starts with it still gets the prefilter's literal and the fast capture plan.
 */
export function fieldPattern(field: Pick<Field, 'before' | 'after'>, value: string): string {
  const boundary = /^\w/.test(field.before) ? '\\b' : '';
  return `${boundary}${escapeRegex(field.before)}${value}${escapeRegex(field.after)}`;
}

export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
