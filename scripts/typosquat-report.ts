/**
 * Measures the typosquat check against the popular list itself: every name in data/popular-names.json
 * is checked (with its own download count) against the others, and every name in
 * ../shared/corpus/benign-top300.txt likewise. Prints the count and each flagged name with its target.
 *
 *   npm run build && node dist/scripts/typosquat-report.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTyposquat, formatDownloads, popularIndex } from '../src/registry/typosquat.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = fs.existsSync(path.join(here, '..', 'package.json')) ? path.resolve(here, '..') : path.resolve(here, '..', '..');
const index = popularIndex();
const t0 = performance.now();
const flagged: string[] = [];
for (const name of index.downloads.keys()) {
  const m = findTyposquat(name, index);
  if (m) flagged.push(`${name} (${formatDownloads(index.downloads.get(name)!)}) -> ${m.target} (${formatDownloads(m.targetDownloads)}): ${m.kind}; ${m.detail}`);
}
const ms = performance.now() - t0;
console.log(`${flagged.length} of ${index.downloads.size} popular names get a typosquat finding (${(ms / index.downloads.size).toFixed(2)} ms per name):`);
for (const line of flagged) console.log(`  ${line}`);
const top = path.join(root, '..', 'shared', 'corpus', 'benign-top300.txt');
if (fs.existsSync(top)) {
  const names = fs.readFileSync(top, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  const hits = names.filter((n) => findTyposquat(n, index));
  console.log(`\ntop-300: ${hits.length} of ${names.length} flagged${hits.length ? `: ${hits.join(', ')}` : ''}`);
}
