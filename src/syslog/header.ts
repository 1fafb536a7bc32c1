/**
 * Syslog header decoding, lazily (logs, test-profile and later features call it; the
 * message path never does): RFC 5424 §6 (PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID
 * MSGID STRUCTURED-DATA [MSG], with an optional UTF-8 BOM before MSG) and RFC 3164 §4.1
 * (PRI, TIMESTAMP HOSTNAME, TAG and CONTENT). It decodes as far as the input allows and
 * lists what was missing or broken in `problems`; it never throws.
 */
import { isUtf8 } from 'node:buffer';

export type HeaderProblem =
  | 'pri-missing' // no <PRI> (RFC 3164 §4.3.3 lets a relay add one; we leave it unknown)
  | 'pri-invalid' // not 1-3 digits in <> or above 191
  | 'timestamp-missing'
  | 'timestamp-invalid'
  | 'hostname-missing'
  | 'header-truncated' // an RFC 5424 header ends before its MSGID
  | 'structured-data-invalid' // the rest is kept as MSG
  | 'invalid-utf8' // decoded with U+FFFD where bytes were not UTF-8
  | 'nul-bytes';

/** RFC 5424 §6.3: an SD-ELEMENT, its SD-ID and its SD-PARAMs (escapes resolved). */
export interface StructuredDataElement {
  readonly id: string;
  readonly params: ReadonlyArray<readonly [name: string, value: string]>;
}

export interface SyslogHeader {
  readonly format: 'rfc5424' | 'rfc3164';
  /** PRIVAL = facility × 8 + severity (RFC 5424 §6.2.1). */
  readonly priority: number | undefined;
  readonly facility: number | undefined;
  readonly severity: number | undefined;
  /** RFC 5424 VERSION (1). */
  readonly version: number | undefined;
  /** As written. */
  readonly timestamp: string | undefined;
  /** The timestamp as a time; an RFC 3164 one takes the year that puts it nearest before now, in local time. */
  readonly time: Date | undefined;
  readonly hostname: string | undefined;
  /** RFC 5424 APP-NAME, or the RFC 3164 TAG's name. */
  readonly appName: string | undefined;
  /** RFC 5424 PROCID, or the RFC 3164 TAG's `[pid]`. */
  readonly procId: string | undefined;
  readonly msgId: string | undefined;
  readonly structuredData: readonly StructuredDataElement[];
  /** MSG (RFC 5424) or CONTENT (RFC 3164), BOM removed. */
  readonly msg: string;
  /** MSG began with the UTF-8 BOM (RFC 5424 §6.4: it is then UTF-8). */
  readonly bom: boolean;
  readonly problems: readonly HeaderProblem[];
}

type Draft = {
  -readonly [K in keyof SyslogHeader]: SyslogHeader[K] extends readonly (infer T)[] ? T[] : SyslogHeader[K];
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;
const BSD_TIMESTAMP = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?= |$)/;
const TAG = /^([^\s:[\]]{1,48})(?:\[([^\]\s]{0,128})\])?:(?: |$)/;

export function decodeHeader(data: Buffer | string, now: Date = new Date()): SyslogHeader {
  const problems: HeaderProblem[] = [];
  let text: string;
  if (typeof data === 'string') {
    text = data;
  } else {
    if (!isUtf8(data)) problems.push('invalid-utf8');
    text = data.toString('utf8');
  }
  if (text.includes('\0')) problems.push('nul-bytes');
  text = text.replace(/[\r\n\0]+$/, '');

  const header: Draft = {
    format: 'rfc3164', priority: undefined, facility: undefined, severity: undefined, version: undefined,
    timestamp: undefined, time: undefined, hostname: undefined, appName: undefined, procId: undefined,
    msgId: undefined, structuredData: [], msg: '', bom: false, problems,
  };
  const rest = readPriority(text, header);
  const version = /^([1-9]\d{0,2}) /.exec(rest);
  if (version && header.priority !== undefined) {
    header.format = 'rfc5424';
    header.version = Number(version[1]);
    decode5424(rest.slice(version[0].length), header);
  } else {
    decode3164(rest, header, now);
  }
  return header;
}

function readPriority(text: string, header: Draft): string {
  if (text[0] !== '<') {
    header.problems.push('pri-missing');
    return text;
  }
  const close = text.indexOf('>');
  const digits = close > 0 ? text.slice(1, close) : '';
  if (!/^\d{1,3}$/.test(digits) || Number(digits) > 191) {
    header.problems.push('pri-invalid');
    return close > 0 && close <= 4 ? text.slice(close + 1) : text;
  }
  const priority = Number(digits);
  header.priority = priority;
  header.facility = priority >> 3;
  header.severity = priority & 7;
  return text.slice(close + 1);
}

