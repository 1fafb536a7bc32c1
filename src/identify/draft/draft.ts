/**
 * `uid-listener draft-profile`: a starting profile from sample lines of a device no profile
 * covers (issue 11 item 5). Pure: lines in, a profile definition, the samples with what the
 * draft maps from each, and notes on what it could not decide, out. A start for an admin,
 * not magic:
 *
 * 1. Lines are read as the matcher reads them (relay escapes undone, relay.ts) and sorted by
 *    their words (words.ts): the profile's event is the commoner of login and logout; lines
 *    without either word count with it, failures and the other event become negative samples.
 * 2. The event part is the marker most of those lines share: a LEEF/CEF event id, a Cisco
 *    message id, or an id member (`EventID`, `logid`, `action`…) (fields.ts); failing that,
 *    the longest text they all share.
 * 3. The user is the user-like field with the most usable values (not `-`, `N/A`, `HOST$`),
 *    the address the address field of the best kind: an assigned or tunnel address before a
 *    plain `src`/`ip`, a remote or public one last (for a VPN the tunnel address is the one
 *    the firewall sees).
 * 4. The draft is compiled by the same code as any profile (ProfileSet) and each line run
 *    through the same tester, so `expect:` says what the draft maps.
 */
import { isIP } from 'node:net';
import type { ExpectedEvent, RegexProfileDefinition } from '../definition.js';
import type { IdentityAction } from '../event.js';
import { ProfileSet } from '../profile-set.js';
import { undoRelay } from '../relay.js';
import { NO_MAPPING_RULES, SenderTester } from '../tester.js';
import { escapeRegex, fieldPattern, fieldsOf, markersOf, type Field } from './fields.js';
import { lineKind, type LineKind } from './words.js';

export interface DraftSample {
  readonly message: string;
  readonly expect: readonly ExpectedEvent[];
  /** Why it is there or why it maps nothing, for a comment. */
  readonly note?: string;
}

export interface Draft {
  readonly definition: RegexProfileDefinition;
  readonly samples: readonly DraftSample[];
  /** What the draft could not decide or guessed: for comments at the top. */
  readonly notes: readonly string[];
}

interface Line {
  readonly message: string;
  readonly text: string;
  readonly kind: LineKind;
  readonly fields: readonly Field[];
}

const USER_KEY = /user|usr|login|account|^for$/i;
const NOT_USER_KEY = /agent|group|domain|sid|type|logonid|port|host|id$|count|role|policy/i;
const UNUSABLE_USER = /^(?:-|n\/a|none|null|\(null\)|unknown|anonymous logon|)$/i;
/** An address kind the firewall sees as the user's: assigned inside a VPN, first. */
const ASSIGNED = /assign|tunnel|framed|virtual|ipv[46] ?address|vpn|inside|private/i;
/** Addresses of the far side or of the device, last. */
const REMOTE = /remote|remip|public|nas|server|device|dvc|gateway|peer|dst_?host|^IP$/i;
const USER_VALUE = { '"': '([^"]+)', "'": "([^']+)", '>': '([^>]+)', '': '([^\\s"\',;|^]+)' } as const;
const ADDRESS_VALUE = '([0-9A-Fa-f:.]+)';
/** PRI, an RFC 3164 or RFC 5424 timestamp and the host name: the same in every line of one device, and no event marker. */
const SYSLOG_HEADER = /^(?:<\d{1,3}>)?(?:1 )?(?:[A-Z][a-z]{2} [ \d]\d (?:\d{4} )?\d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) +\S+ +/;

export function draftProfile(messages: readonly string[], name: string): Draft {
  const lines = messages.filter((m) => m.trim() !== '').map(readLine);
  const notes: string[] = [];
  const count = (kind: LineKind) => lines.filter((l) => l.kind === kind).length;
  const event: IdentityAction = count('logout') > count('login') ? 'logout' : 'login';
  const other = event === 'login' ? 'logout' : 'login';
  const candidates = lines.filter((l) => l.kind === event || l.kind === 'unknown');
  if (count('unknown') > 0) notes.push(`${count('unknown')} line(s) have neither login nor logout words; they were taken as ${event}s`);
  if (count(other) > 0) notes.push(`${count(other)} line(s) look like ${other}s: a profile has one event, so draft them apart (their own file) for a ${other} profile`);

  const { eventRegex, core } = eventPart(candidates, lines.filter((l) => !candidates.includes(l)), notes);
  const user = userPart(core, notes);
  const addressRegex = addressPart(core, user.key, notes);
  if (candidates.length === 1) notes.push('only one line to learn from: the patterns may be too specific; give several lines of the same event');

  const definition: RegexProfileDefinition = {
    name,
    description: `DRAFT from ${lines.length} sample line(s): review before use`,
    type: 'regex',
    event,
    eventRegex,
    usernameRegex: user.regex,
    addressRegex,
  };
  return { definition, samples: samplesOf(definition, lines, core, notes), notes };
}

