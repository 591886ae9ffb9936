// Where a lockfile entry is written, so SARIF results and CI annotations point at the line a
// reviewer would look at in the pull request diff. Each format writes its keys differently; we
// try the forms in turn and fall back to line 1 (a result must still have a location).
import { LineIndex, type LockEntry } from '../lockfile/types.js';

export class LockfileLocator {
  private readonly lines: LineIndex;
  constructor(text: string) {
    this.lines = new LineIndex(text);
  }

  lineOf(e: Pick<LockEntry, 'key' | 'name' | 'version'>): number {
    const k = e.key;
    const candidates = [
      `"${k}": {`, // package-lock v2/v3 install paths, bun
      `\n  ${k}:`, // pnpm packages / snapshots
      `\n  '${k}':`,
      `\n  "${k}":`,
      `\n${k}:`, // yarn classic / berry
      `\n"${k}":`,
      `\n"${k}`,
      `"${k}"`,
      `${e.name}@${e.version}`,
      `"${e.name}"`,
    ];
    for (const c of candidates) {
      const line = this.lines.lineOf(c);
      // Candidates that start with a newline match at the line after it.
      if (line !== undefined) return c.startsWith('\n') ? line + 1 : line;
    }
    return 1;
  }
}
