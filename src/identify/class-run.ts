/**
 * The commonest capture shape, `literal (class+) literal` (`duser=([a-zA-Z0-9_]+)`,
 * `User <([^>]+)>`), decided in JavaScript instead of an anchored RE2 call (capture.ts).
 *
 * Why it is exact. Once the leading literal is found, the group can only be the longest run
 * of class members that follows it: a greedy run stops at the first non-member, and a
 * shorter run would be followed by a member, which cannot begin the suffix because its
 * first character is, by construction, not a member (so a lazy run ends there too). Then
 * the suffix must follow, or this alternative does not match here.
 *
 * Members are judged by byte. An ASCII byte is its own character. A byte of 0x80 or more
 * belongs to a multi-byte UTF-8 character (or is invalid UTF-8, which RE2 never lets a
 * class match): a class without non-ASCII members stops there, and a negated class, which
 * does take non-ASCII characters, hands the decision back to RE2.
 */
import type { Piece } from './pattern.js';

export interface ClassRun {
  /** One entry per byte value: 1 when that (ASCII) byte continues the run. */
  readonly members: Uint8Array;
  /** Non-ASCII characters are members (a negated class): a byte >= 0x80 needs RE2. */
  readonly nonAscii: boolean;
  /** The fewest members the group takes. */
  readonly min: number;
  /** The literal bytes after the group. */
  readonly suffix: Buffer;
}

/** What `runEnd` returns when RE2 has to decide. */
export const ASK_RE2 = -2;

/** The run plan of an alternative `literal (class{min,}) literal`, or null for any other shape. */
export function classRun(pieces: readonly Piece[]): ClassRun | null {
  const groupAt = pieces.findIndex(({ atom }) => atom.kind === 'group');
  if (groupAt < 1 || !pieces.every((p, i) => i === groupAt || (p.atom.kind === 'char' && !p.quantified))) return null;
  const first = pieces[0]!.atom;
  if (first.kind !== 'char' || first.text.charCodeAt(0) >= 0x80) return null; // the run starts at a character boundary
  const group = pieces[groupAt]!;
  if (group.quantified || group.atom.kind !== 'group' || !group.atom.capturing || group.atom.body.length !== 1) return null;
  const body = group.atom.body[0]!.pieces;
  if (body.length !== 1) return null;
  const { atom, max, min, lazy } = body[0]!;
  if (atom.kind !== 'class' || max !== Infinity) return null;
  const suffix = Buffer.from(pieces.slice(groupAt + 1).map((p) => (p.atom.kind === 'char' ? p.atom.text : '')).join(''));
  if (suffix.length === 0 ? lazy : suffix[0]! < 0x80 ? atom.members[suffix[0]!] === 1 : atom.nonAscii) return null;
  const members = new Uint8Array(256);
  members.set(atom.members);
  return { members, nonAscii: atom.nonAscii, min, suffix };
}

/**
 * Where the alternative's match that begins with its literal, ending at `start`, ends: the
 * byte after the suffix, -1 when it does not match there, ASK_RE2 when RE2 must judge.
 */
export function runEnd(run: ClassRun, data: Buffer, start: number): number {
  const { members, suffix } = run;
  const length = data.length;
  let at = start;
  while (at < length) {
    const byte = data[at]!;
    if (members[byte] === 1) {
      at++;
      continue;
    }
    if (byte >= 0x80 && run.nonAscii) return ASK_RE2;
    break;
  }
  if (at - start < run.min || at + suffix.length > length) return -1;
  for (let i = 0; i < suffix.length; i++) if (data[at + i] !== suffix[i]) return -1;
  return at + suffix.length;
}
