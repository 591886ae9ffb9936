/**
 * For every `{` of a file, the offset of the `}` that closes it: one pass over the characters,
 * aware of strings, comments, template literals and regular expressions, at a few hundred MB/s.
 *
 * It only proposes where a function body ends, so the engine can decide before parsing whether a
 * body is worth building into a syntax tree (lazy-bodies.ts). The parser then walks the skipped
 * body with its own tokenizer and refuses the skip unless it ends at exactly the same `}`: a wrong
 * guess here (a regular expression taken for a division, say) costs a second parse of the file,
 * never a misread one.
 *
 * Measured (Node 24, 2026-12-02, scripts/measure-tiers.ts, CPU time): the scan costs 5-11% of an
 * acorn parse of the same files; the jump over bodies it found exact (`doubts`) saves 5.5% of the
 * analysis of the bench's 60 typical packages, 7.5% on 12 bundle-heavy ones (TOLLGATE_LAZY=tokenize).
 */
export interface BracePairs {
  /** Offsets of `{`, ascending. */
  opens: Int32Array;
  /** closes[i] is the offset of the `}` matching opens[i], or -1 when none does. */
  closes: Int32Array;
  count: number;
  /**
   * Literal text as [start, end) pairs: strings, template chunks and regular expressions of at
   * least MIN_LITERAL characters (quotes included), where rules' hints are looked for.
   */
  literals: Int32Array;
  literalCount: number;
  /** Offsets of backticks that open a tagged template (`` $`cmd` ``, `` sh`…` ``). */
  tagged: number[];
  /**
   * Offsets, ascending, where this scan guessed: a `/` after `)`, `}`, `++`/`--` or a keyword that may
   * be a name; `<!--` and `-->` (comments to acorn in scripts); escapes outside literals; strings and
   * regexes cut short by a line end. A body with none of these ends where the scan says, exactly
   * as the tokenizer would end it; one with any of them is checked by the tokenizer.
   */
  doubts: number[];
}

const MIN_LITERAL = 4;

// Words after which a `/` starts a regular expression rather than dividing.
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

const enum C {
  Tab = 9, LF = 10, CR = 13, Space = 32, Bang = 33, DQuote = 34, Hash = 35, Dollar = 36, Percent = 37, Amp = 38, SQuote = 39,
  LParen = 40, RParen = 41, Star = 42, Plus = 43, Comma = 44, Minus = 45, Dot = 46, Slash = 47,
  Colon = 58, Semi = 59, Lt = 60, Eq = 61, Gt = 62, Question = 63, LBracket = 91, Backslash = 92, RBracket = 93, Caret = 94,
  Underscore = 95, Backtick = 96, LBrace = 123, Pipe = 124, RBrace = 125, Tilde = 126,
}

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === C.Underscore || c === C.Dollar || c > 127;
}