function readLine(message: string): Line {
  const text = undoRelay(Buffer.from(message)).toString('utf8');
  return { message, text, kind: lineKind(text), fields: fieldsOf(text) };
}

/** The event regex, and the lines it was drawn from (those with the chosen marker). */
function eventPart(candidates: readonly Line[], others: readonly Line[], notes: string[]): { eventRegex: string; core: readonly Line[] } {
  const byPattern = new Map<string, { kind: string; value: string; lines: Line[] }>();
  for (const line of candidates) {
    for (const m of markersOf(line.text, line.fields)) {
      const entry = byPattern.get(m.pattern) ?? { kind: m.kind, value: m.value, lines: [] };
      if (!entry.lines.includes(line)) entry.lines.push(line);
      byPattern.set(m.pattern, entry);
    }
  }
  let best: [string, { kind: string; value: string; lines: Line[] }] | undefined;
  for (const entry of byPattern) if (best === undefined || entry[1].lines.length > best[1].lines.length) best = entry;
  if (best !== undefined) {
    const [pattern, { kind, value, lines }] = best;
    const left = candidates.length - lines.length;
    if (left > 0) notes.push(`the event part is ${kind} ${JSON.stringify(value)}, which ${lines.length} of ${candidates.length} line(s) share; the other ${left} map nothing with this draft`);
    const alsoIn = others.filter((l) => new RegExp(pattern).test(l.text)).length;
    if (alsoIn > 0) notes.push(`${alsoIn} failure or other line(s) carry the same ${kind}: check that the event part tells them apart`);
    return { eventRegex: pattern, core: lines };
  }
  const shared = sharedText(candidates.map(withoutValues));
  if (shared.length >= 4) {
    notes.push(`no event id recognised: the event part is the longest text every line shares, ${JSON.stringify(shared)}; prefer a message id or event name`);
    return { eventRegex: escapeRegex(shared), core: candidates };
  }
  notes.push('could not find text that marks the event: eventRegex matches every message; write one');
  return { eventRegex: '.', core: candidates };
}

/** The username regex from the user-like field with the most usable values, and that field's key. */
function userPart(core: readonly Line[], notes: string[]): { regex: string; key: string } {
  const ranked = rank(core, (f) => USER_KEY.test(f.key) && !NOT_USER_KEY.test(f.key) && usableUser(f.value), (key) => preferUser(key));
  if (ranked.length === 0) {
    notes.push('no user field recognised: usernameRegex is a placeholder; write one');
    return { regex: '\\buser=([^\\s,;]+)', key: '' };
  }
  const [chosen, ...rest] = ranked;
  if (rest.length > 0) notes.push(`user: chose ${chosen!.key} (usable in ${chosen!.lines} line(s)); also seen: ${rest.map((r) => r.key).join(', ')}`);
  const regex = alternation(chosen!.shapes.map((f) => fieldPattern(f, USER_VALUE[f.after as keyof typeof USER_VALUE] ?? USER_VALUE[''])));
  return { regex, key: chosen!.key };
}

/**
 * The address regex: every assigned-address field when there are any, else the best single
 * one; a CEF/LEEF `duser` pairs with `dst`, `suser` with `src`.
 */
function addressPart(core: readonly Line[], userKey: string, notes: string[]): string {
  const paired = /^d(?:user|usr)/i.test(userKey) ? 'd' : /^s(?:user|usr)/i.test(userKey) ? 's' : '';
  const ranked = rank(core, (f) => isIP(f.value) !== 0, (key) => tierOf(key) * 2 + (paired !== '' && key.toLowerCase().startsWith(paired) ? 0 : 1));
  if (ranked.length === 0) {
    notes.push('no address field recognised: addressRegex is a placeholder; write one');
    return `\\bip=${ADDRESS_VALUE}`;
  }
  const assigned = ranked.filter((r) => tierOf(r.key) === 0);
  const chosen = assigned.length > 0 ? assigned : [ranked[0]!];
  const rest = ranked.filter((r) => !chosen.includes(r));
  if (rest.length > 0) notes.push(`address: chose ${chosen.map((c) => c.key).join(' and ')}; also seen: ${rest.map((r) => r.key).join(', ')} (for a VPN map the tunnel address, not the public one)`);
  return alternation(chosen.flatMap((c) => c.shapes.map((f) => fieldPattern(f, ADDRESS_VALUE))));
}

