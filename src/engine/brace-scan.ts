/**
 * For every `{` of a file, the offset of the `}` that closes it: one pass over the characters,
 * aware of strings, comments, template literals and regular expressions, at a few hundred MB/s.
 *
 * It only proposes where a function body ends, so the engine can decide before parsing whether a
 * body is worth building into a syntax tree (lazy-bodies.ts). The parser then walks the skipped
 * body with its own tokenizer and refuses the skip unless it ends at exactly the same `}`: a wrong
 * guess here (a regular expression taken for a division, say) costs a second parse of the file,
 * never a misread one.
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
      literal(start, i);
      exprAllowed = false;
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
      if (exprAllowed) {
        const start = i;
        i = skipRegex(text, i + 1);
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
      continue;
    }
    if (c === C.RBrace) {
      const top = stack.pop();
      i++;
      if (top === -1) {
        // The end of a `${…}`: back inside the template.
        i = scanTemplate(i);
        exprAllowed = false;
      } else {
        if (top !== undefined) closes[top] = i - 1;
        // After a block a regex may start; after an object literal it may not. Blocks are the
        // common case in the code whose bodies matter; a wrong guess is caught by the parser.
        exprAllowed = true;
      }
      continue;
    }
    if (isIdentChar(c)) {
      const start = i;
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      // Numbers and names are operands, except the keywords that expect an expression after them.
      exprAllowed = i - start <= 10 && REGEX_AFTER_WORD.has(text.slice(start, i));
      continue;
    }
    // Punctuation: an operand may follow anything but a closing bracket or a postfix operator.
    if (c === C.RParen || c === C.RBracket) exprAllowed = false;
    else if ((c === C.Plus || c === C.Minus) && text.charCodeAt(i + 1) === c) {
      // `a++ / b` divides; `++/re/.lastIndex` does not occur in real code.
      i += 2;
      exprAllowed = false;
      continue;
    } else exprAllowed = true;
    i++;
  }
  return { opens, closes, count, literals, literalCount, tagged };
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

function skipString(text: string, from: number, quote: number): number {
  const n = text.length;
  let j = from;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === C.Backslash) j += 2;
    else if (c === quote) return j + 1;
    // An unterminated string ends at the line: the parser reports it, this scan moves on.
    else if (c === C.LF || c === C.CR) return j;
    else j++;
  }
  return n;
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

/** The matching `}` of the `{` at `offset`, or -1 (no `{` there, or unmatched). */
export function closeOf(pairs: BracePairs, offset: number): number {
  const { opens, closes } = pairs;
  let lo = 0;
  let hi = pairs.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = opens[mid]!;
    if (v === offset) return closes[mid]!;
    if (v < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
