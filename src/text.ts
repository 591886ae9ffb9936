// Small string helpers for text that comes from packages, lockfiles, npm config or registries.
// A regex such as /\/+$/ or /\d+$/ restarts at every character of a long run and is quadratic on
// "////…x" (see test/redos.test.ts); these loops look at each character once.

/** `s` without the trailing characters that are in `chars`. */
export function trimEndChars(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return s.slice(0, end);
}

/** `s` without its trailing slashes (a registry or feed URL). */
export const trimTrailingSlashes = (s: string): string => trimEndChars(s, '/');

/** `s` without its trailing ASCII digits. */
export const trimTrailingDigits = (s: string): string => trimEndChars(s, '0123456789');
