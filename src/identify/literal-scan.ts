/**
 * Which of a fixed set of literals occur in a message, in one pass: the prefilter of a
 * sender with many profiles. A Wu-Manber scan (Wu & Manber, "A fast algorithm for
 * multi-pattern searching", 1994) over blocks of two bytes: a window as long as the
 * shortest literal slides along the message, and a table says how far it may jump given
 * the window's last two bytes; only where the jump is 0 are the candidate literals compared
 * byte by byte. On syslog text it looks at one position in five or so and costs about a
 * fifth of one RE2.Set pass (bench/out: identify part), without leaving JavaScript.
 *
 * Each literal takes part with the window-long piece of it whose blocks are least common in
 * text (`windowOffset`), not necessarily its start: common pairs such as `e ` or `on` in the
 * table make the scan stop and compare where nothing is (Wu-Manber allow any piece, as long
 * as the comparison starts that far before it).
 *
 * The window is what sets the pace: one short literal (squid's ` HIER_`, 6 bytes) caps
 * every jump at 5 for all the others. So a literal shorter than the rest that holds a byte
 * rare in syslog text (an upper-case letter, most punctuation: `anchorRank`) is searched
 * apart, by `Buffer.indexOf` of that byte (memchr, a few nanoseconds when it does not occur)
 * and a comparison where it does, and the window is the shortest of the others.
 *
 * Literals shorter than two bytes cannot be blocks; the caller keeps those profiles on
 * another path (`usable`).
 */
const BLOCK = 2;
/** The window is at most this long, so a jump fits in a byte. */
const MAX_WINDOW = 64;
/** At most this many literals are searched apart; each costs a memchr per message. */
const MAX_APART = 4;
/** Bytes of this rank or rarer may anchor a literal searched apart; the commonest bytes' rank (see anchorRank). */
const RARE = 3;
const COMMON = 5;

/** A literal searched apart: its index, the rare byte, and where that byte sits in it. */
interface Apart {
  readonly index: number;
  readonly anchor: number;
  readonly offset: number;
}

export class LiteralScanner {
  readonly literals: readonly Buffer[];
  /** After `scan`: the indices of the literals it found, in its first entries (as many as it returned). */
  readonly hits: Int32Array;
  /** Bytes of the shortest literal in the scan (capped at MAX_WINDOW): the window. */
  private readonly window: number;
  /** Jump per two-byte block (first byte << 8 | second byte). */
  private readonly shift = new Uint8Array(1 << 16);
  /** Literals whose window-long piece ends with the block, where the jump is 0. */
  private readonly candidates: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(1 << 16);
  /** Per literal: where its window-long piece begins in it. */
  private readonly offsets: Int32Array;
  private readonly apart: readonly Apart[];

  /** Whether a literal can be one of a scanner's literals. */
  static usable(literal: Buffer): boolean {
    return literal.length >= BLOCK;
  }

  constructor(literals: readonly Buffer[]) {
    if (literals.length === 0 || !literals.every(LiteralScanner.usable)) throw new RangeError('LiteralScanner needs literals of two bytes or more');
    this.literals = literals;
    this.hits = new Int32Array(literals.length);
    this.apart = searchedApart(literals);
    const scanned = literals.map((_, index) => index).filter((index) => !this.apart.some((a) => a.index === index));
    const window = Math.min(MAX_WINDOW, ...scanned.map((index) => literals[index]!.length));
    this.window = window;
    this.shift.fill(window - BLOCK + 1);
    this.offsets = new Int32Array(literals.length);
    const lists = new Map<number, number[]>();
    for (const index of scanned) {
      const literal = literals[index]!;
      const offset = windowOffset(literal, window);
      this.offsets[index] = offset;
      for (let end = BLOCK; end <= window; end++) {
        const block = (literal[offset + end - 2]! << 8) | literal[offset + end - 1]!;
        this.shift[block] = Math.min(this.shift[block]!, window - end);
        if (end === window) lists.set(block, [...(lists.get(block) ?? []), index]);
      }
    }
    for (const [block, list] of lists) this.candidates[block] = Int32Array.from(list);
  }

