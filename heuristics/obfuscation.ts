import { tokenizer } from 'acorn';
import { defineRule, reportMatches } from '../src/engine/api.js';
import { reportInvisibleCode } from './invisible-code.js';

/**
 * Obfuscation, told apart from minification. Terser, esbuild, webpack and rollup output has short
 * names and no whitespace, but none of these marks: they come from tools whose purpose is to hide
 * what code does, or from tricks that hide code from a human reviewer.
 */
const OBF_NAMES = /\b_0x[0-9a-f]{4,6}\b/g;
/** Uses of `_0x…` names from which a file reads as obfuscator.io output. */
const OBF_NAMES_AT = 20;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
const ZERO_WIDTH = /[\u200B-\u200D\u2060\u180E]/;
/** Blank characters in a row, inside one line of code, from which what follows is off-screen. */
const OFFSCREEN_AT = 150;
const OFFSCREEN = new RegExp(`\\S[ \\t]{${OFFSCREEN_AT},}\\S`);
const JSFUCK_AT = 400;
const JSFUCK = new RegExp(`[[\\]()!+]{${JSFUCK_AT},}`);
/** Steps in a split dispatch string from which a loop over it is control-flow flattening. */
const FLATTENING_STEPS_AT = 4;
const JJENCODE = /\$=~\[\];\s*\$=\{___:\+\+\$|ﾟωﾟﾉ\s*=|\(ﾟДﾟ\)/;
/**
 * Marks that are not plain substrings: invisible/bidi characters, long blank runs, dispatch strings.
 * Three regexes, each of which V8 scans fast, cost half of one alternation of the three; a blank
 * run is tried only where it starts, not again at each of its characters.
 */
const PRECHECKS = [/[\u202A-\u202E\u2066-\u2069\u200B-\u200D\u2060\u180E]/, /(?<![ \t])[ \t]{150}/, /\d\|\d+\|\d+\|\d/];
const FLATTENING = new RegExp(`(['"])(\\d+(?:\\|\\d+){${FLATTENING_STEPS_AT - 1},})\\1\\s*(?:\\[\\s*['"]split['"]\\s*\\]|\\.split)\\s*\\(\\s*['"]\\|['"]\\s*\\)`);

/** Past this offset the tokenizer costs more than a rare mark is worth: the run counts as code. */
const MAX_TOKENIZE = 4_000_000;

type Place = 'code' | 'literal' | 'comment' | undefined;
interface Spot {
  place: Place;
  /** The string, template, regex or comment token the offset sits in. */
  start?: number;
  end?: number;
}

/**
 * Where each offset (ascending) sits: between tokens of code, or inside a string, template, regex
 * or comment. One tokenizer pass for all of them; place undefined for offsets it could not reach (a
 * syntax acorn does not read, or past MAX_TOKENIZE).
 */
export function placesOf(text: string, offsets: readonly number[]): Spot[] {
  const spots: Spot[] = offsets.map(() => ({ place: undefined }));
  let next = 0;
  const settle = (place: Place, upTo: number, start?: number) => {
    while (next < offsets.length && offsets[next]! < upTo) spots[next++] = place === 'code' ? { place } : { place, start, end: upTo };
  };
  try {
    const tokens = tokenizer(text.length > MAX_TOKENIZE ? text.slice(0, MAX_TOKENIZE) : text, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowHashBang: true,
      allowReserved: true,
      allowReturnOutsideFunction: true,
      allowImportExportEverywhere: true,
      allowAwaitOutsideFunction: true,
      // Comments come before the token that follows them: offsets up to the comment are code.
      onComment: (_block, _text, start, end) => {
        settle('code', start);
        settle('comment', end, start);
      },
    });
    for (const t of tokens) {
      settle('code', t.start);
      settle('literal', t.end, t.start);
      if (next >= offsets.length) break;
    }
    if (text.length <= MAX_TOKENIZE) settle('code', Infinity);
  } catch {
    // Whatever was settled before the syntax acorn could not read stands; the rest stays unknown.
  }
  return spots;
}

/**
 * C0 control characters other than tab and line breaks, raw or escaped (`\\0`, `\\x01`, `\\u0002`):
 * binary data packed into a string (an HTML entity decode tree, a lexer table), not text to display.
 */
const RAW_CONTROL = /[\x00-\x08\x0e-\x1f]|\\0|\\x(?:0[0-8bcef]|1[0-9a-f])|\\u00(?:0[0-8bcef]|1[0-9a-f])/gi;
/** Control characters in one string from which it reads as a binary table, not text. */
const BINARY_TABLE_AT = 4;

const lineAndColumn = (text: string, index: number) => {
  const before = text.slice(0, index);
  return { line: before.split('\n').length, column: index - before.lastIndexOf('\n') };
};

