/**
 * Finding the value of a username or address pattern in a message. The value of a match is
 * its first capture group that took part, or the whole match when the pattern has no group;
 * when the pattern has groups but none took part there is no value (`null`).
 *
 * node-re2's `exec` on a Buffer copies the match and every group into new Buffers from C++,
 * which costs microseconds, and even `search` (where does the match start?) costs over a
 * microsecond; `Buffer.indexOf` and a sticky `test` (does it match here, and where does it
 * end?) cost a fraction of that. So, at load, each pattern gets a plan:
 *
 * - span plan, when every top-level alternative begins with literal text and either has no
 *   capture group, or reads `literal (group) literal` with a plain group. A match must begin
 *   where one of those leading literals occurs, so the candidates come from `indexOf`, in
 *   order; at each one the alternatives are tried in order with a sticky `test` on the whole
 *   message (RE2's leftmost-first choice, assertions judged in full context), and the value is
 *   the match minus the two literals' byte lengths.
 *   When the alternative is exactly `literal (class+) literal` — the usual `dst=([0-9.]+)`,
 *   `User <([^>]+)>` — the sticky test is not needed either: the group is the longest run of
 *   class bytes after the leading literal (class-run.ts), judged in JavaScript for a few
 *   nanoseconds a byte instead of a native call.
 *   An alternative `P (G) S` whose P or S varies in length (`Username ?= ?([^,]+),`,
 *   `,USERID,login,[^,]*,[^,]*,([^,]+),`) is split instead: sticky tests of P, then G, then S,
 *   each from where the last ended. RE2 picks submatches leftmost-first, as a backtracker
 *   would: the first choice of P (in its own priority order) is tried first, and for it the
 *   first choice of G, then of S. So when all three succeed that is the match, and the group
 *   is what G's test spanned; when G or S fails there (another choice of P or G would be
 *   needed), a sticky `exec` of the alternative answers.
 * - exec plan otherwise: `exec` with the `g` flag and `lastIndex`, RE2's own answer.
 *
 * Both give the same results (test/identify/capture.test.ts checks it on random patterns).
 * To get the span plan, start each alternative with literal text (`dst=(…)`, not `(…)`).
 */
import RE2 from 're2';
import { ASK_RE2, classRun, runEnd, type ClassRun } from './class-run.js';
import { everyAtom, parsePattern, type Atom, type Piece } from './pattern.js';

export type Encoding = 'utf8' | 'latin1';

export abstract class Capture {
  abstract readonly plan: 'span' | 'exec';
  /** Where the search for the match after the last one found starts (byte offset). */
  resume = 0;

  constructor(protected readonly encoding: Encoding) {}

  /** The next match at or after byte `from`: its value, null without one, undefined when there is no match. */
  abstract find(data: Buffer, from: number): string | null | undefined;
}

/** The pieces of an alternative `P (G) S` as sticky RE2s, and the alternative's own sticky exec for when they cannot tell. */
interface Parts {
  readonly prefix: RE2;
  readonly group: RE2;
  /** null: S is empty. */
  readonly suffix: RE2 | null;
  readonly exec: RE2;
}

/** Compiles `pattern` (throws RE2's SyntaxError when RE2 refuses it); `exec` forces the general plan. */
export function compileCapture(pattern: string, encoding: Encoding, plan: 'auto' | 'exec' = 'auto'): Capture {
  const exec = new ExecCapture(new RE2(pattern, 'g'), encoding);
  const branches = plan === 'auto' ? spanPlan(pattern) : null;
  return branches === null ? exec : new SpanCapture(branches, exec, encoding);
}

interface Branch {
  /** Every match of this alternative has these bytes at `leadAt` (0, or 1 after a leading one-byte class such as `\s`). */
  readonly lead: Buffer;
  readonly leadAt: number;
  /** Anchored at `lastIndex`: does this alternative match there, and where does it end? */
  readonly sticky: RE2;
  /** Bytes of the match before and after the value; null for an alternative without a group. */
  readonly before: number | null;
  readonly after: number;
  /** The alternative is `lead (class run) suffix`: decided without RE2 (class-run.ts); else null. */
  readonly run: ClassRun | null;
  /** The alternative is `P (G) S` with P or S of varying length: the group's bounds come from its parts; else null. */
  readonly parts: Parts | null;
}

/**
 * Leading literals tried in one `find` before RE2's exec takes over from the next one: a
 * lead that occurs all over a message (`<Data Name=` in Windows XML, `"` in JSON) would
 * otherwise cost a sticky test or three per occurrence. After that happened, the next
 * EXEC_AFTER_OVERFLOW calls go to exec straight away: a profile's captures see messages of
 * one format, so the next is likely alike. Both ways give the same answer; only speed differs.
 */
const MAX_CANDIDATES = 4;
const EXEC_AFTER_OVERFLOW = 64;

