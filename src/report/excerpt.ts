// Code excerpts with context: the lines around a finding, taken from the package's own files
// while they are in memory (after analysis), so a report can show three lines either side and
// mark the match. Bounded: a few findings per package, short lines, text files only.
import type { Finding, PackageFile } from '../types.js';

export const EXCERPT_LIMITS = {
  /** Lines shown either side of the finding's line. */
  radius: 3,
  /** Each line is cut here (minified code is one very long line). */
  lineChars: 240,
  /** Findings per package that get an excerpt (the most important come first). */
  findings: 100,
  /** Files larger than this are not indexed for excerpts. */
  fileBytes: 8 * 1024 * 1024,
} as const;

export interface FindingContext {
  /** Line number of lines[0]. */
  start: number;
  lines: string[];
}

/** Offsets of each line start; computed once per file. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The lines around `line` (1-based) of `text`, or undefined when the file has no such line. */
export function contextAround(text: string, line: number, starts = lineStarts(text), radius: number = EXCERPT_LIMITS.radius): FindingContext | undefined {
  if (!Number.isInteger(line) || line < 1 || line > starts.length) return undefined;
  const first = Math.max(1, line - radius);
  const last = Math.min(starts.length, line + radius);
  const lines: string[] = [];
  for (let n = first; n <= last; n++) {
    const from = starts[n - 1]!;
    const to = n < starts.length ? starts[n]! - 1 : text.length;
    const raw = text.slice(from, Math.min(to, from + EXCERPT_LIMITS.lineChars + 1)).replace(/\r$/, '');
    lines.push(raw.length > EXCERPT_LIMITS.lineChars ? `${raw.slice(0, EXCERPT_LIMITS.lineChars)}…` : raw);
  }
  return { start: first, lines };
}

/**
 * Adds `context` to findings that point at a line of a text file the package holds in full. Pure
 * apart from the findings it returns (new objects; the input is left as is).
 */
export function withContext(findings: readonly Finding[], files: ReadonlyMap<string, PackageFile>): Finding[] {
  const index = new Map<string, { text: string; starts: number[] } | null>();
  let given = 0;
  return findings.map((f) => {
    if (given >= EXCERPT_LIMITS.findings || !f.file || !f.line || f.context) return f;
    let entry = index.get(f.file);
    if (entry === undefined) {
      const file = files.get(f.file);
      const ok = file?.data && !file.partial && file.data.length <= EXCERPT_LIMITS.fileBytes && !file.data.subarray(0, 8000).includes(0);
      entry = ok ? { text: file.data!.toString('utf8'), starts: [] } : null;
      if (entry) entry.starts = lineStarts(entry.text);
      index.set(f.file, entry);
    }
    if (!entry) return f;
    const context = contextAround(entry.text, f.line, entry.starts);
    if (!context) return f;
    given++;
    return { ...f, context };
  });
}
