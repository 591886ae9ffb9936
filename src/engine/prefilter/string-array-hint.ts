/**
 * The cheap text test for an obfuscator.io-style string array (see string-array.ts), on its own so
 * the lazy-body planner can ask it without importing the decoder (and, through it, the walker: that
 * import closed a cycle walk -> estree-to-babel -> fast-parse -> lazy-bodies -> string-array -> walk).
 */
export function mayHaveStringArray(text: string): boolean {
  // The rotation idiom `arr.push(arr.shift())` (or its bracket form) is the tell; cheap to find.
  return /push['"]?\]?\s*\(\s*[\w$]+(?:\.shift|\[\s*['"]shift['"]\s*\])\s*\(\s*\)\s*\)/.test(text) && /\[\s*(?:(['"])(?:[^'"\\\n]|\\.){0,400}\1\s*,\s*){4}/.test(text);
}
