import { type FileContext, measureInvisible, PAYLOAD_RUN, type InvisibleKind } from '../src/engine/api.js';

/**
 * The obfuscation rule's measure of invisible code (issue 18): variation selectors, tag
 * characters, private-use and filler characters in a file that ordinary text does not explain
 * (src/engine/prefilter/invisible.ts). Kept apart from obfuscation.ts so the rule only calls it.
 *
 * A payload-sized run outside comments is how GlassWorm-style loaders hide code (one byte per
 * selector, decoded by code point arithmetic, which the interpreter folds); invisible characters
 * inside names make two identifiers look alike; in comments they are hidden text, reported lower.
 */
const KIND_NAMES: Record<InvisibleKind, string> = {
  'variation-selector': 'variation selectors',
  tag: 'tag characters',
  'private-use': 'private-use characters',
  'zero-width': 'zero-width characters',
  filler: 'invisible fillers',
};

export function reportInvisibleCode(ctx: FileContext): void {
  const m = measureInvisible(ctx.text);
  if (!m) return;
  const kinds = Object.entries(m.kinds)
    .map(([k, n]) => `${n} ${KIND_NAMES[k as InvisibleKind]}`)
    .join(', ');
  const where = Object.entries(m.places)
    .map(([p, n]) => `${n} in ${p === 'code' ? 'bare code' : p === 'identifier' ? 'identifiers' : p === 'string' ? 'string literals' : 'comments'}`)
    .join(', ');
  const payload = m.longestRun >= PAYLOAD_RUN && m.longest.place !== 'comment';
  const severity = payload ? 'high' : m.places.identifier ? 'medium' : 'low';
  const what = payload ? 'a hidden payload: ' : m.places.identifier ? 'look-alike identifiers: ' : '';
  ctx.report({
    line: m.longest.line,
    column: m.longest.column,
    message: `invisible code points, ${what}${kinds} (${where}); longest run ${m.longestRun} in ${m.longest.place === 'identifier' ? 'an identifier' : m.longest.place === 'string' ? 'a string literal' : m.longest.place === 'comment' ? 'a comment' : 'bare code'}`,
    severity,
    signals: ['obfuscation'],
    evidence: `${m.count} invisible code points from line ${m.longest.line}`,
  });
}