interface Ranked {
  readonly key: string;
  readonly lines: number;
  /** Each distinct way the key is written (quoted, bare…). */
  readonly shapes: Field[];
}

/** Keys of fields that pass `usable`, most lines first, then by `order` (lower first), then first seen. */
function rank(core: readonly Line[], usable: (f: Field) => boolean, order: (key: string) => number): Ranked[] {
  const byKey = new Map<string, { lines: Set<Line>; shapes: Field[] }>();
  for (const line of core) {
    for (const f of line.fields) {
      if (!usable(f)) continue;
      const entry = byKey.get(f.key) ?? { lines: new Set(), shapes: [] };
      entry.lines.add(line);
      if (!entry.shapes.some((s) => s.before === f.before && s.after === f.after)) entry.shapes.push(f);
      byKey.set(f.key, entry);
    }
  }
  return [...byKey].map(([key, e]) => ({ key, lines: e.lines.size, shapes: e.shapes }))
    .sort((a, b) => b.lines - a.lines || order(a.key) - order(b.key));
}

function usableUser(value: string): boolean {
  const v = value.trim();
  return !UNUSABLE_USER.test(v) && !v.endsWith('$') && isIP(v) === 0 && !/^\d+$/.test(v) && v.length <= 255;
}

/** Target (new logon) and destination users before subject and source ones. */
function preferUser(key: string): number {
  return /^target|^d/i.test(key) ? 0 : /^subject|^s/i.test(key) ? 2 : 1;
}

function tierOf(key: string): number {
  return ASSIGNED.test(key) ? 0 : REMOTE.test(key) ? 2 : 1;
}

function alternation(patterns: readonly string[]): string {
  return [...new Set(patterns)].join('|');
}

/** A line's text without its syslog header, every recognised value blanked out: what is left can mark the event. */
function withoutValues(line: Line): string {
  let text = line.text.replace(SYSLOG_HEADER, '');
  for (const { value } of line.fields) if (value.trim() !== '') text = text.split(value).join('\u0000');
  return text;
}

/** The longest text every line contains, without a word cut in two or punctuation at either end, or ''. */
function sharedText(texts: readonly string[]): string {
  if (texts.length === 0) return '';
  const [first, ...rest] = [...texts].sort((a, b) => a.length - b.length) as [string, ...string[]];
  let best = '';
  for (let start = 0; start < first.length; start++) {
    let end = start + best.length + 1;
    // A blanked value (NUL) ends the run: the shared text never spans a value.
    while (end <= first.length && !first.slice(start, end).includes('\u0000') && rest.every((t) => t.includes(first.slice(start, end)))) end++;
    const found = wholeWords(first, start, end - 1);
    if (found.length > best.length) best = found;
  }
  return best.replace(/^[^\w%<]+|[^\w>]+$/g, ''); // "]: Accepted " → "Accepted": no stray punctuation at the ends
}

/** `text.slice(start, end)` less a word fragment at either end (a word that goes on beyond the shared text). */
function wholeWords(text: string, start: number, end: number): string {
  const word = /\w/;
  let from = start;
  let to = end;
  if (from > 0 && word.test(text[from - 1]!)) while (from < to && word.test(text[from]!)) from++;
  if (to < text.length && word.test(text[to]!)) while (to > from && word.test(text[to - 1]!)) to--;
  return text.slice(from, to);
}

/** Every line as a sample, with what the compiled draft maps from it. */
function samplesOf(definition: RegexProfileDefinition, lines: readonly Line[], core: readonly Line[], notes: string[]): DraftSample[] {
  const { set, issues } = ProfileSet.build([definition]);
  if (issues.length > 0) {
    notes.push(`the draft does not compile: ${issues.map((i) => i.message).join('; ')}`);
    return lines.map((l) => ({ message: l.message, expect: [] }));
  }
  const tester = new SenderTester(set, NO_MAPPING_RULES, { name: 'draft-profile', address: '127.0.0.1', transports: ['udp'] });
  return lines.map((line) => {
    const events = tester.run(line.message);
    const expect = events.map(({ user, ip }) => ({ user, ip }));
    const note = events.length > 0
      ? (line.kind === 'failure' ? 'has failure words but maps: check it is not a failed login' : undefined)
      : `${line.kind === 'unknown' || core.includes(line) ? 'maps nothing' : `${line.kind} line, maps nothing`}: ${tester.reason()}`;
    return note === undefined ? { message: line.message, expect } : { message: line.message, expect, note };
  });
}
