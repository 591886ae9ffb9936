/**
 * Invisible code points in source text: variation selectors (U+FE00-FE0F, U+E0100-E01EF), tag
 * characters (U+E0000-E007F), private-use characters, zero-width and filler characters. A reviewer
 * sees nothing where they sit, which is what makes them a hiding place: a payload encoded one byte
 * per selector inside an "empty" string, an identifier that looks like another, instructions in
 * tags. They are measured here (how many, the longest run, and whether they sit in a string
 * literal, an identifier, a comment or bare code) for the obfuscation rule.
 *
 * What ordinary text does with them is not counted: a single selector that picks the emoji or text
 * form of the character before it (❤️, ✔️, 1️⃣) or an ideographic variant of a CJK character, a
 * zero-width joiner or non-joiner inside an emoji sequence or a word of a script that uses them, a
 * byte-order mark at the start of the file, a subdivision flag's tag sequence (🏴 + tags + cancel
 * tag), and, inside string literals and comments, runs too short to carry a payload (character
 * tables of parsers and sanitizers, icon glyphs, encoding tables). A lone zero-width character
 * elsewhere is left to the obfuscation rule's own zero-width check. Identifiers get no such slack.
 */

export type InvisibleKind = 'variation-selector' | 'tag' | 'private-use' | 'zero-width' | 'filler';
export type InvisiblePlace = 'string' | 'identifier' | 'comment' | 'code';

export interface InvisibleMeasure {
  /** Invisible code points that ordinary text does not explain. */
  count: number;
  longestRun: number;
  kinds: Partial<Record<InvisibleKind, number>>;
  places: Partial<Record<InvisiblePlace, number>>;
  /** Where the longest run sits. */
  longest: { offset: number; line: number; column: number; place: InvisiblePlace; kinds: InvisibleKind[] };
}

/** Candidates (as UTF-16, so no `u` flag is needed): a pre-test, and a native scan for their runs. */
const SOURCE = '[\\uFE00-\\uFE0F\\u200B-\\u200D\\u2060-\\u2064\\u206A-\\u206F\\u180E\\u034F\\u115F\\u1160\\u3164\\uFFA0\\u17B4\\u17B5\\uE000-\\uF8FF\\uFEFF]|\\uDB40[\\uDC00-\\uDDEF]|[\\uDB80-\\uDBFF][\\uDC00-\\uDFFF]';
const ANY = new RegExp(SOURCE);
const ALL = new RegExp(`(?:${SOURCE})+`, 'g');

export function kindOf(cp: number): InvisibleKind | undefined {
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'variation-selector';
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag';
  if ((cp >= 0xe000 && cp <= 0xf8ff) || (cp >= 0xf0000 && cp <= 0xffffd) || (cp >= 0x100000 && cp <= 0x10fffd)) return 'private-use';
  if ((cp >= 0x200b && cp <= 0x200d) || cp === 0x2060 || cp === 0xfeff || cp === 0x180e) return 'zero-width';
  if (cp === 0x034f || cp === 0x115f || cp === 0x1160 || cp === 0x3164 || cp === 0xffa0 || cp === 0x17b4 || cp === 0x17b5 || (cp >= 0x2061 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f)) return 'filler';
  return undefined;
}

/**
 * In a string literal or a comment, runs shorter than this are ordinary: parsers and sanitizers
 * list these characters in tables (`'\u200b\u200c\u200d\ufeff'` written raw), icon fonts name
 * private-use glyphs, encoding tables hold private-use rows. A hidden payload is one code point per
 * byte (eight per byte for zero-width bits), so it is far longer.
 */
const LITERAL_RUN = 8;
const LITERAL_PUA_RUN = 64;

const isCjk = (cp: number) => (cp >= 0x3400 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x3ffff);
const visibleNonAscii = (cp: number | undefined) => cp !== undefined && cp > 0x7f && kindOf(cp) === undefined && !/\s/.test(String.fromCodePoint(cp));
const ID_CHAR = /[\p{ID_Continue}$]/u;
const idChar = (cp: number | undefined) => cp !== undefined && ID_CHAR.test(String.fromCodePoint(cp));
const asciiId = (cp: number | undefined) => cp !== undefined && cp < 0x80 && /[\w$]/.test(String.fromCharCode(cp));
const isFillerLetter = (cp: number) => cp === 0x3164 || cp === 0xffa0 || cp === 0x115f || cp === 0x1160;

