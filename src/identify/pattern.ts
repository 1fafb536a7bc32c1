/**
 * A small structural parse of a profile regex (RE2 / JavaScript syntax), for the two load-time
 * analyses that speed up matching: the prefilter literal (literal.ts) and the capture plan
 * (capture.ts). It models only what those need: literal characters, groups, assertions,
 * quantifiers, alternation and character classes over ASCII; every other construct is an
 * opaque atom. A construct it does not know (\Q…\E, \u, \c, back-references) makes it
 * return null, and callers then fall back to the general path, which only costs speed.
 */

export type Atom =
  /** One literal character (escapes resolved). */
  | { readonly kind: 'char'; readonly text: string }
  | { readonly kind: 'group'; readonly capturing: boolean; readonly body: Alternative[] }
  /** `(?flags)` or `(?flags:` — flags change how the rest is read. */
  | { readonly kind: 'flags'; readonly flags: string }
  /** A zero-width assertion: `^ $ \b \B \A \z`. */
  | { readonly kind: 'assert'; readonly text: string }
  /**
   * `[…]`, `.`, `\d`, `\S` … whose members are known byte by byte: `members[c]` is 1 for each
   * ASCII character c it matches, and `nonAscii` says whether it matches every non-ASCII
   * character (a negated class) or none.
   */
  | { readonly kind: 'class'; readonly members: Uint8Array; readonly nonAscii: boolean }
  /** Any other class (`\pL`, `[[:alpha:]]`, `[é]`), `\x41` …: matches something, never a known literal. */
  | { readonly kind: 'other' };

export interface Piece {
  readonly atom: Atom;
  readonly min: number;
  readonly max: number;
  readonly quantified: boolean;
  /** `*?`, `+?`, `??`, `{n,m}?`: prefers fewer repetitions. */
  readonly lazy: boolean;
  /** This piece's own pattern text, quantifier included. */
  readonly source: string;
}

export interface Alternative {
  readonly pieces: Piece[];
  /** This alternative's own pattern text. */
  readonly source: string;
}

class Unknown extends Error {}

const ESCAPED_LITERAL = new Map([['t', '\t'], ['n', '\n'], ['r', '\r'], ['f', '\f'], ['v', '\v']]);
const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S']);
const ASSERTION_ESCAPES = new Set(['b', 'B', 'A', 'z']);

/** RE2's Perl classes (RE2 syntax: `\d` [0-9], `\s` [\t\n\f\r ], `\w` [0-9A-Za-z_]), ASCII only. */
const PERL_CLASSES: Record<string, string> = {
  d: '0123456789',
  s: '\t\n\f\r ',
  w: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_',
};

function classAtom(chars: string, negated: boolean): Atom {
  const members = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) members[chars.charCodeAt(i)] = 1;
  if (negated) for (let c = 0; c < 128; c++) members[c] = members[c] === 1 ? 0 : 1;
  return { kind: 'class', members, nonAscii: negated };
}

/** The top-level alternatives of `pattern`, or null when it uses something not modelled. */
export function parsePattern(pattern: string): Alternative[] | null {
  try {
    const parser = new Parser(pattern);
    const alternatives = parser.alternatives(0);
    return parser.pos === pattern.length ? alternatives : null;
  } catch (error) {
    if (error instanceof Unknown) return null;
    throw error;
  }
}

/** Visits every atom, groups' bodies included. */
export function everyAtom(alternatives: readonly Alternative[], test: (atom: Atom) => boolean): boolean {
  return alternatives.every((a) => a.pieces.every(({ atom }) =>
    test(atom) && (atom.kind !== 'group' || everyAtom(atom.body, test))));
}

class Parser {
  pos = 0;
  constructor(private readonly src: string) {}

