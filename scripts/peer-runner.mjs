// Peer side of `npm run bench`: runs @nodesecure/js-x-ray over the same JS sources Tollgate measured.
//
// Started by scripts/bench.ts with the Node binary js-x-ray needs (Node 24 for js-x-ray 16.x):
//   node peer-runner.mjs <js-x-ray package folder> <blob file> <index.json>
// The sources arrive as one binary blob plus a JSON index of {pkg, file, offset, length} slices, so
// no package file is ever written to disk in a layout anything could load. Nothing here executes them.
//
// Protocol (one JSON object per line on stdout):
//   start            -> {"ready":true, "version", "node", "files", "bytes"}
//   stdin "run\n"    -> {"bytes", "ms", "files", "errors", "perFileMaxMs", "perFileMaxFile", "warnings", "perFileMs"?}
//   stdin "exit\n"   -> process exits
// The process stays up between rounds so both tools get the same warm-up profile (Tollgate runs
// in the long-lived bench process too).
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const [pkgDir, blobPath, indexPath] = process.argv.slice(2);
if (!pkgDir || !blobPath || !indexPath) {
  process.stderr.write('usage: peer-runner.mjs <js-x-ray package folder> <blob> <index.json>\n');
  process.exit(2);
}

const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const version = manifest.version;
/** The ESM (or CJS) entry point from the package's exports map, whichever this version has. */
function entryOf(m) {
  let e = m.exports;
  if (e && typeof e === 'object' && '.' in e) e = e['.'];
  while (e && typeof e === 'object') e = e.import ?? e.node ?? e.default ?? e.require;
  return typeof e === 'string' ? e : (m.main ?? 'index.js');
}
const xray = await import(pathToFileURL(path.join(pkgDir, entryOf(manifest))).href);

const blob = fs.readFileSync(blobPath);
/** @type {{pkg: string, file: string, offset: number, length: number}[]} */
const index = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
const totalBytes = index.reduce((n, e) => n + e.length, 0);

// The strongest configuration: every default probe plus every optional warning.
const analyser = new xray.AstAnalyser({ optionalWarnings: true });

function round(withPerFile) {
  let errors = 0;
  let warnings = 0;
  let perFileMaxMs = 0;
  let perFileMaxFile = '';
  const perFileMs = withPerFile ? new Array(index.length) : undefined;
  const started = performance.now();
  for (let i = 0; i < index.length; i++) {
    const e = index[i];
    const t0 = performance.now();
    // Decoding is inside the timed region, as Tollgate's Buffer->string decode is inside its own.
    const source = blob.toString('utf8', e.offset, e.offset + e.length);
    try {
      const report = analyser.analyse(source, { location: path.posix.dirname(e.file), packageName: e.pkg });
      warnings += report.warnings.length;
    } catch {
      errors++;
    }
    const ms = performance.now() - t0;
    if (perFileMs) perFileMs[i] = ms;
    if (ms > perFileMaxMs) {
      perFileMaxMs = ms;
      perFileMaxFile = `${e.pkg}/${e.file}`;
    }
  }
  const ms = performance.now() - started;
  return { bytes: totalBytes, ms, files: index.length, errors, perFileMaxMs, perFileMaxFile, warnings, perFileMs };
}

process.stdout.write(JSON.stringify({ ready: true, version, node: process.version, files: index.length, bytes: totalBytes }) + '\n');

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  const cmd = line.trim();
  if (cmd === 'exit') break;
  if (cmd === 'run' || cmd === 'run+perfile') {
    process.stdout.write(JSON.stringify(round(cmd === 'run+perfile')) + '\n');
  }
}
process.exit(0);
