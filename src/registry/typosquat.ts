// Typosquatting: is a package name a near-copy of a much more popular one? Pure functions over the
// shipped list data/popular-names.json (rebuilt by scripts/build-popular-names.ts from
// ../shared/data/npm-popular-10k.tsv). A name is only ever compared with names far more popular than
// itself, so two popular packages with similar names (ws / qs, chalk / chai) never flag each other.
import popularData from '../../data/popular-names.json' with { type: 'json' };
import { editDistance } from './edit-distance.js';

export { editDistance };
import { trimTrailingDigits } from '../text.js';

export type SquatKind =
  | 'homoglyph'
  | 'separator'
  | 'transposition'
  | 'doubled-letter'
  | 'dropped-letter'
  | 'added-letter'
  | 'substitution'
  | 'edit-distance-2'
  | 'scope-confusion'
  | 'unscoped-copy'
  | 'combo';

export interface TyposquatMatch {
  /** The popular package the name imitates. */
  target: string;
  targetDownloads: number;
  kind: SquatKind;
  /** Human description, e.g. `doubled letter ("expresss" vs "express")`. */
  detail: string;
}

export interface PopularIndex {
  downloads: ReadonlyMap<string, number>;
  /** Names by length of the whole name, for bounded edit-distance scans. */
  byLength: ReadonlyMap<number, readonly string[]>;
  /** Separator-free / homoglyph skeleton -> names with it. */
  skeletons: ReadonlyMap<string, readonly string[]>;
  /** Scoped names by their bare name (`@types/node` under `node`). */
  scopedByBase: ReadonlyMap<string, readonly string[]>;
  /** Least popular name in the list: unknown names are assumed below it. */
  floor: number;
}

/** Targets must be this many times more popular than the candidate (unknown names count as the list floor). */
export const POPULARITY_RATIO = 20;
/** Suffixes squatters bolt onto a popular name. */
const COMBO_SUFFIXES = ['-js', '.js', 'js', '-node', '-nodejs', '2', '-2', '-dev', '-latest', '-official', '-npm'];

// Letters that render alike. npm no longer accepts non-ASCII or upper-case names, but old names and
// other registries do, and digits for letters (1 for l, 0 for o) are still allowed.
const CONFUSABLE: Record<string, string> = {
  '0': 'o', '1': 'l', 'і': 'i', 'ı': 'i', 'ӏ': 'l', 'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x',
  'ѕ': 's', 'ј': 'j', 'ԁ': 'd', 'ɡ': 'g', 'ο': 'o', 'ν': 'v', 'α': 'a', 'ρ': 'p', 'τ': 't', 'κ': 'k', 'ߋ': 'o',
};

/** Separators dropped, confusable glyphs folded: `l0dash`, `lo-dash`, `lodаsh` all give `lodash`. */
export function skeleton(name: string): string {
  let s = name.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  s = [...s].map((c) => CONFUSABLE[c] ?? c).join('');
  return s.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/[-_.]/g, '');
}

/** Separators only dropped: tells separator swaps from glyph tricks. */
const noSeparators = (name: string): string => name.toLowerCase().replace(/[-_.]/g, '');

function split(name: string): { scope?: string; base: string } {
  const m = /^@([^/]+)\/(.+)$/.exec(name);
  return m ? { scope: m[1], base: m[2]! } : { base: name };
}

export function buildPopularIndex(entries: Iterable<[string, number]>): PopularIndex {
  const downloads = new Map<string, number>();
  const byLength = new Map<number, string[]>();
  const skeletons = new Map<string, string[]>();
  const scopedByBase = new Map<string, string[]>();
  const push = <K>(m: Map<K, string[]>, k: K, v: string) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  let floor = Infinity;
  for (const [name, n] of entries) {
    downloads.set(name, n);
    floor = Math.min(floor, n);
    push(byLength, name.length, name);
    push(skeletons, skeleton(name), name);
    const { scope, base } = split(name);
    if (scope) push(scopedByBase, base, name);
  }
  return { downloads, byLength, skeletons, scopedByBase, floor: Number.isFinite(floor) ? floor : 0 };
}

let shipped: PopularIndex | undefined;
/** The index over data/popular-names.json, built once. */
export function popularIndex(): PopularIndex {
  shipped ??= buildPopularIndex(Object.entries((popularData as { names: Record<string, number> }).names));
  return shipped;
}

