/**
 * Rebuilds data/popular-names.json, the popular-package list the typosquat check compares names
 * against, from ../shared/data/npm-popular-10k.tsv (name<TAB>downloads_a_month, most popular
 * first). Only names and monthly downloads are kept, one name per line so diffs stay readable.
 *
 *   node dist/scripts/build-popular-names.js [path/to/npm-popular-10k.tsv]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Works from scripts/ (tsx, vitest) and from dist/scripts/ (compiled).
const root = fs.existsSync(path.join(here, '..', 'package.json')) ? path.resolve(here, '..') : path.resolve(here, '..', '..');
const input = path.resolve(process.argv[2] ?? path.join(root, '..', 'shared', 'data', 'npm-popular-10k.tsv'));
const output = path.join(root, 'data', 'popular-names.json');

/** Parse the TSV: header line, then `name<TAB>downloads`. Bad lines are an error, not skipped. */
export function parsePopularTsv(text: string): [string, number][] {
  const rows: [string, number][] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const [name, downloads] = line.split('\t');
    const n = Number(downloads);
    if (!name || !Number.isFinite(n)) throw new Error(`${input}:${i + 1}: expected name<TAB>downloads, got ${JSON.stringify(line)}`);
    if (seen.has(name)) return;
    seen.add(name);
    rows.push([name, n]);
  });
  return rows.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function renderPopularJson(rows: readonly [string, number][], source: string): string {
  const lines = rows.map(([name, n], i) => `    ${JSON.stringify(name)}: ${n}${i < rows.length - 1 ? ',' : ''}`);
  return `{\n  "source": ${JSON.stringify(source)},\n  "unit": "downloads a month",\n  "count": ${rows.length},\n  "names": {\n${lines.join('\n')}\n  }\n}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = parsePopularTsv(fs.readFileSync(input, 'utf8'));
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.writeFileSync(output, renderPopularJson(rows, path.basename(input)));
  console.log(`wrote ${rows.length} names to ${path.relative(process.cwd(), output)}`);
}