  /**
   * Sets `found[i]` to 1 for each literal `i` that occurs in `data` (it never clears one),
   * lists them in `hits` and returns how many it set.
   */
  scan(data: Buffer, found: Uint8Array): number {
    const { shift, candidates, literals, window, offsets, hits: list } = this;
    const length = data.length;
    let hits = 0;
    for (let last = window - 1; last < length; ) {
      const block = (data[last - 1]! << 8) | data[last]!;
      const jump = shift[block]!;
      if (jump !== 0) {
        last += jump;
        continue;
      }
      const candidate = candidates[block]!;
      const start = last - window + 1;
      for (let c = 0; c < candidate.length; c++) {
        const index = candidate[c]!;
        if (found[index] === 1 || !occursAt(literals[index]!, data, start - offsets[index]!)) continue;
        found[index] = 1;
        list[hits++] = index;
      }
      last++;
    }
    const apart = this.apart;
    for (let a = 0; a < apart.length; a++) {
      const { index, anchor, offset } = apart[a]!;
      if (found[index] === 1) continue;
      const literal = literals[index]!;
      for (let at = data.indexOf(anchor, offset); at !== -1; at = data.indexOf(anchor, at + 1)) {
        if (occursAt(literal, data, at - offset)) {
          found[index] = 1;
          list[hits++] = index;
          break;
        }
      }
    }
    return hits;
  }
}

function occursAt(literal: Buffer, data: Buffer, start: number): boolean {
  if (start < 0 || start + literal.length > data.length) return false;
  let at = 0;
  while (at < literal.length && data[start + at] === literal[at]) at++;
  return at === literal.length;
}

/**
 * The literals to search apart: taken shortest first while each holds a rare byte and is
 * shorter than every literal left in the scan (one that is not ends the taking).
 */
function searchedApart(literals: readonly Buffer[]): Apart[] {
  const byLength = literals.map((literal, index) => ({ literal, index })).sort((a, b) => a.literal.length - b.literal.length);
  const apart: Apart[] = [];
  for (let i = 0; i < Math.min(MAX_APART, byLength.length - 1); i++) {
    const { literal, index } = byLength[i]!;
    if (literal.length >= byLength[i + 1]!.literal.length) break; // taking it would not lengthen the window
    let offset = 0;
    for (let at = 1; at < literal.length; at++) if (anchorRank(literal[at]!) < anchorRank(literal[offset]!)) offset = at;
    if (anchorRank(literal[offset]!) > RARE) break;
    apart.push({ index, anchor: literal[offset]!, offset });
  }
  return apart;
}

/**
 * Where the literal's window-long piece with the fewest common blocks begins: a block of
 * two common bytes counts 1, of one 0.5, weighted by how near the piece's end it sits (the
 * nearer, the smaller the jump it allows); the earliest of equals.
 */
function windowOffset(literal: Buffer, window: number): number {
  const common = (byte: number) => (anchorRank(byte) === COMMON ? 0.5 : 0);
  let best = 0;
  let bestScore = Infinity;
  for (let offset = 0; offset + window <= literal.length; offset++) {
    let score = 0;
    for (let end = BLOCK; end <= window; end++) score += (common(literal[offset + end - 2]!) + common(literal[offset + end - 1]!)) * end;
    if (score < bestScore) {
      bestScore = score;
      best = offset;
    }
  }
  return best;
}

/**
 * How common a byte is in syslog text, roughly (lower is rarer): space, lower-case letters
 * and digits fill most lines; separators and upper-case letters are fewer; the rest is rare.
 */
function anchorRank(byte: number): number {
  if (byte === 0x20 || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)) return COMMON;
  if ('.:-=,/'.includes(String.fromCharCode(byte))) return 4;
  if (byte >= 0x41 && byte <= 0x5a) return 3;
  return 2;
}
