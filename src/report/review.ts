// What a reviewer needs to see by default, and each finding once. Pure functions over findings:
// the human, audit and check reports share them so the three agree on what "worth showing" means.
import type { Finding } from '../types.js';
import { copyStem } from '../score/dedupe.js';

/** Rules whose findings a reviewer reads whatever the verdict: names, and what changed since the last release. */
const ALWAYS_SHOWN = new Set(['install-scripts', 'typosquat', 'dependency-confusion', 'manifest-confusion']);
/** Rules that say what install-time code does (esbuild's install.js downloads its binary). */
const INSTALL_ACTIONS = new Set(['network', 'process-exec', 'dynamic-code', 'credential-files', 'env-access', 'home-writes', 'native-binaries']);

/**
 * Findings a reviewer needs without --verbose, on a clean package too: install scripts and what they
 * run (their code's network, process and file actions), typosquat and dependency-confusion names,
 * and new capabilities since the previous version (release-diff, not its "nothing new" note).
 */
export function isReviewFinding(f: Finding): boolean {
  if (ALWAYS_SHOWN.has(f.rule)) return true;
  if (f.rule === 'release-diff') return f.severity !== 'info';
  return f.reach === 'install' && INSTALL_ACTIONS.has(f.rule);
}

export interface FindingGroup {
  /** The finding shown (the first copy in the input order). */
  finding: Finding;
  /** The same finding in other build copies of the file (src/x.ts for dist/x.js, x.mjs for x.cjs). */
  copies: Finding[];
}

const where = (f: Finding): string => (f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : 'package');

/**
 * Groups identical findings (rule, severity, message) in build copies of one source file: a clean
 * package shipping x.ts, x.js and x.mjs shows one finding "and 2 more copies", not three. Findings in
 * unrelated files stay apart, whatever their text: two files doing the same thing are two places to read.
 */
export function groupCopies(findings: readonly Finding[]): FindingGroup[] {
  const groups: FindingGroup[] = [];
  const byKey = new Map<string, FindingGroup>();
  for (const f of findings) {
    if (!f.file) {
      groups.push({ finding: f, copies: [] });
      continue;
    }
    const key = `${f.rule}\0${f.severity}\0${f.reach ?? ''}\0${stemsIn(f.message)}\0${copyStem(f.file)}`;
    const g = byKey.get(key);
    if (g && g.finding.file !== f.file && !g.copies.some((c) => c.file === f.file)) {
      g.copies.push(f);
      continue;
    }
    if (g) {
      groups.push({ finding: f, copies: [] });
      continue;
    }
    const fresh = { finding: f, copies: [] };
    byKey.set(key, fresh);
    groups.push(fresh);
  }
  return groups;
}

/** "and 2 more copies: dist/cjs/x.js:3, src/x.ts:5" (at most three places named). */
export function copiesText(copies: readonly Finding[]): string {
  if (!copies.length) return '';
  const named = copies.slice(0, 3).map(where).join(', ');
  return `and ${copies.length} more cop${copies.length === 1 ? 'y' : 'ies'}: ${named}${copies.length > 3 ? ', …' : ''}`;
}

/**
 * The message with each file name in it replaced by its copy stem. Word by word, each anchored:
 * a single unanchored `\S+\.js` pass is quadratic on a long run without white space.
 */
function stemsIn(message: string): string {
  return message
    .split(/(\s+)/)
    .map((word) => word.replace(/^\S+\.[cm]?[jt]sx?\b/, (m) => copyStem(m)))
    .join('');
}