export default defineRule({
  meta: {
    id: 'obfuscation',
    title: 'Obfuscated or hidden code',
    description:
      'Reports code written to be unreadable or invisible: obfuscator.io output (`_0x` names, string arrays with rotation and decoders, which the engine also decodes), control-flow flattening over a split dispatch string, JSFuck, jjencode/aaencode, code pushed off-screen by long runs of whitespace, and invisible or reordering Unicode (zero-width characters, bidirectional controls: Trojan Source; variation selectors, tag, private-use and filler characters, measured by count, longest run and whether they sit in strings, identifiers or comments, where a payload-sized run is high and look-alike identifiers medium). Minified code is not obfuscated and is never reported; emoji presentation selectors, keycaps, ZWJ emoji and flags in UI strings are ordinary text.',
    severity: 'high',
    category: 'obfuscation',
    references: ['https://obfuscator.io/', 'https://trojansource.codes/', 'https://jsfuck.com/'],
    docs: {
      example: "var order = '3|1|0|2'.split('|'), i = 0;\nwhile (!![]) {\n  switch (order[i++]) {\n    case '0': send(); continue;\n    case '1': collect(); continue;\n    case '2': cleanup(); continue;\n    case '3': init(); continue;\n  }\n  break;\n}",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule obfuscation`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    return {
      lexical(ctx) {
        reportInvisibleCode(ctx);
        const text = ctx.text;
        // One cheap test for every mark below; most files have none.
        if (!text.includes('_0x') && !text.includes('+[]') && !text.includes('ﾟ') && !text.includes('$=~[]') && !PRECHECKS.some((re) => re.test(text))) return;
        const names = text.match(OBF_NAMES);
        // Each message names the property measured, its value and the threshold it passed.
        if (names && names.length >= OBF_NAMES_AT) {
          const distinct = new Set(names).size;
          ctx.report({ line: 1, message: `obfuscator.io-style code: ${names.length} uses of ${distinct} \`_0x…\` identifiers (reported from ${OBF_NAMES_AT} uses)`, severity: 'high', signals: ['obfuscation'], evidence: names.slice(0, 4).join(' ') });
        }
        if (FLATTENING.test(text) && /while\s*\(\s*(?:!!\[\]|true|1)\s*\)/.test(text)) {
          reportMatches(ctx, FLATTENING, 1, (m) => ({
            message: `control-flow flattening: a loop dispatches ${m[2]!.split('|').length} statements in the order of a split string (reported from ${FLATTENING_STEPS_AT} steps)`,
            severity: 'high',
            signals: ['obfuscation'],
          }));
        }
        if (text.includes('+[]')) reportMatches(ctx, JSFUCK, 1, (m) => ({ message: `JSFuck-style encoding: ${m[0].length} characters in a row of []()!+ only (reported from ${JSFUCK_AT})`, severity: 'high', signals: ['obfuscation'], evidence: m[0].slice(0, 60) }));
        reportMatches(ctx, JJENCODE, 1, (m) => ({ message: `jjencode/aaencode-style encoded program (its preamble \`${m[0]}\`)`, severity: 'high', signals: ['obfuscation'] }));
        // Only blanks between tokens of code hide what follows them; tabs in a lexer table inside a
        // string, or spaces in a comment, are data.
        if (OFFSCREEN.test(text)) {
          const runs = [...text.matchAll(new RegExp(OFFSCREEN.source, 'g'))].slice(0, 64);
          const spots = placesOf(text, runs.map((m) => m.index + 1));
          const hidden = runs.findIndex((_, i) => spots[i]!.place !== 'literal' && spots[i]!.place !== 'comment');
          const m = runs[hidden];
          if (m) {
            const blanks = m[0].length - 2;
            const sure = spots[hidden]!.place === 'code';
            ctx.report({
              ...lineAndColumn(text, m.index),
              message: `code pushed off-screen: ${blanks} blank characters between code tokens on one line, then more code (reported from ${OFFSCREEN_AT})${sure ? '' : '; the file could not be tokenized to tell code from strings'}`,
              severity: 'high',
              signals: ['obfuscation'],
              evidence: m[0].trim().slice(0, 40),
            });
          }
        }
        // A bidi control reorders how source displays; inside a string that is a binary table (raw
        // control characters: an HTML entity decode tree, a lexer table) it is one more code point.
        if (BIDI.test(text)) {
          const marks = [...text.matchAll(new RegExp(BIDI.source, 'g'))].slice(0, 64);
          const spots = placesOf(text, marks.map((m) => m.index));
          const binary = (spot: Spot) => spot.place === 'literal' && spot.start !== undefined && (text.slice(spot.start, Math.min(spot.end!, spot.start + 200_000)).match(RAW_CONTROL)?.length ?? 0) >= BINARY_TABLE_AT;
          const i = marks.findIndex((_, k) => !binary(spots[k]!));
          const m = marks[i];
          if (m) {
            const where = spots[i]!.place === 'literal' ? 'in a string' : spots[i]!.place === 'comment' ? 'in a comment' : spots[i]!.place === 'code' ? 'in code' : 'in text the tokenizer could not read';
            ctx.report({
              ...lineAndColumn(text, m.index),
              message: `bidirectional control character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} ${where}: source can display differently from how it runs (Trojan Source; reported from one, outside binary tables of ${BINARY_TABLE_AT}+ control characters, raw or escaped)`,
              severity: 'high',
              signals: ['obfuscation'],
              evidence: text.slice(Math.max(0, m.index - 20), m.index + 20),
            });
          }
        }
        reportMatches(ctx, ZERO_WIDTH, 1, (m) => ({ message: `invisible character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} in code`, severity: 'low', signals: ['obfuscation'] }));
      },
    };
  },
});
