import { foldAlternatives, topLevelAlternatives } from './alternation.js';

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
 * One alternation of the hints of `entries`, folded by common beginnings (alternation.ts): with the
 * catalog's hundred-odd hints spread over a few first letters, each letter is tried once at a place
 * rather than each hint. Which places match is unchanged, and that is all the tiers and pre-tests
 * use (a match's position, or whether there is one).
 */
export function hintSource(entries: readonly Pick<Hinted, 'hint'>[]): string {
  return foldAlternatives(hintBranches(entries));
}

/** Every top-level branch of the entries' hints, each hint once. */
const hintBranches = (entries: readonly Pick<Hinted, 'hint'>[]): string[] => [...new Set(entries.map((e) => e.hint.source))].flatMap(topLevelAlternatives);

/** The hints of `entries` as one case-insensitive regex: the cheap pre-test before their own regexes. */
export function hintRegex(entries: readonly Pick<Hinted, 'hint'>[], extra: readonly string[] = []): RegExp {
  return new RegExp(foldAlternatives([...hintBranches(entries), ...extra.flatMap(topLevelAlternatives)]), 'i');
}