  /** Parses until `)` or the end; the caller consumes the `)`. */
  alternatives(depth: number): Alternative[] {
    const out: Alternative[] = [];
    let pieces: Piece[] = [];
    let start = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === ')') {
        if (depth === 0) throw new Unknown();
        break;
      }
      if (c === '|') {
        out.push({ pieces, source: this.src.slice(start, this.pos) });
        this.pos++;
        pieces = [];
        start = this.pos;
        continue;
      }
      const at = this.pos;
      const atom = this.atom(depth);
      pieces.push({ atom, ...this.quantifier(), source: this.src.slice(at, this.pos) });
    }
    out.push({ pieces, source: this.src.slice(start, this.pos) });
    return out;
  }

  private atom(depth: number): Atom {
    const c = this.src[this.pos]!;
    this.pos++;
    switch (c) {
      case '\\':
        return this.escape();
      case '[':
        return this.characterClass();
      case '(':
        return this.group(depth);
      case '.':
        return classAtom('\n', true);
      case '^':
      case '$':
        return { kind: 'assert', text: c };
      case '*':
      case '+':
      case '?':
        throw new Unknown(); // a quantifier with nothing before it (RE2 refuses these anyway)
      default: {
        // A character outside the BMP is two UTF-16 units; keep them together.
        const code = c.charCodeAt(0);
        if (code >= 0xd800 && code <= 0xdbff && this.pos < this.src.length) return { kind: 'char', text: c + this.src[this.pos++]! };
        return { kind: 'char', text: c }; // `{` that starts no repetition is a literal brace, too
      }
    }
  }

  private escape(): Atom {
    const c = this.src[this.pos];
    if (c === undefined) throw new Unknown();
    this.pos++;
    const literal = ESCAPED_LITERAL.get(c);
    if (literal !== undefined) return { kind: 'char', text: literal };
    if (ASSERTION_ESCAPES.has(c)) return { kind: 'assert', text: `\\${c}` };
    if (CLASS_ESCAPES.has(c)) return classAtom(PERL_CLASSES[c.toLowerCase()]!, c !== c.toLowerCase());
    if (c === 'x') {
      if (this.src[this.pos] === '{') this.skipPast('}');
      else this.pos += 2;
      return { kind: 'other' };
    }
    if (c === 'p' || c === 'P') {
      if (this.src[this.pos] === '{') this.skipPast('}');
      else this.pos++;
      return { kind: 'other' };
    }
    if (/[A-Za-z0-9]/.test(c)) throw new Unknown(); // \Q, \u, \c, \1 and other letters: not modelled
    return { kind: 'char', text: c }; // escaped punctuation is itself
  }

  private skipPast(close: string): void {
    const end = this.src.indexOf(close, this.pos);
    if (end === -1) throw new Unknown();
    this.pos = end + close.length;
  }

  /**
   * After `[`: the class, as a `class` atom when every member is an ASCII character, a range
   * of them, an escaped one or `\d \s \w`; anything else (`\pL`, `[:alpha:]`, `\D` inside,
   * non-ASCII members) makes it `other`.
   */
  private characterClass(): Atom {
    const negated = this.src[this.pos] === '^';
    if (negated) this.pos++;
    let chars = '';
    let known = true;
    let first = true;
    while (this.pos < this.src.length) {
      const c = this.src[this.pos]!;
      if (c === ']' && !first) {
        this.pos++;
        return known ? classAtom(chars, negated) : { kind: 'other' };
      }
      first = false;
      if (c === '[' && this.src[this.pos + 1] === ':') {
        this.skipPast(':]');
        known = false;
        continue;
      }
      const low = this.classChar();
      if (low === null) {
        known = false;
        continue;
      }
      if (low.length > 1) {
        chars += low; // \d \s \w
        continue;
      }
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        this.pos++;
        const high = this.classChar();
        if (high === null || high.length !== 1 || high < low) {
          known = false;
          continue;
        }
        for (let code = low.charCodeAt(0); code <= high.charCodeAt(0); code++) chars += String.fromCharCode(code);
        continue;
      }
      chars += low;
    }
    throw new Unknown();
  }

  /**
   * One member of a class: its character, the members of `\d \s \w`, or null when it is
   * not an ASCII character this parser knows (it is skipped all the same).
   */
  private classChar(): string | null {
    const c = this.src[this.pos++]!;
    if (c !== '\\') return c.charCodeAt(0) < 128 ? c : null;
    const e = this.src[this.pos++];
    if (e === undefined) throw new Unknown();
    const literal = ESCAPED_LITERAL.get(e);
    if (literal !== undefined) return literal;
    if (PERL_CLASSES[e] !== undefined) return PERL_CLASSES[e];
    return /[A-Za-z0-9]/.test(e) || e.charCodeAt(0) >= 128 ? null : e;
  }

  private group(depth: number): Atom {
    let capturing = true;
    if (this.src[this.pos] === '?') {
      const header = /^\?(?:P?<[A-Za-z_][A-Za-z0-9_]*>|([A-Za-z-]*)(:|\)))/.exec(this.src.slice(this.pos));
      if (!header) throw new Unknown(); // lookaround and the like (RE2 refuses them anyway)
      this.pos += header[0].length;
      if (header[2] === ')') return { kind: 'flags', flags: header[1]! };
      if (header[2] === ':') {
        capturing = false;
        if (header[1]) {
          // (?i:…): flags for the group's body only; modelled as a group starting with flags.
          const body = this.alternatives(depth + 1);
          this.close();
          const flags: Piece = { atom: { kind: 'flags', flags: header[1] }, min: 1, max: 1, quantified: false, lazy: false, source: '' };
          return { kind: 'group', capturing, body: body.map((a) => ({ ...a, pieces: [flags, ...a.pieces] })) };
        }
      }
    }
    const body = this.alternatives(depth + 1);
    this.close();
    return { kind: 'group', capturing, body };
  }

  private close(): void {
    if (this.src[this.pos] !== ')') throw new Unknown();
    this.pos++;
  }

  /** Reads an optional quantifier; without one the atom occurs exactly once. */
  private quantifier(): { min: number; max: number; quantified: boolean; lazy: boolean } {
    const c = this.src[this.pos];
    let min = 1;
    let max = 1;
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Infinity;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) return { min, max, quantified: false, lazy: false };
      this.pos += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Infinity;
    } else {
      return { min, max, quantified: false, lazy: false };
    }
    const lazy = this.src[this.pos] === '?';
    if (lazy) this.pos++;
    return { min, max, quantified: true, lazy };
  }
}
