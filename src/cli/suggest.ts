// "Did you mean": the nearest known word to a mistyped command or option.
import { editDistance } from '../registry/edit-distance.js';

/** The candidate closest to `word` (at most 2 edits, and fewer than half its length), if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const max = Math.min(2, Math.floor((word.length - 1) / 2));
  if (max < 1) return undefined;
  let best: string | undefined;
  let bestD = max + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c, max);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}