// Neighbouring keys on a QWERTY keyboard: a one-letter substitution is a typo when the keys touch.
const KEY_ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
function keysTouch(a: string, b: string): boolean {
  const pos = (c: string): [number, number] | undefined => {
    for (let r = 0; r < KEY_ROWS.length; r++) {
      const i = KEY_ROWS[r]!.indexOf(c);
      if (i >= 0) return [r, i];
    }
    return undefined;
  };
  const pa = pos(a);
  const pb = pos(b);
  // Rows are staggered: a key touches the two below it at the same and the previous index.
  if (!pa || !pb) return false;
  const [ra, ia] = pa;
  const [rb, ib] = pb;
  if (ra === rb) return Math.abs(ia - ib) === 1;
  if (Math.abs(ra - rb) !== 1) return false;
  const [upper, lower] = ra < rb ? [ia, ib] : [ib, ia];
  return lower === upper || lower === upper - 1;
}

/**
 * What a one-edit difference looks like, or undefined when it is a different word rather than a
 * slip: a plural or singular (`global` / `globals`), a trailing digit (`merge` / `merge2` is covered
 * by the combo check), or a substitution of keys that do not touch in a short name (`jsdoc` / `jsdom`).
 */
function describeEdit(candidate: string, target: string): { kind: SquatKind; detail: string } | undefined {
  const vs = `"${candidate}" vs "${target}"`;
  if (candidate.length === target.length) {
    const diff = [...candidate].map((c, i) => (c === target[i] ? -1 : i)).filter((i) => i >= 0);
    if (diff.length === 2 && diff[1] === diff[0]! + 1 && candidate[diff[0]!] === target[diff[1]!] && candidate[diff[1]!] === target[diff[0]!]) {
      return { kind: 'transposition', detail: `swapped letters (${vs})` };
    }
    if (diff.length === 1) {
      const i = diff[0]!;
      if (/[-_./]/.test(candidate[i]!) && /[-_./]/.test(target[i]!)) return { kind: 'separator', detail: `separators changed (${vs})` };
      if (split(candidate).base.length >= 8 || keysTouch(candidate[i]!, target[i]!)) return { kind: 'substitution', detail: `one letter changed (${vs})` };
    }
    return undefined;
  }
  const [longer, shorter] = candidate.length > target.length ? [candidate, target] : [target, candidate];
  // `globals` / `global` is another word; `expresss` / `express` (a doubled s) is not.
  if ((longer === shorter + 's' && !shorter.endsWith('s')) || (/^\d$/.test(longer.slice(-1)) && longer.slice(0, -1) === shorter)) return undefined;
  for (let i = 0; i < longer.length; i++) {
    if (longer.slice(0, i) + longer.slice(i + 1) !== shorter) continue;
    const doubled = (i > 0 && longer[i] === longer[i - 1]) || longer[i] === longer[i + 1];
    if (longer === candidate) return doubled ? { kind: 'doubled-letter', detail: `doubled letter (${vs})` } : { kind: 'added-letter', detail: `one letter added (${vs})` };
    return { kind: 'dropped-letter', detail: `dropped letter (${vs})` };
  }
  return undefined;
}

/**
 * Two edits are a typo only inside one long word (`expresss-sesion`): two edits in a short segment
 * replace it with another word (`react-dnd` / `react-dom`, `get-proxy` / `get-proto`).
 */
function twoEditsAreATypo(candidate: string, target: string): boolean {
  const a = candidate.split(/[-_.\/]/);
  const b = target.split(/[-_.\/]/);
  if (a.length !== b.length) return noSeparators(candidate).length >= MIN_LEN_D2 && editDistance(noSeparators(candidate), noSeparators(target), 1) <= 1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (Math.min(a[i]!.length, b[i]!.length) < 7) return false;
  }
  return true;
}

/** Minimum length of the bare name for an edit-distance match: short names are too close to each other. */
const MIN_LEN_D1 = 5;
const MIN_LEN_D2 = 9;

/**
 * The popular package `name` imitates, if any. `downloads` is the candidate's own monthly downloads
 * when known (from the list itself, or the caller); unknown names are assumed less popular than the
 * least popular listed name. The most popular imitated target wins.
 */
