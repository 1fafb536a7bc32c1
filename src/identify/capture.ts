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

/** Compiles `pattern` (throws RE2's SyntaxError when RE2 refuses it); `exec` forces the general plan. */
export function compileCapture(pattern: string, encoding: Encoding, plan: 'auto' | 'exec' = 'auto'): Capture {
  const exec = new RE2(pattern, 'g');
  const branches = plan === 'auto' ? spanPlan(pattern) : null;
  return branches === null ? new ExecCapture(exec, encoding) : new SpanCapture(branches, encoding);
}

interface Branch {
  /** Every match of this alternative begins with these bytes. */
  readonly lead: Buffer;
  /** Anchored at `lastIndex`: does this alternative match there, and where does it end? */
  readonly sticky: RE2;
  /** Bytes of the match before and after the value; null for an alternative without a group. */
  readonly before: number | null;
  readonly after: number;
  /** The alternative is `lead (class run) suffix`: decided without RE2 (class-run.ts); else null. */
  readonly run: ClassRun | null;
}

class SpanCapture extends Capture {
  readonly plan = 'span';
  /** Next occurrence of each branch's leading literal (scratch, reused per call). */
  private readonly next: Int32Array;

  constructor(private readonly branches: readonly Branch[], encoding: Encoding) {
    super(encoding);
    this.next = new Int32Array(branches.length);
  }

  find(data: Buffer, from: number): string | null | undefined {
    const { branches, next } = this;
    for (let b = 0; b < branches.length; b++) next[b] = data.indexOf(branches[b]!.lead, from);
    for (;;) {
      let at = -1;
      for (let b = 0; b < branches.length; b++) if (next[b]! !== -1 && (at === -1 || next[b]! < at)) at = next[b]!;
      if (at === -1) return undefined;
      // Leftmost-first: at the leftmost candidate, the first alternative (in pattern order) that matches wins.
      for (let b = 0; b < branches.length; b++) {
        if (next[b] !== at) continue;
        const branch = branches[b]!;
        let end = branch.run === null ? ASK_RE2 : runEnd(branch.run, data, at + branch.lead.length);
        if (end === ASK_RE2) {
          branch.sticky.lastIndex = at;
          end = branch.sticky.test(data) ? branch.sticky.lastIndex : -1;
        }
        if (end === -1) continue;
        this.resume = end;
        return branch.before === null ? null : data.toString(this.encoding, at + branch.before, end - branch.after);
      }
      for (let b = 0; b < branches.length; b++) if (next[b] === at) next[b] = data.indexOf(branches[b]!.lead, at + 1);
    }
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
    const lead = leadingLiteral(pieces);
    const span = hasGroups ? groupSpan(pieces) : { before: 0, after: 0 };
    if (lead === '' || span === undefined) return null;
    branches.push({ lead: Buffer.from(lead), sticky: new RE2(source, 'y'), before: span?.before ?? null, after: span?.after ?? 0, run: classRun(pieces) });
  }
  return branches;
}

function noCapture(atom: Atom): boolean {
  return atom.kind !== 'group' || !atom.capturing;
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
