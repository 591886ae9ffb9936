// The checked-in list of benign packages the eval does not judge clean: one line per verdict,
// `set verdict name@version first-reason-short`, sorted, so a change that adds or removes a false
// positive shows in `git diff` and in the eval's own output.

export interface BaselineEntry {
  set: string;
  verdict: string;
  id: string;
  reason: string;
}

export const BASELINE_HEADER = [
  '# Benign packages npm run eval does not judge clean: set verdict name@version first-reason.',
  '# Rewritten by `npm run eval -- --update-baseline`; review its diff like code.',
];

const REASON_CHARS = 110;

/**
 * A reason short and stable enough to diff: one line, line and column numbers dropped (they move
 * with unrelated engine changes while the finding stays the same), cut to a fixed length.
 */
export function shortReason(reason: string | undefined): string {
  const one = (reason ?? '').replace(/\s+/g, ' ').trim();
  const stable = one.replace(/(\.[cm]?[jt]sx?|\.json|\.node|\.sh):\d+(?::\d+)?/g, '$1');
  return stable.length > REASON_CHARS ? `${stable.slice(0, REASON_CHARS - 1)}…` : stable || '-';
}

export function baselineLine(e: BaselineEntry): string {
  return `${e.set} ${e.verdict} ${e.id} ${shortReason(e.reason)}`;
}

/** The set a line belongs to (its first word). */
export function lineSet(line: string): string {
  return line.slice(0, line.indexOf(' '));
}

/** `set name@version` of a line: which package of which set it is about, whatever its verdict. */
export function lineKey(line: string): string {
  const [set, , id] = line.split(' ', 3);
  return `${set} ${id}`;
}

/** Lines of a baseline file, comments and blanks dropped. */
export function parseBaseline(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !l.startsWith('#'));
}

export function formatBaseline(lines: Iterable<string>): string {
  return `${[...BASELINE_HEADER, ...[...new Set(lines)].sort()].join('\n')}\n`;
}

export interface BaselineDiff {
  added: string[];
  removed: string[];
}

/**
 * What changed against the baseline, looking only at the sets that ran (`inScope`): lines of the
 * other sets are neither added nor removed.
 */
export function diffBaseline(previous: readonly string[], current: readonly string[], inScope: (line: string) => boolean): BaselineDiff {
  const before = new Set(previous.filter(inScope));
  const now = new Set(current);
  return {
    added: [...now].filter((l) => !before.has(l)).sort(),
    removed: [...before].filter((l) => !now.has(l)).sort(),
  };
}

/** The new baseline: this run's lines for the sets that ran, the previous lines for the others. */
export function mergeBaseline(previous: readonly string[], current: readonly string[], ran: ReadonlySet<string>): string[] {
  return [...previous.filter((l) => !ran.has(lineSet(l))), ...current];
}
