import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { foldAlternatives, foldSource, regexTokens, topLevelAlternatives } from '../src/catalog/alternation.js';

/** Every place in `text` where `source` matches (a sticky regex tried at each index). */
function places(source: string, text: string, flags = ''): number[] {
  const re = new RegExp(source, `${flags}y`);
  const out: number[] = [];
  for (let i = 0; i <= text.length; i++) {
    re.lastIndex = i;
    if (re.test(text)) out.push(i);
  }
  return out;
}

// Atoms of the kinds the tiers' patterns use: letters, escapes, classes, lookarounds, groups,
// quantified atoms, word boundaries.
const ATOMS = ['a', 'b', 'c', '\\.', '\\b', '\\s*', '[ab]', '[^a\\n]*', 'a+', 'b?', '(?:a|bc)', '(?![\\w$])', '(?<![\\w$])', '(?=c)', "['\"`]", '\\u0061', 'c{2}', 'x'];
const branch = fc.array(fc.constantFrom(...ATOMS), { minLength: 1, maxLength: 5 }).map((xs) => xs.join(''));
const text = fc.array(fc.constantFrom('a', 'b', 'c', '.', ' ', 'x', '$', "'", '\n'), { maxLength: 24 }).map((xs) => xs.join(''));

describe('folding alternatives by their beginnings', () => {
  test('matches at exactly the places the branches do, whatever the branches and the text', () => {
    fc.assert(
      fc.property(fc.array(branch, { minLength: 1, maxLength: 8 }), text, fc.constantFrom('', 'i'), (branches, t, flags) => {
        const folded = foldAlternatives(branches);
        expect(places(folded, t, flags)).toEqual(places(branches.join('|'), t, flags));
      }),
      { numRuns: 2000 },
    );
  });

  test('shares beginnings and drops a branch that extends another', () => {
    expect(foldAlternatives(['oast\\.', 'oastify', 'ab', 'abc', 'x\\.y'])).toBe('oast(?:\\.|ify)|ab|x\\.y');
    expect(foldAlternatives(['\\brequire\\s*\\(', '\\brequire\\s*[;,]', '\\beval\\b'])).toBe('\\b(?:require\\s*(?:\\(|[;,])|eval\\b)');
    expect(foldSource('a|(?:b|c)|a')).toBe('a|b|c');
  });

  test('an escape, a class, a group and a quantifier each stay one atom', () => {
    expect(regexTokens('\\u0041\\x41\\u{1F600}\\p{L}[a\\]b]+(?:x|y)*?c{2,3}\\.')).toEqual(['\\u0041', '\\x41', '\\u{1F600}', '\\p{L}', '[a\\]b]+', '(?:x|y)*?', 'c{2,3}', '\\.']);
    // `\u0041` and `\u0042` share `\u004` as text, not as an atom: folding there would break the escape.
    expect(places(foldAlternatives(['\\u0041', '\\u0042']), 'AB')).toEqual([0, 1]);
  });

  test('refuses patterns whose groups are numbered', () => {
    expect(() => foldAlternatives(['(a)b', 'ac'])).toThrow(/capture group/);
    expect(() => foldAlternatives(['(?<n>a)b'])).toThrow(/capture group/);
    expect(() => foldAlternatives(['(?:a)\\1'])).toThrow(/back-reference/);
    expect(() => foldAlternatives(['(?<=a)b', '(?<!a)c'])).not.toThrow();
  });

  test('splits at top-level bars only, and opens a branch that is one whole group', () => {
    expect(topLevelAlternatives('a|(?:b|c)|[|]|(?<![\\w$])d(?:e|f)')).toEqual(['a', 'b', 'c', '[|]', '(?<![\\w$])d(?:e|f)']);
    expect(topLevelAlternatives('(?:a|b)c|(?:d)+')).toEqual(['(?:a|b)c', '(?:d)+']);
  });
});
