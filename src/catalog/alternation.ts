/**
 * Regex alternations folded by their common beginnings. V8's regex engine tries the branches of an
 * alternation one by one at every place a match could start; in the tier-0 pattern (seventy-odd
 * branches, most starting with a different letter or quote) that is nearly every character of a
 * file. Folding branches that begin alike (`\brequire\s*\(…|\brequire\s*[;,)}]` into
 * `\brequire\s*(?:\(…|[;,)}])`, hosts into a tree of letters) leaves one test per distinct
 * beginning: tier 0 over the benchmark's 6,817 files took a quarter less CPU on Node 20 and 24.
 *
 * Folding keeps the places where the pattern matches, which is all the tiers and pre-tests use (a
 * match's position, or whether there is one). It may change which branch wins at a place, and so
 * the matched text: `ab|abc` folds to `ab`, because wherever `abc` matches `ab` does too. So it is
 * only for patterns whose callers read positions: not for one whose match text is used, nor for one
 * with capture groups or back-references (refused).
 */

/** A pattern's alternatives: split at top-level `|`, and a part that is one whole `(?:…)` group split in turn. */
export function topLevelAlternatives(source: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i <= source.length; i++) {
    const c = source[i];
    if (i === source.length || (c === '|' && depth === 0 && !inClass)) {
      const part = source.slice(start, i);
      out.push(...(isWholeGroup(part) ? topLevelAlternatives(part.slice(3, -1)) : [part]));
      start = i + 1;
    } else if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return out;
}

/** `(?:…)` whose opening parenthesis closes at its last character (and is not quantified). */
function isWholeGroup(part: string): boolean {
  if (!part.startsWith('(?:') || !part.endsWith(')')) return false;
  return groupEnd(part, 0) === part.length;
}

/** The index just past the `)` closing the group that opens at `at`. */
function groupEnd(source: string, at: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = at; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced group in ${source}`);
}

/** The end of the escape that starts at `at` (a backslash): `\u0041`, `\u{1F600}`, `\x41`, `\cJ`, `\p{L}`, `\.`. */
function escapeEnd(source: string, at: number): number {
  const next = source[at + 1];
  const rest = source.slice(at + 2);
  if (next === undefined) throw new Error(`dangling backslash in ${source}`);
  if (/[1-9]/.test(next) || (next === 'k' && rest.startsWith('<'))) throw new Error(`back-reference in ${source}: folding would renumber it`);
  const long = (next === 'u' && /^(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})/.exec(rest)) || (next === 'x' && /^[0-9a-fA-F]{2}/.exec(rest)) || (next === 'c' && /^[A-Za-z]/.exec(rest)) || ((next === 'p' || next === 'P') && /^\{[^}]*\}/.exec(rest));
  return at + 2 + (long ? long[0].length : 0);
}

/**
 * A branch as its atoms, each with its quantifier: an escape, a class, a group (with lookarounds),
 * or one character. Joined, they give the branch back.
 */
export function regexTokens(branch: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < branch.length) {
    const c = branch[i]!;
    let j: number;
    if (c === '\\') j = escapeEnd(branch, i);
    else if (c === '[') {
      j = i + 1;
      while (branch[j] !== ']') {
        if (j >= branch.length) throw new Error(`unclosed class in ${branch}`);
        j = branch[j] === '\\' ? escapeEnd(branch, j) : j + 1;
      }
      j++;
    } else if (c === '(') {
      if (branch[i + 1] !== '?' || (branch[i + 2] === '<' && branch[i + 3] !== '=' && branch[i + 3] !== '!')) {
        throw new Error(`capture group in ${branch}: folding would renumber it`);
      }
      j = groupEnd(branch, i);
    } else j = i + 1;
    const quantifier = /^(?:[*+?]|\{\d+(?:,\d*)?\})\??/.exec(branch.slice(j));
    if (quantifier) j += quantifier[0].length;
    out.push(branch.slice(i, j));
    i = j;
  }
  return out;
}

/**
 * One pattern matching at the places where any of `branches` does, with branches that begin alike
 * folded into one (their first atoms shared, as in a prefix tree). A branch that extends another
 * (`abc` after `ab`) is dropped: wherever it matches, the shorter one does. Duplicates go too.
 */
export function foldAlternatives(branches: readonly string[]): string {
  type Node = { next: Map<string, Node>; end: boolean };
  const root: Node = { next: new Map(), end: false };
  for (const branch of branches) {
    let node = root;
    for (const token of regexTokens(branch)) {
      if (node.end) break; // a shorter branch already matches here
      let next = node.next.get(token);
      if (!next) node.next.set(token, (next = { next: new Map(), end: false }));
      node = next;
    }
    node.end = true;
    node.next.clear();
  }
  // An empty branch matches everywhere; keep it (as written) rather than fold it away.
  if (root.end) return '(?:)';
  const emit = (node: Node): string => {
    if (node.end) return '';
    const alts = [...node.next].map(([token, child]) => token + emit(child));
    return alts.length === 1 ? alts[0]! : `(?:${alts.join('|')})`;
  };
  return [...root.next].map(([token, child]) => token + emit(child)).join('|');
}

/** `source`'s top-level alternatives folded (foldAlternatives): the same places, fewer tests at each. */
export function foldSource(source: string): string {
  return foldAlternatives(topLevelAlternatives(source));
}