class SpanCapture extends Capture {
  readonly plan = 'span';
  /** The distinct leading literals and where they sit (alternatives often share one), and which is each branch's. */
  private readonly leads: readonly Buffer[];
  private readonly leadsAt: Int32Array;
  private readonly leadOf: Int32Array;
  /** Where the next match with each lead would begin (scratch, reused per call). */
  private readonly next: Int32Array;
  /** Calls left that go to exec directly (see EXEC_AFTER_OVERFLOW). */
  private execCalls = 0;

  constructor(private readonly branches: readonly Branch[], private readonly exec: ExecCapture, encoding: Encoding) {
    super(encoding);
    const leads: Buffer[] = [];
    const leadsAt: number[] = [];
    this.leadOf = Int32Array.from(branches, ({ lead, leadAt }) => {
      const known = leads.findIndex((l, i) => l.equals(lead) && leadsAt[i] === leadAt);
      if (known !== -1) return known;
      leadsAt.push(leadAt);
      return leads.push(lead) - 1;
    });
    this.leads = leads;
    this.leadsAt = Int32Array.from(leadsAt);
    this.next = new Int32Array(leads.length);
  }

  find(data: Buffer, from: number): string | null | undefined {
    if (this.execCalls > 0) {
      this.execCalls--;
      return this.execFind(data, from);
    }
    const { branches, leads, leadOf, next } = this;
    for (let l = 0; l < leads.length; l++) next[l] = this.nextStart(data, l, from);
    for (let tried = 0; ; tried++) {
      let at = -1;
      for (let l = 0; l < leads.length; l++) if (next[l]! !== -1 && (at === -1 || next[l]! < at)) at = next[l]!;
      if (at === -1) return undefined;
      if (tried === MAX_CANDIDATES) {
        // No match begins before `at` (no lead, or none matched there), so RE2's first match from `at` is the answer.
        this.execCalls = EXEC_AFTER_OVERFLOW;
        return this.execFind(data, at);
      }
      // Leftmost-first: at the leftmost candidate, the first alternative (in pattern order) that matches wins.
      for (let b = 0; b < branches.length; b++) {
        if (next[leadOf[b]!] !== at) continue;
        const branch = branches[b]!;
        if (branch.parts !== null) {
          const value = this.partsValue(branch.parts, data, at);
          if (value !== undefined) return value;
          continue;
        }
        let end = branch.run === null ? ASK_RE2 : runEnd(branch.run, data, at + branch.leadAt + branch.lead.length);
        if (end === ASK_RE2) {
          branch.sticky.lastIndex = at;
          end = branch.sticky.test(data) ? branch.sticky.lastIndex : -1;
        }
        if (end === -1) continue;
        this.resume = end;
        return branch.before === null ? null : data.toString(this.encoding, at + branch.before, end - branch.after);
      }
      for (let l = 0; l < leads.length; l++) if (next[l] === at) next[l] = this.nextStart(data, l, at + 1);
    }
  }

  /** Where the first match with lead `l` at or after `from` would begin, or -1. */
  private nextStart(data: Buffer, l: number, from: number): number {
    const at = this.leadsAt[l]!;
    const found = data.indexOf(this.leads[l]!, from + at);
    return found === -1 ? -1 : found - at;
  }

  private execFind(data: Buffer, from: number): string | null | undefined {
    const value = this.exec.find(data, from);
    this.resume = this.exec.resume;
    return value;
  }

  /** The group of `P (G) S` matched at `at` (setting `resume`), or undefined when the alternative does not match there. */
  private partsValue(parts: Parts, data: Buffer, at: number): string | undefined {
    const { prefix, group, suffix } = parts;
    prefix.lastIndex = at;
    if (!prefix.test(data)) return undefined; // no choice of P matches here, so neither does the alternative
    const start = prefix.lastIndex;
    group.lastIndex = start;
    if (group.test(data)) {
      const end = group.lastIndex;
      if (suffix === null) {
        this.resume = end;
        return data.toString(this.encoding, start, end);
      }
      suffix.lastIndex = end;
      if (suffix.test(data)) {
        this.resume = suffix.lastIndex;
        return data.toString(this.encoding, start, end);
      }
    }
    // The first choices do not fit together: RE2 decides (its match, if any, begins at `at`).
    parts.exec.lastIndex = at;
    const m = parts.exec.exec(data) as Captures | null;
    if (m === null) return undefined;
    this.resume = at + m[0]!.length;
    return m[1]!.toString(this.encoding);
  }
}

type Captures = ArrayLike<Buffer | undefined> & { index: number };

class ExecCapture extends Capture {
  readonly plan = 'exec';

  constructor(private readonly re: RE2, encoding: Encoding) {
    super(encoding);
  }