export function findTyposquat(name: string, index: PopularIndex = popularIndex(), downloads?: number): TyposquatMatch | undefined {
  const own = downloads ?? index.downloads.get(name) ?? 0;
  const minTarget = Math.max(own, index.floor / POPULARITY_RATIO) * POPULARITY_RATIO;
  const candidates: TyposquatMatch[] = [];
  const consider = (target: string, kind: SquatKind, detail: string) => {
    if (target === name) return;
    const n = index.downloads.get(target) ?? 0;
    if (n < minTarget) return;
    candidates.push({ target, targetDownloads: n, kind, detail });
  };
  const q = (s: string) => `"${s}"`;
  const { scope, base } = split(name);

  // Homoglyphs and separator swaps: same skeleton.
  for (const t of index.skeletons.get(skeleton(name)) ?? []) {
    if (noSeparators(t) === noSeparators(name)) consider(t, 'separator', `separators changed (${q(name)} vs ${q(t)})`);
    else consider(t, 'homoglyph', `look-alike characters (${q(name)} vs ${q(t)})`);
  }

  // One or two keystrokes away. Scoped names compare whole (`@bable/core`); the bare name must be long
  // enough that a single edit is not just another short word.
  const baseLen = base.length;
  if (baseLen >= MIN_LEN_D1) {
    const maxD = baseLen >= MIN_LEN_D2 ? 2 : 1;
    for (let len = name.length - maxD; len <= name.length + maxD; len++) {
      for (const t of index.byLength.get(len) ?? []) {
        if (t === name || t[0] !== name[0]) continue; // a changed first character is rarely a squat (and often another word)
        // Not popular enough to be imitated (consider() would drop it): skip the distance. In an
        // audit most packages are popular themselves, so this skips nearly every comparison.
        if ((index.downloads.get(t) ?? 0) < minTarget) continue;
        const d = editDistance(name, t, maxD);
        if (d > maxD) continue;
        // Two names that only differ in a trailing digit are a family (vue2 / vue3), not a squat.
        if (/\d$/.test(t) && /\d$/.test(name) && trimTrailingDigits(name) === trimTrailingDigits(t)) continue;
        if (d === 1) {
          const e = describeEdit(name, t);
          if (e) consider(t, e.kind, e.detail);
        } else if (split(t).base.length >= MIN_LEN_D2 && twoEditsAreATypo(name, t)) {
          consider(t, 'edit-distance-2', `two edits apart (${q(name)} vs ${q(t)})`);
        }
      }
    }
  }

  // Scope confusion: `@types-utils/node` or `@typess/node` for `@types/node`.
  if (scope) {
    for (const t of index.scopedByBase.get(base) ?? []) {
      const ts = split(t).scope!;
      if (ts === scope) continue;
      const lookalike = (scope.startsWith(ts) && /^[-_.]/.test(scope.slice(ts.length))) || (ts.length >= 4 && editDistance(scope, ts, 1) <= 1);
      if (lookalike) consider(t, 'scope-confusion', `scope @${scope} imitates @${ts} (${q(name)} vs ${q(t)})`);
    }
  } else {
    // An unscoped copy of a scoped name: `types-node` / `typesnode` / `types.node` for `@types/node`
    // (and `@types-node`, which only other registries and hand-written manifests accept).
    const flat = name.replace(/^@/, '');
    for (let i = 1; i < flat.length - 1; i++) {
      const sep = /[-_.]/.test(flat[i]!) ? 1 : 0;
      const t = `@${flat.slice(0, i)}/${flat.slice(i + sep)}`;
      if (index.downloads.has(t)) consider(t, 'unscoped-copy', `unscoped copy of a scoped package (${q(name)} vs ${q(t)})`);
    }
  }

  // Combo-squats: the popular name plus `-js`, `-node`, `2`, `-dev`.
  for (const suffix of COMBO_SUFFIXES) {
    if (name.endsWith(suffix) && name.length > suffix.length) {
      const t = name.slice(0, -suffix.length);
      if (split(t).base.length >= 3) consider(t, 'combo', `popular name with ${q(suffix)} added (${q(name)} vs ${q(t)})`);
    }
  }

  if (!candidates.length) return undefined;
  return candidates.sort((a, b) => b.targetDownloads - a.targetDownloads || a.target.localeCompare(b.target))[0];
}

/** `299476266` -> `299M`. */
export function formatDownloads(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1).replace(/\.0$/, '')}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}k`;
  return String(n);
}