/** RFC 5424 §6 after `VERSION SP`. */
function decode5424(text: string, header: Draft): void {
  let pos = 0;
  const field = (): string | undefined => {
    if (pos > text.length) return undefined;
    const space = text.indexOf(' ', pos);
    const end = space === -1 ? text.length : space;
    const value = text.slice(pos, end);
    pos = space === -1 ? text.length + 1 : space + 1;
    return value;
  };
  const nil = (value: string | undefined) => (value === '-' ? undefined : value);
  const timestamp = field();
  const hostname = field();
  const appName = field();
  const procId = field();
  const msgId = field();
  if (msgId === undefined) header.problems.push('header-truncated');
  header.timestamp = nil(timestamp);
  if (header.timestamp === undefined) {
    if (timestamp === undefined) header.problems.push('timestamp-missing');
  } else {
    header.time = parseRfc3339(header.timestamp);
    if (!header.time) header.problems.push('timestamp-invalid');
  }
  header.hostname = nil(hostname);
  if (hostname === undefined) header.problems.push('hostname-missing');
  header.appName = nil(appName);
  header.procId = nil(procId);
  header.msgId = nil(msgId);
  if (pos > text.length) return;

  let msgStart: number;
  if (text[pos] === '-') {
    msgStart = pos + 1;
  } else {
    const end = readStructuredData(text, pos, header.structuredData);
    if (end < 0) {
      header.problems.push('structured-data-invalid');
      header.structuredData.length = 0;
      setMsg(text.slice(pos), header);
      return;
    }
    msgStart = end;
  }
  setMsg(text[msgStart] === ' ' ? text.slice(msgStart + 1) : text.slice(msgStart), header);
}

function setMsg(msg: string, header: Draft): void {
  header.bom = msg.charCodeAt(0) === 0xfeff;
  header.msg = header.bom ? msg.slice(1) : msg;
}

/** RFC 5424 §6.3 SD-ELEMENTs from `pos`; the index after them, or -1 when malformed. */
function readStructuredData(text: string, pos: number, out: StructuredDataElement[]): number {
  while (text[pos] === '[') {
    pos++;
    const idEnd = scanName(text, pos);
    if (idEnd === pos) return -1;
    const id = text.slice(pos, idEnd);
    const params: [string, string][] = [];
    pos = idEnd;
    while (text[pos] === ' ') {
      const nameStart = pos + 1;
      const nameEnd = scanName(text, nameStart);
      if (nameEnd === nameStart || text[nameEnd] !== '=' || text[nameEnd + 1] !== '"') return -1;
      let value = '';
      let i = nameEnd + 2;
      for (; i < text.length && text[i] !== '"'; i++) {
        // §6.3.3: only \" \\ \] are escapes; a backslash before anything else is kept.
        if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) i++;
        value += text[i];
      }
      if (i >= text.length) return -1;
      params.push([text.slice(nameStart, nameEnd), value]);
      pos = i + 1;
    }
    if (text[pos] !== ']') return -1;
    pos++;
    out.push({ id, params });
  }
  return pos;
}

/** SD-NAME: 1-32 printable US-ASCII except '=', SP, ']' and '"'. */
function scanName(text: string, pos: number): number {
  let i = pos;
  while (i < text.length && i - pos < 32) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 61 || c === 93 || c === 34) break;
    i++;
  }
  return i;
}

function parseRfc3339(text: string): Date | undefined {
  if (!RFC3339.test(text)) return undefined;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** RFC 3164 §4.1.2 HEADER and §4.1.3 MSG, tolerating what relays write instead. */
function decode3164(text: string, header: Draft, now: Date): void {
  let rest = text;
  const bsd = BSD_TIMESTAMP.exec(rest);
  const iso = bsd ? null : /^\S+/.exec(rest);
  if (bsd) {
    header.timestamp = bsd[0];
    header.time = bsdTime(bsd, now);
    if (!header.time) header.problems.push('timestamp-invalid');
    rest = rest.slice(bsd[0].length + 1);
  } else if (iso && RFC3339.test(iso[0])) {
    // rsyslog's "high precision" 3164 variant carries an RFC 3339 time.
    header.timestamp = iso[0];
    header.time = parseRfc3339(iso[0]);
    rest = rest.slice(iso[0].length + 1);
  } else {
    header.problems.push('timestamp-missing');
  }
  if (header.timestamp !== undefined) {
    const host = /^(\S+)(?: |$)/.exec(rest);
    // A first word that is a TAG ("sshd[42]:") or a LEEF/CEF header means the host was left out.
    if (host && !TAG.test(rest) && !/^(?:LEEF|CEF):/.test(rest)) {
      header.hostname = host[1];
      rest = rest.slice(host[0].length);
    } else {
      header.problems.push('hostname-missing');
    }
  }
  const tag = /^(?:LEEF|CEF):/.test(rest) ? null : TAG.exec(rest);
  if (tag) {
    header.appName = tag[1];
    header.procId = tag[2] || undefined;
    rest = rest.slice(tag[0].length);
  }
  setMsg(rest, header);
}

function bsdTime(match: RegExpExecArray, now: Date): Date | undefined {
  const month = MONTHS.indexOf(match[1]!);
  const [day, hour, minute, second] = [match[2], match[3], match[4], match[5]].map(Number) as [number, number, number, number];
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  // No year in RFC 3164: this year, unless that is more than a day ahead (then last year's December).
  let time = new Date(now.getFullYear(), month, day, hour, minute, second);
  if (time.getTime() - now.getTime() > 86_400_000) time = new Date(now.getFullYear() - 1, month, day, hour, minute, second);
  return time.getDate() === day ? time : undefined;
}
