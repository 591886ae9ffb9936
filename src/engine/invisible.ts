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
 * tag), and a short run of private-use characters (an icon font's glyph). A lone zero-width
 * character elsewhere is left to the obfuscation rule's own zero-width check.
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

/** Cheap pre-test: any candidate at all (as UTF-16, so no `u` flag is needed). */
const ANY = /[\uFE00-\uFE0F\u200B-\u200D\u2060-\u2064\u206A-\u206F\u180E\u034F\u115F\u1160\u3164\uFFA0\u17B4\u17B5\uE000-\uF8FF\uFEFF]|\uDB40[\uDC00-\uDDEF]|[\uDB80-\uDBFF][\uDC00-\uDFFF]/;

export function kindOf(cp: number): InvisibleKind | undefined {
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return 'variation-selector';
  if (cp >= 0xe0000 && cp <= 0xe007f) return 'tag';
  if ((cp >= 0xe000 && cp <= 0xf8ff) || (cp >= 0xf0000 && cp <= 0xffffd) || (cp >= 0x100000 && cp <= 0x10fffd)) return 'private-use';
  if ((cp >= 0x200b && cp <= 0x200d) || cp === 0x2060 || cp === 0xfeff || cp === 0x180e) return 'zero-width';
  if (cp === 0x034f || cp === 0x115f || cp === 0x1160 || cp === 0x3164 || cp === 0xffa0 || cp === 0x17b4 || cp === 0x17b5 || (cp >= 0x2061 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f)) return 'filler';
  return undefined;
}

/** Private-use runs shorter than this are icon glyphs. */
const PUA_RUN = 4;

const isCjk = (cp: number) => (cp >= 0x3400 && cp <= 0x9fff) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x3ffff);
const visibleNonAscii = (cp: number | undefined) => cp !== undefined && cp > 0x7f && kindOf(cp) === undefined && !/\s/.test(String.fromCodePoint(cp));

/** A run that ordinary text explains (see the module comment). */
function ordinary(run: number[], before: number | undefined, after: number | undefined, offset: number): boolean {
  if (run.length === 1) {
    const cp = run[0]!;
    if (cp === 0xfeff && offset === 0) return true;
    if (cp >= 0xfe00 && cp <= 0xfe0f) return visibleNonAscii(before) || (cp === 0xfe0f && before !== undefined && /[0-9#*]/.test(String.fromCodePoint(before)) && after === 0x20e3);
    if (cp >= 0xe0100) return before !== undefined && isCjk(before);
    if (cp === 0x200d || cp === 0x200c) return visibleNonAscii(before) && visibleNonAscii(after);
    if (kindOf(cp) === 'zero-width') return true; // the rule's zero-width check reports lone ones
  }
  // Emoji ZWJ sequences with a selector: ❤️‍🔥 is U+2764 U+FE0F U+200D U+1F525.
  if (run.length === 2 && run[0] === 0xfe0f && run[1] === 0x200d) return visibleNonAscii(before) && visibleNonAscii(after);
  // Subdivision flags: U+1F3F4, tag letters, U+E007F.
  if (before === 0x1f3f4 && run[run.length - 1] === 0xe007f && run.every((cp) => cp >= 0xe0020 && cp <= 0xe007f)) return true;
  if (run.every((cp) => kindOf(cp) === 'private-use') && run.length < PUA_RUN) return true;
  return false;
}

/**
 * Where each offset of the text sits: code, a string (quotes or template text), a comment. A small
 * lexer that tells a regex literal from a division by the token before it; an approximation is
 * enough here, and it runs only on files that hold a candidate.
 */
function placesOf(text: string, wanted: number[]): InvisiblePlace[] {
  const out: InvisiblePlace[] = [];
  let w = 0;
  const templates: number[] = []; // brace depth at each `${`
  let depth = 0;
  let lastSignificant = '';
  let i = 0;
  const mark = (upTo: number, place: InvisiblePlace) => {
    while (w < wanted.length && wanted[w]! < upTo) {
      out.push(place);
      w++;
    }
  };
  const n = text.length;
  while (i < n && w < wanted.length) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const e = end < 0 ? n : end;
      mark(i, 'code');
      mark(e, 'comment');
      i = e;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const e = end < 0 ? n : end + 2;
      mark(i, 'code');
      mark(e, 'comment');
      i = e;
      continue;
    }
    if (c === '"' || c === "'" || c === '`' || (c === '}' && templates.length && templates[templates.length - 1] === depth)) {
      mark(i, 'code');
      let j = i + 1;
      if (c === '}') templates.pop();
      const quote = c === '}' ? '`' : c;
      for (; j < n; j++) {
        const d = text[j];
        if (d === '\\') {
          j++;
          continue;
        }
        if (d === quote) break;
        if (quote === '`' && d === '$' && text[j + 1] === '{') {
          templates.push(depth);
          j++;
          break;
        }
        if (quote !== '`' && d === '\n') break;
      }
      mark(j + 1, 'string');
      i = j + 1;
      lastSignificant = 'x';
      continue;
    }
    if (c === '/' && (lastSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant))) {
      // A regex literal: up to the closing slash outside a class.
      let j = i + 1;
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
      lastSignificant = 'x';
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (!/\s/.test(c)) lastSignificant = /[\w$]/.test(c) ? (/^(?:return|typeof|case|do|else|in|of|void|yield|await)$/.test(wordBefore(text, i + 1)) ? '(' : 'x') : c;
    i++;
  }
  mark(Infinity, 'code');
  return out;
}

function wordBefore(text: string, end: number): string {
  let s = end;
  while (s > 0 && /[\w$]/.test(text[s - 1]!)) s--;
  return end - s <= 6 ? text.slice(s, end) : '';
}

export function measureInvisible(text: string): InvisibleMeasure | undefined {
  if (!ANY.test(text)) return undefined;
  // Runs of consecutive candidates, with the visible code points either side.
  const runs: { start: number; cps: number[]; before?: number; after?: number }[] = [];
  let cur: { start: number; cps: number[]; before?: number; after?: number } | undefined;
  let prev: number | undefined;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const size = cp > 0xffff ? 2 : 1;
    if (kindOf(cp)) {
      if (!cur) cur = { start: i, cps: [], before: prev };
      if (cur.cps.length < 1_000_000) cur.cps.push(cp);
    } else {
      if (cur) {
        cur.after = cp;
        runs.push(cur);
        cur = undefined;
      }
      prev = cp;
    }
    i += size;
  }
  if (cur) runs.push(cur);
  const hidden = runs.filter((r) => !ordinary(r.cps, r.before, r.after, r.start));
  if (hidden.length === 0) return undefined;
  const places = placesOf(text, hidden.map((r) => r.start));
  const m: InvisibleMeasure = { count: 0, longestRun: 0, kinds: {}, places: {}, longest: { offset: 0, line: 1, column: 1, place: 'code', kinds: [] } };
  hidden.forEach((r, k) => {
    let place = places[k]!;
    if (place === 'code') {
      // Next to an identifier character (or itself one, like the Hangul fillers): part of a name.
      const b = r.before === undefined ? '' : String.fromCodePoint(r.before);
      const a = r.after === undefined ? '' : String.fromCodePoint(r.after);
      if (/[\p{ID_Continue}$]/u.test(b) || /[\p{ID_Continue}$]/u.test(a) || r.cps.some((cp) => kindOf(cp) === 'filler')) place = 'identifier';
    }
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
  return m;
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
