// One chain, one reason. The scorer raises several reasons from one piece of evidence (the flow
// rule's path, then the same source and sink as a per-file chain, then package-wide), and a package
// that ships its code as .ts, .js, .mjs and .cjs (or dist/esm and dist/cjs) repeats each reason per
// copy. A reader wants each chain once, strongest wording first: the input order.

/** `file:line` locations a reason cites, as the scorer writes them ("(index.js:4)", "at a/b.js:3"). */
// Matched only from the start of a run of path characters (the lookbehind), so a long run that is
// no location is tried once, not once per character.
const LOCATION = /(?<![\w@.~\-/#])([\w@.~\-/#]{1,256}\.\w{1,16}):(\d{1,9})/g;

/** A source file's identity across its build copies: extension and build-variant folders dropped. */
export function copyStem(file: string): string {
  const parts = file.split('/');
  const base = parts.pop() ?? '';
  const stem = base.replace(/(\.d)?\.(?:[cm]?[jt]sx?)$/, '').replace(/\.min$/, '');
  // Build output folders that hold the same module in another format.
  const dirs = parts.filter((d) => !/^(?:src|lib|dist|build|out|esm|cjs|es|es5|es6|es2015|es2017|es2020|umd|mjs|commonjs|module|modules|browser|node|types|legacy|modern)$/i.test(d));
  return [...dirs, stem].join('/');
}

function locations(text: string): string[] {
  return [...text.matchAll(LOCATION)].map((m) => `${m[1]}:${m[2]}`);
}

/**
 * Drops a reason when an earlier one already cites every place it cites, two or more (the same chain told again),
 * and when it is an earlier reason told about another build copy of the same file. Reasons that cite
 * no location are kept unless repeated word for word.
 */
export function dedupeReasons(reasons: readonly string[]): string[] {
  const kept: string[] = [];
  const cited: Array<Set<string>> = [];
  const copyTexts = new Set<string>();
  for (const reason of reasons) {
    const locs = [...new Set(locations(reason))];
    // The same words with each file replaced by its copy stem (and lines dropped: copies differ in layout).
    const asCopy = reason.replace(LOCATION, (_m, file: string) => `<${copyStem(file)}>`);
    if (copyTexts.has(asCopy)) continue;
    // Only chains (two places or more): a one-place reason (obfuscation at a.js:1) is its own evidence
    // even where a chain also passes.
    if (locs.length >= 2 && cited.some((set) => locs.every((l) => set.has(l)))) continue;
    copyTexts.add(asCopy);
    cited.push(new Set(locs));
    kept.push(reason);
  }
  return kept;
}
