/**
 * How a catalog entry says what text it needs (its `hint`), and how the tiers that decide what to
 * parse are built from those hints. An entry's `re` is the exact test a rule applies; its `hint` is
 * a short pattern that every text `re` matches also contains, specific enough to be a tier-0
 * trigger (a file that holds it is parsed) and a lazy-tier body hint (a function body that holds
 * it is parsed). Hints are written in the case the real text uses (hosts in lower case): tier 0 and
 * the lazy tier match them as written, the rules' own pre-tests without regard to case. `example`
 * is a text the entry matches: test/catalog.test.ts builds its snippets from it, so a new entry is
 * tested on every tier without a new test.
 */
export interface Hinted {
  /** A pattern (its flags are ignored) that every match of the entry contains. */
  hint: RegExp;
  /** A text the entry matches, for the generated tests. */
  example: string;
}

/**
 * One alternation of the hints of `entries`. Hints that are plain words (`discord`,
 * `hooks\.slack\.com`, `\.aws\/credentials`) are folded into one prefix tree, the rest follow
 * as written. V8 tries an alternation's branches one by one at every place one could start; with
 * the catalog's 88 plain words spread over a few first letters, the tree tries each letter once
 * (tier 0 over the benchmark set: 8-13% less CPU). Which places match is unchanged, and that is
 * all the tiers and pre-tests use (a match's position, or whether there is one): so a word whose
 * prefix is itself a word is dropped from the tree.
 */
export function hintSource(entries: readonly Pick<Hinted, 'hint'>[]): string {
  const words: string[] = [];
  const others: string[] = [];
  for (const source of new Set(entries.map((e) => e.hint.source))) {
    for (const alt of topLevelAlternatives(source)) {
      const word = plainWord(alt);
      if (word === undefined) others.push(`(?:${alt})`);
      else words.push(word);
    }
  }
  return [...(words.length ? [prefixTree(words)] : []), ...new Set(others)].join('|');
}

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

/** `(?:…)` whose opening parenthesis closes at its last character. */
function isWholeGroup(part: string): boolean {
  if (!part.startsWith('(?:') || !part.endsWith(')')) return false;
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i === part.length - 1;
  }
  return false;
}

/** The text a pattern matches when it is a plain word (letters, digits, `_`, `-`, space, escaped `.` `/` `-` `_` `@` `:`), else undefined. */
function plainWord(alt: string): string | undefined {
  return /^(?:[A-Za-z0-9_ -]|\\[./\-_@:])+$/.test(alt) ? alt.replace(/\\(.)/g, '$1') : undefined;
}

const escapeChar = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A pattern matching where any of `words` starts (at least one of them, as a prefix tree). */
export function prefixTree(words: readonly string[]): string {
  type Node = Map<string, Node> & { end?: boolean };
  const root: Node = new Map();
  for (const w of words) {
    let n = root;
    for (const ch of w) {
      if (n.end) break; // a shorter word already matches here
      let next = n.get(ch);
      if (!next) n.set(ch, (next = new Map()));
      n = next;
    }
    n.end = true;
    n.clear();
  }
  const emit = (n: Node): string => {
    if (n.end) return '';
    const alts = [...n].map(([ch, child]) => escapeChar(ch) + emit(child));
    return alts.length === 1 ? alts[0]! : `(?:${alts.join('|')})`;
  };
  return emit(root);
}

/** The hints of `entries` as one case-insensitive regex: the cheap pre-test before their own regexes. */
export function hintRegex(entries: readonly Pick<Hinted, 'hint'>[], extra: readonly string[] = []): RegExp {
  return new RegExp([hintSource(entries), ...extra].filter(Boolean).join('|'), 'i');
}
