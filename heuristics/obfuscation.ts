import { defineRule, reportMatches } from '../src/engine/rule.js';
import { reportInvisibleCode } from './invisible-code.js';

/**
 * Obfuscation, told apart from minification. Terser, esbuild, webpack and rollup output has short
 * names and no whitespace, but none of these marks: they come from tools whose purpose is to hide
 * what code does, or from tricks that hide code from a human reviewer.
 */
const OBF_NAMES = /\b_0x[0-9a-f]{4,6}\b/g;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
const ZERO_WIDTH = /[\u200B-\u200D\u2060\u180E]/;
const OFFSCREEN = /\S[ \t]{150,}\S/;
const JSFUCK = /[[\]()!+]{400,}/;
const JJENCODE = /\$=~\[\];\s*\$=\{___:\+\+\$|ﾟωﾟﾉ\s*=|\(ﾟДﾟ\)/;
/**
 * Marks that are not plain substrings: invisible/bidi characters, long blank runs, dispatch strings.
 * Three regexes, each of which V8 scans fast, cost half of one alternation of the three; a blank
 * run is tried only where it starts, not again at each of its characters.
 */
const PRECHECKS = [/[\u202A-\u202E\u2066-\u2069\u200B-\u200D\u2060\u180E]/, /(?<![ \t])[ \t]{150}/, /\d\|\d+\|\d+\|\d/];
const FLATTENING = /(['"])\d+(?:\|\d+){3,}\1\s*(?:\[\s*['"]split['"]\s*\]|\.split)\s*\(\s*['"]\|['"]\s*\)/;

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
      example: "var _0x3f2a=['Y2hpbGRfcHJvY2Vzcw=='];(function(a,n){while(--n)a.push(a.shift())})(_0x3f2a,0x1b);",
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
        if (names && names.length >= 20) {
          const distinct = new Set(names).size;
          ctx.report({ line: 1, message: `obfuscator.io-style code: ${names.length} uses of ${distinct} \`_0x…\` identifiers`, severity: 'high', signals: ['obfuscation'], evidence: names.slice(0, 4).join(' ') });
        }
        if (FLATTENING.test(text) && /while\s*\(\s*(?:!!\[\]|true|1)\s*\)/.test(text)) {
          reportMatches(ctx, FLATTENING, 1, () => ({ message: 'control-flow flattening: a loop dispatches statements in an order given by a split string', severity: 'high', signals: ['obfuscation'] }));
        }
        if (text.includes('+[]')) reportMatches(ctx, JSFUCK, 1, (m) => ({ message: `JSFuck-style encoding (${m[0].length}+ characters of []()!+ only)`, severity: 'high', signals: ['obfuscation'], evidence: m[0].slice(0, 60) }));
        reportMatches(ctx, JJENCODE, 1, () => ({ message: 'jjencode/aaencode-style encoded program', severity: 'high', signals: ['obfuscation'] }));
        reportMatches(ctx, OFFSCREEN, 1, (m) => ({ message: `code pushed off-screen by ${m[0].length - 2} characters of whitespace`, severity: 'high', signals: ['obfuscation'], evidence: m[0].trim().slice(0, 40) }));
        reportMatches(ctx, BIDI, 1, (m) => ({ message: `bidirectional control character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}: source can display differently from how it runs (Trojan Source)`, severity: 'high', signals: ['obfuscation'] }));
        reportMatches(ctx, ZERO_WIDTH, 1, (m) => ({ message: `invisible character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} in code`, severity: 'low', signals: ['obfuscation'] }));
      },
    };
  },
});
