// Development aid: analyze local .tgz files without the fetcher. Not part of the product.
import fs from 'node:fs';
import { unpackTarball } from '../src/unpack/tarball.js';
import { analyzePackage } from '../src/engine/run/analyze.js';
import { scoreFindings } from '../src/score/score.js';
import { RULES } from '../heuristics/index.js';

for (const file of process.argv.slice(2)) {
  const pkg = await unpackTarball(fs.readFileSync(file));
  const a = analyzePackage(pkg, RULES);
  const s = scoreFindings(a.findings);
  console.log(`\n== ${file.split('/').pop()} score=${s.score} ${s.verdict}`);
  for (const r of s.reasons) console.log('  reason:', r);
  if (process.env.V) for (const f of a.findings) console.log(`   [${f.severity}] ${f.rule} ${f.file}:${f.line} (${f.reach}) ${f.message} ${f.signals?.join(',') ?? ''}`);
}