  find(data: Buffer, from: number): string | null | undefined {
    if (from > data.length) return undefined;
    this.re.lastIndex = from;
    const m = this.re.exec(data) as Captures | null;
    if (m === null) return undefined;
    const whole = m[0]!.length;
    this.resume = m.index + (whole === 0 ? 1 : whole);
    if (m.length === 1) return m[0]!.toString(this.encoding);
    for (let i = 1; i < m.length; i++) if (m[i] !== undefined) return m[i]!.toString(this.encoding);
    return null;
  }
}

/** The branches of a span plan, or null when the pattern needs the exec plan. */
function spanPlan(pattern: string): Branch[] | null {
  const alternatives = parsePattern(pattern);
  if (alternatives === null) return null;
  if (!everyAtom(alternatives, (atom) => atom.kind !== 'flags')) return null; // (?i) changes literal lengths
  const hasGroups = !everyAtom(alternatives, noCapture);
  const branches: Branch[] = [];
  for (const { pieces, source } of alternatives) {
    const leadAt = leadingClassByte(pieces) ? 1 : 0;
    const lead = leadingLiteral(leadAt === 0 ? pieces : pieces.slice(pieces.findIndex(({ atom }) => atom.kind === 'class') + 1));
    if (lead === '') return null;
    const span = hasGroups ? groupSpan(pieces) : { before: 0, after: 0 };
    const parts = span === undefined ? splitParts(pieces, source) : null;
    if (span === undefined && parts === null) return null;
    branches.push({
      lead: Buffer.from(lead), leadAt, sticky: new RE2(source, 'y'), before: span?.before ?? null, after: span?.after ?? 0,
      run: parts === null ? classRun(pieces) : null, parts,
    });
  }
  return branches;
}

/**
 * The parts of an alternative `P (G) S`: one unquantified capturing group at its top level,
 * no other capturing group, the leading literal in P. Null for any other shape.
 */
function splitParts(pieces: readonly Piece[], source: string): Parts | null {
  const groupAt = pieces.findIndex(({ atom }) => !noCapture(atom));
  if (groupAt < 1) return null;
  const group = pieces[groupAt]!;
  if (group.quantified || group.atom.kind !== 'group' || !group.atom.capturing) return null;
  const others = pieces.filter((_, i) => i !== groupAt);
  if (!others.every(({ atom }) => noCapture(atom) && (atom.kind !== 'group' || everyAtom(atom.body, noCapture)))) return null;
  if (!everyAtom(group.atom.body, noCapture)) return null;
  const text = (from: number, to: number) => pieces.slice(from, to).map((p) => p.source).join('');
  const suffix = text(groupAt + 1, pieces.length);
  return {
    prefix: new RE2(text(0, groupAt), 'y'),
    group: new RE2(group.source, 'y'),
    suffix: suffix === '' ? null : new RE2(suffix, 'y'),
    exec: new RE2(source, 'y'),
  };
}

function noCapture(atom: Atom): boolean {
  return atom.kind !== 'group' || !atom.capturing;
}

/**
 * Whether the alternative begins (after zero-width assertions) with one byte of a class, then
 * literal text: `\suser=(…)`. Its matches are found one byte before that text.
 */
function leadingClassByte(pieces: readonly Piece[]): boolean {
  const first = pieces.find(({ atom }) => atom.kind !== 'assert');
  return first !== undefined && first.atom.kind === 'class' && !first.atom.nonAscii && !first.quantified;
}

/** The literal text every match of the alternative starts with (zero-width assertions skipped). */
function leadingLiteral(pieces: readonly Piece[]): string {
  let text = '';
  for (const { atom, quantified } of pieces) {
    if (quantified) break;
    if (atom.kind === 'char') text += atom.text;
    else if (atom.kind !== 'assert' || text !== '') break;
  }
  return text;
}

/**
 * Byte lengths around the alternative's group when it reads `literal (group) literal`; null
 * when the alternative has no capture group at all; undefined for any other shape.
 */
function groupSpan(pieces: readonly Piece[]): { before: number; after: number } | null | undefined {
  const groupAt = pieces.findIndex(({ atom }) => !noCapture(atom));
  if (groupAt === -1) return pieces.every(({ atom }) => atom.kind !== 'group' || everyAtom(atom.body, noCapture)) ? null : undefined;
  const group = pieces[groupAt]!;
  if (group.quantified || group.atom.kind !== 'group' || !everyAtom(group.atom.body, noCapture)) return undefined;
  const before = literalBytes(pieces.slice(0, groupAt));
  const after = literalBytes(pieces.slice(groupAt + 1));
  return before === undefined || after === undefined ? undefined : { before, after };
}

/** Byte length of unquantified literal characters (zero-width assertions count zero); undefined otherwise. */
function literalBytes(pieces: readonly Piece[]): number | undefined {
  let bytes = 0;
  for (const { atom, quantified } of pieces) {
    if (quantified) return undefined;
    if (atom.kind === 'char') bytes += Buffer.byteLength(atom.text);
    else if (atom.kind !== 'assert') return undefined;
  }
  return bytes;
}