export function matchBraces(text: string): BracePairs {
  const n = text.length;
  let opens = new Int32Array(1024);
  let closes = new Int32Array(1024);
  let count = 0;
  let literals = new Int32Array(2048);
  let literalCount = 0;
  const tagged: number[] = [];
  const doubts: number[] = [];
  // Why the last `exprAllowed` was a guess, if it was.
  let guessed = false;
  const literal = (start: number, end: number) => {
    if (end - start < MIN_LITERAL) return;
    if (2 * literalCount + 2 > literals.length) literals = grow(literals);
    literals[2 * literalCount] = start;
    literals[2 * literalCount + 1] = end;
    literalCount++;
  };
  // Open `{` (their index in opens) and template `${` (encoded as -1) awaiting their `}`.
  const stack: number[] = [];
  // What came before a `/`: true when an expression may start there (so `/` opens a regex).
  let exprAllowed = true;
  let i = 0;
  if (text.startsWith('#!')) i = skipLine(text, 2);

  const scanTemplate = (from: number): number => {
    // From just after a backtick or the `}` of a `${…}`: to just after the closing backtick, or
    // just after a `${` (pushed on the stack).
    let j = from;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === C.Backslash) j += 2;
      else if (c === C.Backtick) {
        literal(from - 1, j + 1);
        return j + 1;
      } else if (c === C.Dollar && text.charCodeAt(j + 1) === C.LBrace) {
        literal(from - 1, j + 2);
        stack.push(-1);
        return j + 2;
      } else j++;
    }
    literal(from - 1, n);
    doubts.push(from - 1);
    return n;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === C.Space || c === C.Tab || c === C.LF || c === C.CR) {
      i++;
      continue;
    }
    if (c === C.DQuote || c === C.SQuote) {
      const start = i;
      i = skipString(text, i + 1, c);
      if (i < 0) {
        // Cut short by a line end: acorn reports it, this scan moves on.
        i = -i;
        doubts.push(start);
      }
      literal(start, i);
      exprAllowed = false;
      guessed = false;
      continue;
    }
    if (c === C.Slash) {
      const d = text.charCodeAt(i + 1);
      if (d === C.Slash) {
        i = skipLine(text, i + 2);
        continue;
      }
      if (d === C.Star) {
        const e = text.indexOf('*/', i + 2);
        i = e < 0 ? n : e + 2;
        continue;
      }
      if (guessed) doubts.push(i);
      guessed = false;
      if (exprAllowed) {
        const start = i;
        i = skipRegex(text, i + 1);
        if (!regexClosed(text, start, i)) doubts.push(start);
        literal(start, i);
        exprAllowed = false;
      } else {
        i++;
        exprAllowed = true;
      }
      continue;
    }
    if (c === C.Backtick) {
      // After a name, `)` or `]` (where an operand has just ended) a template is a tagged one.
      if (!exprAllowed) tagged.push(i);
      i = scanTemplate(i + 1);
      exprAllowed = false;
      guessed = false;
      continue;
    }
    if (c === C.LBrace) {
      if (count === opens.length) {
        opens = grow(opens);
        closes = grow(closes);
      }
      opens[count] = i;
      closes[count] = -1;
      stack.push(count++);
      i++;
      exprAllowed = true;
      guessed = false;
      continue;
    }
    if (c === C.RBrace) {
      const top = stack.pop();
      i++;
      if (top === -1) {
        // The end of a `${…}`: back inside the template.
        i = scanTemplate(i);
        exprAllowed = false;
        guessed = false;
      } else {
        if (top !== undefined) closes[top] = i - 1;
        // After a block a regex may start; after an object literal it may not. Blocks are the
        // common case; a `/` here is a guess, which the parser's tokenizer checks.
        exprAllowed = true;
        guessed = true;
      }
      continue;
    }
    if (c >= 48 && c <= 57) {
      // A number, with its dot and exponent sign: `1./2` and `1e+5 / 2` divide.
      const radix = c === 48 && /[xXbBoO]/.test(text[i + 1] ?? '');
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isIdentChar(d) || (d === C.Dot && !radix)) i++;
        else if ((d === C.Plus || d === C.Minus) && !radix && (text.charCodeAt(i - 1) | 32) === 101) i++;
        else break;
      }
      exprAllowed = false;
      guessed = false;
      continue;
    }
    if (isIdentChar(c)) {
      const start = i;
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      // Names are operands, except the keywords that expect an expression after them. A keyword
      // that may be a name (`x.return`, `yield` outside generators, `of`) leaves a guess.
      const word = i - start <= 10 ? text.slice(start, i) : '';
      exprAllowed = REGEX_AFTER_WORD.has(word);
      guessed = exprAllowed && (text.charCodeAt(start - 1) === C.Dot || word === 'yield' || word === 'await' || word === 'of');
      continue;
    }
    if (c === C.Backslash) {
      // An escape in a name (`\u0061wait`): the scan cannot tell what it spells.
      doubts.push(i);
      i += 2;
      exprAllowed = false;
      guessed = false;
      continue;
    }
    if ((c === C.Lt && text.startsWith('<!--', i)) || (c === C.Minus && text.startsWith('-->', i))) doubts.push(i);
    // Punctuation: an operand may follow anything but a closing bracket or a postfix operator.
    if (c === C.RParen) {
      // `(a) / b` divides, `if (a) /re/.test(s)` does not.
      exprAllowed = false;
      guessed = true;
    } else if (c === C.RBracket) {
      exprAllowed = false;
      guessed = false;
    } else if ((c === C.Plus || c === C.Minus) && text.charCodeAt(i + 1) === c) {
      // `a++ / b` divides; `x = ++/re/.lastIndex` is nonsense but legal.
      i += 2;
      exprAllowed = false;
      guessed = true;
      continue;
    } else {
      exprAllowed = true;
      guessed = false;
    }
    i++;
  }
  return { opens, closes, count, literals, literalCount, tagged, doubts };
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function skipLine(text: string, from: number): number {
  const n = text.length;
  let j = from;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === C.LF || c === C.CR || c === 0x2028 || c === 0x2029) return j;
    j++;
  }
  return n;
}

/** Just past the closing quote; negated where the string is cut short by a line end or the text's end. */
function skipString(text: string, from: number, quote: number): number {
  const n = text.length;
  let j = from;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === C.Backslash) j += text.charCodeAt(j + 1) === C.CR && text.charCodeAt(j + 2) === C.LF ? 3 : 2;
    else if (c === quote) return j + 1;
    else if (c === C.LF || c === C.CR) return -j;
    else j++;
  }
  return -n;
}

/** Whether the regex scanned over [start, end) ended at its closing `/` (and flags), not at a line end. */
function regexClosed(text: string, start: number, end: number): boolean {
  let j = end - 1;
  while (j > start && isIdentChar(text.charCodeAt(j))) j--;
  return j > start && text.charCodeAt(j) === C.Slash;
}

function skipRegex(text: string, from: number): number {
  const n = text.length;
  let j = from;
  let inClass = false;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === C.Backslash) j += 2;
    else if (c === C.LF || c === C.CR) return j;
    else {
      j++;
      if (c === C.LBracket) inClass = true;
      else if (c === C.RBracket) inClass = false;
      else if (c === C.Slash && !inClass) break;
    }
  }
  while (j < n && isIdentChar(text.charCodeAt(j))) j++;
  return j;
}

/** Index of the last of the first `count` ascending values that is below `value`, or -1. */
export function lastBelow(sorted: ArrayLike<number>, count: number, value: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Whether the scan guessed anywhere in [start, end]. */
export function hasDoubt(pairs: BracePairs, start: number, end: number): boolean {
  const next = lastBelow(pairs.doubts, pairs.doubts.length, start) + 1;
  return next < pairs.doubts.length && pairs.doubts[next]! <= end;
}

/** The matching `}` of the `{` at `offset`, or -1 (no `{` there, or unmatched). */
export function closeOf(pairs: BracePairs, offset: number): number {
  const k = lastBelow(pairs.opens, pairs.count, offset + 1);
  return k >= 0 && pairs.opens[k] === offset ? pairs.closes[k]! : -1;
}