/** A run that ordinary text explains wherever it sits (see the module comment). */
function ordinary(run: number[], before: number | undefined, after: number | undefined, offset: number): boolean {
  if (run.length === 1) {
    const cp = run[0]!;
    if (cp === 0xfeff && offset === 0) return true;
    if (cp >= 0xfe00 && cp <= 0xfe0f) return visibleNonAscii(before) || (cp === 0xfe0f && before !== undefined && /[0-9#*]/.test(String.fromCodePoint(before)) && after === 0x20e3);
    if (cp >= 0xe0100) return before !== undefined && isCjk(before);
    if (kindOf(cp) === 'zero-width') return true; // the rule's zero-width check reports lone ones
  }
  // Emoji ZWJ sequences with a selector: ❤️‍🔥 is U+2764 U+FE0F U+200D U+1F525.
  if (run.length === 2 && run[0] === 0xfe0f && run[1] === 0x200d) return visibleNonAscii(before) && visibleNonAscii(after);
  // Subdivision flags: U+1F3F4, tag letters, U+E007F.
  if (before === 0x1f3f4 && run[run.length - 1] === 0xe007f && run.every((cp) => cp >= 0xe0020 && cp <= 0xe007f)) return true;
  return false;
}

/** Long enough to be hidden even inside a string literal or a comment. */
function longForLiteral(run: number[]): boolean {
  return run.length >= (run.every((cp) => kindOf(cp) === 'private-use') ? LITERAL_PUA_RUN : LITERAL_RUN);
}

const SPECIAL = /["'`/{}]/g;
const SINGLE_STOP = /['\\\n]/g;
const DOUBLE_STOP = /["\\\n]/g;
const TEMPLATE_STOP = /[`\\$]/g;
const KEYWORD_BEFORE_REGEX = /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|void|yield|await|delete|throw|new)$/;

/**
 * Where each wanted offset (ascending) sits: code, a string (quotes, template text, a regex
 * literal) or a comment. A lexer that jumps from one quote, slash or brace to the next with a
 * native scan, and tells a regex literal from a division by what precedes it; an approximation is
 * enough here, and it runs only on files with an invisible run that needs it.
 */
function placesOf(text: string, wanted: number[]): InvisiblePlace[] {
  const out: InvisiblePlace[] = [];
  let w = 0;
  const templates: number[] = []; // brace depth at each `${`
  let depth = 0;
  const mark = (upTo: number, place: InvisiblePlace) => {
    while (w < wanted.length && wanted[w]! < upTo) {
      out.push(place);
      w++;
    }
  };
  const n = text.length;
  let i = 0;
  while (i < n && w < wanted.length) {
    SPECIAL.lastIndex = i;
    const m = SPECIAL.exec(text);
    if (!m) break;
    const at = m.index;
    const c = text[at]!;
    mark(at, 'code');
    if (c === '/' && text[at + 1] === '/') {
      const end = text.indexOf('\n', at);
      const e = end < 0 ? n : end;
      mark(e, 'comment');
      i = e;
      continue;
    }
    if (c === '/' && text[at + 1] === '*') {
      const end = text.indexOf('*/', at + 2);
      const e = end < 0 ? n : end + 2;
      mark(e, 'comment');
      i = e;
      continue;
    }
    const closesTemplate = c === '}' && templates.length > 0 && templates[templates.length - 1] === depth;
    if (c === '"' || c === "'" || c === '`' || closesTemplate) {
      if (closesTemplate) templates.pop();
      const quote = closesTemplate ? '`' : c;
      // Jump between the characters that can end the literal (a native scan, not a loop here).
      const stop = quote === '`' ? TEMPLATE_STOP : quote === '"' ? DOUBLE_STOP : SINGLE_STOP;
      let j = at + 1;
      for (;;) {
        stop.lastIndex = j;
        const hit = stop.exec(text);
        if (!hit) {
          j = n;
          break;
        }
        j = hit.index;
        const d = text[j];
        if (d === '\\') {
          j += 2;
          continue;
        }
        if (d === '$') {
          if (text[j + 1] === '{') {
            templates.push(depth);
            j++;
            break;
          }
          j++;
          continue;
        }
        break; // the closing quote, or a line end in a quoted string
      }
      mark(j + 1, 'string');
      i = j + 1;
      continue;
    }
    if (c === '/') {
      let k = at - 1;
      while (k >= 0 && /\s/.test(text[k]!)) k--;
      const prev = k >= 0 ? text[k]! : '';
      if (prev === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(prev) || KEYWORD_BEFORE_REGEX.test(text.slice(Math.max(0, k - 9), k + 1))) {
        let j = at + 1;
        let cls = false;
        for (; j < n && text[j] !== '\n'; j++) {
          const d = text[j];
          if (d === '\\') j++;
          else if (d === '[') cls = true;
          else if (d === ']') cls = false;
          else if (d === '/' && !cls) break;
        }
        mark(j + 1, 'string');
        i = j + 1;
        continue;
      }
    } else if (c === '{') depth++;
    else if (c === '}') depth--;
    i = at + 1;
  }
  mark(Infinity, 'code');
  return out;
}

export function measureInvisible(text: string): InvisibleMeasure | undefined {
  if (!ANY.test(text)) return undefined;
  // Runs of consecutive candidates (a native scan), with the code points either side.
  const candidates: { start: number; cps: number[]; before?: number; after?: number; literalOk: boolean }[] = [];
  ALL.lastIndex = 0;
  for (let m = ALL.exec(text); m; m = ALL.exec(text)) {
    const cps: number[] = [];
    for (const ch of m[0]) if (cps.length < 1_000_000) cps.push(ch.codePointAt(0)!);
    const start = m.index;
    const end = start + m[0].length;
    const before = start > 0 ? codePointBefore(text, start) : undefined;
    const after = end < text.length ? text.codePointAt(end) : undefined;
    if (ordinary(cps, before, after, start)) continue;
    const long = longForLiteral(cps);
    // A short run that neither touches an ASCII name character nor is a name by itself (the Hangul
    // fillers are letters) cannot make a look-alike name, and in valid code it is not bare code
    // either: it sits in a string or a comment (Unicode identifier tables of parsers, say), where
    // it is ordinary. Only the rest needs the lexer.
    if (!long && !asciiId(before) && !asciiId(after) && !cps.some(isFillerLetter)) continue;
    candidates.push({ start, cps, before, after, literalOk: !long });
    if (candidates.length >= 10_000) break;
  }
  if (candidates.length === 0) return undefined;
  const places = placesOf(text, candidates.map((r) => r.start));
  const m: InvisibleMeasure = { count: 0, longestRun: 0, kinds: {}, places: {}, longest: { offset: 0, line: 1, column: 1, place: 'code', kinds: [] } };
  candidates.forEach((r, k) => {
    let place = places[k]!;
    if ((place === 'string' || place === 'comment') && r.literalOk) return;
    if (place === 'code' && (idChar(r.before) || idChar(r.after) || r.cps.some(isFillerLetter))) place = 'identifier';
    m.count += r.cps.length;
    m.places[place] = (m.places[place] ?? 0) + r.cps.length;
    for (const cp of r.cps) {
      const kind = kindOf(cp)!;
      m.kinds[kind] = (m.kinds[kind] ?? 0) + 1;
    }
    if (r.cps.length > m.longestRun) {
      m.longestRun = r.cps.length;
      m.longest = { offset: r.start, ...lineColumn(text, r.start), place, kinds: [...new Set(r.cps.map((cp) => kindOf(cp)!))] };
    }
  });
  return m.count ? m : undefined;
}

function codePointBefore(text: string, at: number): number {
  const lo = text.charCodeAt(at - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && at >= 2) {
    const hi = text.charCodeAt(at - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return (hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
  }
  return lo;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

/** A payload-sized run: one byte per code point, enough for a command or a URL. */
export const PAYLOAD_RUN = 16;
