/**
 * The prefilter's proof: a literal that every match of a pattern must contain, so a
 * message without it can be skipped with one `Buffer.indexOf` instead of a regex run.
 *
 * Deliberately conservative. It follows only concatenation: a top-level `|` gives no
 * literal; a group counts only when it is not optional and holds no `|`; a class, `.`, an
 * assertion or an optional atom ends the current run of literal characters. A pattern it
 * cannot model (pattern.ts), or one with flags such as `(?i)`, gets no literal: that only
 * costs speed, never a missed event.
 */
import { everyAtom, parsePattern, type Piece } from './pattern.js';

export interface RequiredLiteral {
  /** Every match of the pattern contains this text. */
  readonly literal: string;
  /** The pattern is exactly this text (no metacharacters): `indexOf` alone decides a match. */
  readonly exact: boolean;
}

export function requiredLiteral(pattern: string): RequiredLiteral | null {
  const alternatives = parsePattern(pattern);
  if (alternatives === null || alternatives.length !== 1) return null;
  if (!everyAtom(alternatives, (atom) => atom.kind !== 'flags')) return null;
  const pieces = alternatives[0]!.pieces;
  let best = '';
  for (const literal of requiredRuns(pieces)) if (Buffer.byteLength(literal) > Buffer.byteLength(best)) best = literal;
  if (best === '') return null;
  const plain = pieces.every((p) => p.atom.kind === 'char' && !p.quantified);
  return { literal: best, exact: plain && best === pattern };
}

/** Runs of literal text that every match of this sequence contains. */
function requiredRuns(pieces: readonly Piece[]): string[] {
  const runs: string[] = [];
  let run = '';
  const endRun = () => {
    if (run) runs.push(run);
    run = '';
  };
  for (const { atom, min, max } of pieces) {
    if (atom.kind === 'char') {
      if (min === 0) {
        endRun();
      } else if (max === min) {
        run += atom.text.repeat(min);
      } else {
        // x{n,m}: the n copies are required; after them the text continues from one x.
        run += atom.text.repeat(min);
        endRun();
        run = atom.text;
      }
      continue;
    }
    endRun();
    if (atom.kind === 'group' && min > 0 && atom.body.length === 1) runs.push(...requiredRuns(atom.body[0]!.pieces));
  }
  endRun();
  return runs;
}
