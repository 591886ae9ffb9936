import type { Finding, PackageFile, UnpackedPackage } from '../../src/types.js';
import { readManifest } from '../../src/unpack/tarball.js';
import { analyzePackage, type Analysis } from '../../src/engine/run/analyze.js';
import { scoreFindings, type ScoreResult } from '../../src/score/score.js';
import { RULES } from '../../heuristics/index.js';
import type { Rule } from '../../src/engine/run/rule.js';

/** Build an in-memory package from a file map, the way the unpacker would hand it to the engine. */
export function packageFromFiles(files: Record<string, string | Buffer>): UnpackedPackage {
  const map = new Map<string, PackageFile>();
  for (const [path, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    map.set(path, { path, size: data.length, data });
  }
  if (!map.has('package.json')) {
    const data = Buffer.from(JSON.stringify({ name: 'fixture', version: '1.0.0', main: 'index.js' }));
    map.set('package.json', { path: 'package.json', size: data.length, data });
  }
  const { manifest, error, findings } = readManifest(map);
  return { files: map, manifest, manifestError: error, findings: [...findings], stats: { compressedBytes: 0, unpackedBytes: 0, entries: map.size } };
}

export interface Scanned extends Analysis, ScoreResult {
  /** Findings of one rule. */
  of(rule: string): Finding[];
}

/** Analyze and score a package given as files; `rules` narrows the rule set for unit tests. */
export function scanFiles(files: Record<string, string | Buffer>, rules: readonly Rule[] = RULES): Scanned {
  const analysis = analyzePackage(packageFromFiles(files), rules);
  const score = scoreFindings(analysis.findings);
  return { ...analysis, ...score, of: (rule) => analysis.findings.filter((f) => f.rule === rule) };
}

/** A package.json with lifecycle scripts. */
export function manifest(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ name: 'fixture', version: '1.0.0', main: 'index.js', ...extra });
}
