// The HTML report (`--html <file>`): one self-contained page built from the `--json` contract.
// Every string in a report comes from the scanned packages (names, file names, messages, code
// excerpts), so all of it is attacker-controlled: it is escaped, its invisible and bidi characters
// are made visible, and its size is capped so a hostile report cannot make a huge page. The page
// loads nothing (a CSP forbids it) and works without JavaScript (<details> expands findings; the
// script only adds filtering).
import fs from 'node:fs';
import path from 'node:path';
import type { Verdict } from '../types.js';
import type { JsonReport } from './json.js';
import { revealInvisible } from './sanitize.js';

type JsonPackage = JsonReport['packages'][number];

/** A package of the `--json` contract, with the audit's placement fields when it came from an audit. */
export type HtmlPackage = JsonPackage & {
  paths?: readonly string[];
  dev?: boolean;
  optional?: boolean;
  kind?: string;
  aliases?: readonly string[];
  cached?: boolean;
};

/** What produced the report, in the producer's words (e.g. `check` against a base branch). */
export interface ReportContext {
  command: string;
  subtitle?: string;
  notes?: readonly string[];
}

/** JsonReport, AuditJson and any report extending them (the check report) fit this shape. */
export interface HtmlReportInput {
  tool?: { name: string; version: string };
  packages: readonly HtmlPackage[];
  audit?: {
    lockfile: string;
    format: string;
    lockfileVersion: string;
    summary?: { entries?: number; cached?: number; bytes?: number; ms?: number; skippedDev?: number; notFetchedGit?: number };
    notes?: readonly string[];
  };
  context?: ReportContext;
}

export interface HtmlReportOptions {
  title?: string;
  generatedAt?: Date;
}

/**
 * Caps on what one page shows. Strings are cut before escaping (which can grow them sixfold), so
 * the worst case stays in the tens of megabytes; test/html-report.test.ts measures it.
 */
export const HTML_LIMITS = {
  evidenceChars: 2000,
  messageChars: 1000,
  reasonChars: 1500,
  reasonsPerPackage: 10,
  chainSteps: 24,
  /** Package names, versions, sources, file names, rule ids. */
  fieldChars: 256,
  pathChars: 400,
  pathsPerPackage: 10,
  notes: 20,
  findingsPerPackage: 200,
  findingsTotal: 2000,
  /** One package's findings stop at this many characters (200 worst-case findings would be ~8 MB). */
  findingChars: 1_500_000,
  /** Packages shown in full; the rest (and clean ones) go in compact lists. */
  detailedPackages: 500,
  /** Stop rendering packages in full once they take this many characters. */
  detailChars: 4_000_000,
  /** Each compact list (clean packages; flagged ones past the detail limit) stops at this many. */
  compactChars: 4_000_000,
} as const;

const VERDICTS: readonly Verdict[] = ['malicious', 'suspicious', 'error', 'clean'];
const VERDICT_LABEL: Record<Verdict, string> = { malicious: 'malicious', suspicious: 'suspicious', error: 'error', clean: 'clean' };
const VERDICT_HINT: Record<Verdict, string> = {
  malicious: 'evidence of an attack',
  suspicious: 'worth a look',
  error: 'could not be analyzed',
  clean: 'nothing found',
};
// A Map, not an object: a severity of "constructor" must not find Object.prototype's.
const SEV_RANK = new Map<unknown, number>([['critical', 4], ['high', 3], ['medium', 2], ['low', 1], ['info', 0]]);
const sevRank = (s: unknown): number => SEV_RANK.get(s) ?? -1;
const REACH_TEXT = new Map<unknown, string>([
  ['install', 'runs at install'],
  ['import', 'runs on import'],
  ['bin', 'runs as a command (bin)'],
  ['unreached', 'not reached from install scripts, main or bin'],
]);

/** A verdict the page knows; anything else in a (hand-edited, hostile) report is never shown as clean. */
const verdictOf = (v: unknown): Verdict => (VERDICTS.includes(v as Verdict) ? (v as Verdict) : 'error');

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

// Controls, zero-width and bidi characters can hide or reorder what a reader sees (a file name that
// reads "index.js" but is not): show them as ⟨U+XXXX⟩ (the terminal report's sanitizer does the
// same). Newlines and tabs stay in multi-line text.
const reveal = revealInvisible;

/** Cut to `max` UTF-16 units without splitting a surrogate pair; returns the kept part and what was cut. */
function cut(s: string, max: number): { kept: string; dropped: number } {
  if (s.length <= max) return { kept: s, dropped: 0 };
  let end = max;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return { kept: s.slice(0, end), dropped: s.length - end };
}

const str = (value: unknown): string => (typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value));

/** Report data as HTML text: stringified, capped, invisible characters revealed, escaped. */
function text(value: unknown, max: number, multiline = false): string {
  const { kept, dropped } = cut(str(value), max);
  const body = escapeHtml(reveal(kept, multiline));
  return dropped ? `${body}<span class="more">… (${dropped} more characters)</span>` : body;
}

/** A one-line preview: cut with an ellipsis, the full text being shown elsewhere. */
function preview(value: unknown, max: number): string {
  const { kept, dropped } = cut(str(value), max);
  return escapeHtml(reveal(kept, false)) + (dropped ? '…' : '');
}

/** A package name as the filter script's data-name (inside double quotes): cut first, then lower-cased. */
const nameAttr = (value: unknown): string => escapeHtml(reveal(cut(typeof value === 'string' ? value : String(value ?? ''), 128).kept.toLowerCase(), false));

const list = <T>(v: readonly T[] | undefined | null): readonly T[] => (Array.isArray(v) ? v : []);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * "head: a (f.js:1) → b (f.js:2)": the scorer's and the flow rule's path from source to sink.
 * The head ends at the last ": " before the first arrow (steps may hold colons of their own).
 */
export function splitChain(s: string): { head: string; steps: string[] } | undefined {
  const first = s.indexOf(' → ');
  if (first < 0) return undefined;
  const colon = s.lastIndexOf(': ', first);
  return {
    head: colon >= 0 ? s.slice(0, colon) : '',
    steps: s.slice(colon >= 0 ? colon + 2 : 0).split(' → '),
  };
}

/** One step of a chain, its trailing "(file:line)" set apart. */
function chainStep(step: string): string {
  const m = /^(.*) \(([^()]*:\d+)\)$/s.exec(step);
  if (!m) return `<li>${text(step, HTML_LIMITS.reasonChars)}</li>`;
  return `<li>${text(m[1], HTML_LIMITS.reasonChars)} <span class="loc">${text(m[2], HTML_LIMITS.fieldChars)}</span></li>`;
}

function chainSteps(steps: readonly string[]): string {
  const shown = steps.slice(0, HTML_LIMITS.chainSteps).map(chainStep).join('');
  const extra = steps.length > HTML_LIMITS.chainSteps ? `<li class="more">… ${steps.length - HTML_LIMITS.chainSteps} more steps</li>` : '';
  return `<ol class="chain">${shown}${extra}</ol>`;
}

const moreChars = (n: number): string => (n ? `<span class="more">… (${n} more characters)</span>` : '');

/** A reason or a finding message: plain text, or its chain as numbered steps. */
function chainOrText(raw: unknown, max: number): string {
  const s = cut(str(raw), max);
  const chain = splitChain(s.kept);
  if (!chain) return `${text(s.kept, max)}${moreChars(s.dropped)}`;
  return `${chain.head ? `<span class="chain-head">${text(chain.head, max)}</span>` : ''}${chainSteps(chain.steps)}${moreChars(s.dropped)}`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--code:#eff2f5;
--malicious:#c62828;--suspicious:#a35c00;--error:#8e24aa;--clean:#2e7d32;--track:#e3e7eb}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--card:#151b23;--code:#1d232c;
--malicious:#ff7b72;--suspicious:#e3b341;--error:#d2a8ff;--clean:#56d364;--track:#2a313a}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
.wrap{max-width:62rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.25rem 0 .25rem;line-height:1.25}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:0;font-weight:600}
h4{font-size:.8rem;margin:.75rem 0 .25rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
p{margin:.25rem 0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.85em}
pre code{font-size:inherit}
pre{margin:.5rem 0 0;padding:.6rem .75rem;background:var(--code);border-radius:6px;overflow-x:auto;white-space:pre;overflow-wrap:normal;max-width:100%;line-height:1.45}
.muted,.meta{color:var(--muted)}
.meta{font-size:.85rem}
.notes{margin:.5rem 0;padding-left:1.2rem;font-size:.9rem}
.more{color:var(--muted);font-style:italic}
.summary{display:flex;flex-wrap:wrap;gap:1rem 1.5rem;align-items:center;margin:1rem 0;padding:1rem;border:1px solid var(--line);border-radius:10px;background:var(--card)}
.donut{width:9rem;height:9rem;flex:none}
.donut text{fill:var(--fg);font:700 8px system-ui,sans-serif}
.donut .sub{fill:var(--muted);font-weight:400;font-size:3.4px}
.counts{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(min(9.5rem,100%),1fr));gap:.5rem;flex:1 1 16rem;min-width:0}
.count{display:flex;align-items:baseline;gap:.5rem;padding:.4rem .6rem;border-radius:8px;background:var(--bg);border-left:5px solid var(--c);min-width:0}
.count>span:last-child{min-width:0}
.count .n{flex:none;white-space:nowrap;overflow-wrap:normal;word-break:keep-all;font-size:1.5rem;font-weight:700;font-variant-numeric:tabular-nums;color:var(--c)}
.count .hint{display:block;font-size:.75rem;color:var(--muted)}
.total{grid-column:1/-1;font-size:.9rem;color:var(--muted)}
.v-malicious{--c:var(--malicious)}.v-suspicious{--c:var(--suspicious)}.v-error{--c:var(--error)}.v-clean{--c:var(--clean)}
.filters{display:flex;flex-wrap:wrap;gap:.4rem .9rem;align-items:center;margin:.5rem 0 1rem;font-size:.9rem}
.filters label{display:inline-flex;gap:.3rem;align-items:center;white-space:nowrap}
.filters input[type=search]{flex:1 1 12rem;min-width:0;padding:.35rem .5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}
.filters button{font:inherit;padding:.3rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);cursor:pointer}
.pkg{border:1px solid var(--line);border-left:5px solid var(--c);border-radius:8px;padding:.75rem .9rem;margin:0 0 1rem;background:var(--bg);min-width:0}
.pkg-head{display:flex;flex-wrap:wrap;align-items:center;gap:.35rem .6rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;background:var(--c);color:var(--bg);font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.03em}
.score{font-weight:700;font-variant-numeric:tabular-nums}
.score small{font-weight:400;color:var(--muted)}
.ver{color:var(--muted);font-weight:400}
.tag{display:inline-block;padding:0 .4rem;border:1px solid var(--line);border-radius:4px;font-size:.75rem;color:var(--muted)}
.tags{display:inline-flex;flex-wrap:wrap;gap:.25rem}
.error-text{margin:.5rem 0;padding:.4rem .6rem;border-radius:6px;background:var(--card)}
.error-text strong{color:var(--error)}
.reasons{margin:.25rem 0;padding-left:1.2rem}
.reasons>li{margin:.2rem 0}
.chain-head{font-weight:600}
.chain{margin:.25rem 0 .25rem;padding-left:1.6rem}
.chain li{margin:.1rem 0}
.chain li::marker{color:var(--muted)}
.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8em;color:var(--muted);white-space:normal}
.paths{margin:.25rem 0;padding-left:1.2rem;font-size:.9rem}
.finding{border-top:1px solid var(--line);padding:.35rem 0}
.finding>summary{cursor:pointer;display:flex;flex-wrap:wrap;gap:.2rem .5rem;align-items:baseline;list-style:none}
.finding>summary::-webkit-details-marker{display:none}
.finding>summary::before{content:"▸";color:var(--muted);width:.8rem;flex:none}
.finding[open]>summary::before{content:"▾"}
.finding .body{padding:.25rem 0 .25rem 1.3rem;min-width:0}
.sev{font-size:.72rem;font-weight:700;text-transform:uppercase;padding:0 .35rem;border-radius:4px;border:1px solid currentColor;flex:none}
.sev-critical,.sev-high{color:var(--malicious)}.sev-medium{color:var(--suspicious)}.sev-low{color:var(--fg)}.sev-info,.sev-unknown{color:var(--muted)}
.rule{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8rem;color:var(--muted)}
.msg{flex:1 1 14rem;min-width:0}
.fields{margin:.25rem 0;font-size:.85rem;color:var(--muted)}
.compact{border:1px solid var(--line);border-radius:8px;padding:.5rem .9rem;margin:0 0 1rem}
.compact>summary{cursor:pointer;font-weight:600}
.compact ul{list-style:none;margin:.5rem 0 0;padding:0;columns:18rem;column-gap:1.5rem;font-size:.9rem}
.compact li{break-inside:avoid;padding:.1rem 0}
.excerpt .ln{color:var(--muted);user-select:none}
.excerpt .hit{display:inline-block;min-width:100%;background:var(--card)}
.excerpt mark{background:color-mix(in srgb,var(--suspicious) 35%,transparent);color:inherit;border-radius:2px}
.deps ul{list-style:none;margin:0;padding-left:1.1rem;border-left:1px solid var(--line)}
.deps>ul{padding-left:0;border-left:0}
.deps li{margin:.1rem 0}
.deps .flag{font-weight:600}
footer{font-size:.8rem;color:var(--muted);border-top:1px solid var(--line);margin-top:2rem;padding-top:.75rem}
`;

// Data-free: the script reads only the page's own attributes, so no report text ever reaches script context.
const SCRIPT = `
(function () {
  var bar = document.getElementById('filters');
  if (!bar) return;
  bar.hidden = false;
  var boxes = bar.querySelectorAll('input[type=checkbox]');
  var q = document.getElementById('q');
  var items = document.querySelectorAll('[data-pkg]');
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var t = q.value.trim().toLowerCase();
    items.forEach(function (el) {
      el.hidden = !(on[el.getAttribute('data-verdict')] && (!t || el.getAttribute('data-name').indexOf(t) >= 0));
    });
  }
  bar.addEventListener('input', apply);
  bar.addEventListener('change', apply);
  var expand = document.getElementById('expand');
  expand.addEventListener('click', function () {
    var all = document.querySelectorAll('details.finding');
    var open = expand.getAttribute('aria-pressed') !== 'true';
    all.forEach(function (d) { d.open = open; });
    expand.setAttribute('aria-pressed', String(open));
    expand.textContent = open ? 'Collapse findings' : 'Expand findings';
  });
})();
`;

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** Donut of verdict shares; non-zero shares get a visible sliver even beside hundreds of clean ones. */
function donut(counts: Record<Verdict, number>, total: number): string {
  const label = VERDICTS.map((v) => `${counts[v]} ${v}`).join(', ');
  const r = 15.915; // circumference 100: dash lengths are percentages
  const parts: string[] = [`<circle cx="21" cy="21" r="${r}" fill="none" stroke="var(--track)" stroke-width="6"/>`];
  if (total > 0) {
    const raw = VERDICTS.map((v) => (counts[v] ? Math.max(2.5, (counts[v] / total) * 100) : 0));
    const scale = 100 / raw.reduce((a, b) => a + b, 0);
    let offset = 0;
    VERDICTS.forEach((v, i) => {
      const len = raw[i]! * scale;
      if (!len) return;
      parts.push(`<circle class="seg v-${v}" cx="21" cy="21" r="${r}" fill="none" stroke="var(--c)" stroke-width="6" stroke-dasharray="${len.toFixed(3)} ${(100 - len).toFixed(3)}" stroke-dashoffset="${(25 - offset).toFixed(3)}"/>`);
      offset += len;
    });
  }
  parts.push(`<text x="21" y="22.5" text-anchor="middle">${total}</text><text class="sub" x="21" y="27.5" text-anchor="middle">${total === 1 ? 'package' : 'packages'}</text>`);
  return `<svg class="donut" viewBox="0 0 42 42" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title>${parts.join('')}</svg>`;
}

function summarySection(counts: Record<Verdict, number>, total: number): string {
  const tiles = VERDICTS.map(
    (v) =>
      `<li class="count v-${v}" data-verdict="${v}" data-count="${counts[v]}"><span class="n">${counts[v]}</span><span><span class="label">${VERDICT_LABEL[v]}</span><span class="hint">${VERDICT_HINT[v]}</span></span></li>`,
  ).join('');
  return `<section class="summary" aria-label="Verdicts">${donut(counts, total)}<ul class="counts">${tiles}<li class="total" data-total="${total}">${plural(total, 'package')} in this report</li></ul></section>`;
}

function filtersBar(): string {
  const boxes = VERDICTS.map((v) => `<label><input type="checkbox" value="${v}" checked> ${VERDICT_LABEL[v]}</label>`).join('');
  return `<div class="filters" id="filters" hidden>${boxes}<input type="search" id="q" placeholder="Filter by name" aria-label="Filter packages by name"><button type="button" id="expand" aria-pressed="false">Expand findings</button></div>`;
}

const pkgId = (p: HtmlPackage, max: number = HTML_LIMITS.fieldChars): string => {
  const version = typeof p.version === 'string' && p.version ? `<span class="ver">@${text(p.version, max)}</span>` : '';
  return `${text(p.name, max)}${version}`;
};

function tagsOf(p: HtmlPackage): string {
  const tags: string[] = [];
  if (typeof p.dev === 'boolean') tags.push(p.dev ? 'dev' : 'prod');
  if (p.optional) tags.push('optional');
  if (p.cached) tags.push('cached');
  const out = tags.map((t) => `<span class="tag">${t}</span>`);
  if (p.source) out.push(`<span class="tag">${text(p.source, 64)}</span>`);
  return out.length ? `<span class="tags">${out.join('')}</span>` : '';
}

type JsonFinding = JsonPackage['findings'][number];
const SUMMARY_CHARS = 220;

function findingHtml(f: JsonFinding): string {
  const sev = SEV_RANK.has(f.severity) ? (f.severity as string) : 'unknown';
  const msg = str(f.message);
  const { kept, dropped } = cut(msg, HTML_LIMITS.messageChars);
  const chain = splitChain(kept);
  // The summary line carries the message, or a chain's head (what flows where); the body adds
  // what the summary left out: the chain's steps, or the rest of a long message.
  const short = chain?.head || msg;
  const body = chain ? chainSteps(chain.steps) + moreChars(dropped) : short.length > SUMMARY_CHARS ? text(msg, HTML_LIMITS.messageChars) : '';
  const loc = f.file ? `${text(f.file, HTML_LIMITS.fieldChars)}${typeof f.line === 'number' ? `:${f.line}${typeof f.column === 'number' ? `:${f.column}` : ''}` : ''}` : '';
  // The location is in the summary line already; the body says when the code runs.
  const fields = f.reach ? [REACH_TEXT.get(f.reach) ?? `reach: ${text(f.reach, 32)}`] : [];
  return (
    `<details class="finding"><summary><span class="sev sev-${sev}">${text(f.severity, 16)}</span><span class="rule">${text(f.rule, HTML_LIMITS.fieldChars)}</span>` +
    `<span class="msg">${preview(short, SUMMARY_CHARS)}</span>${loc ? `<span class="loc">${loc}</span>` : ''}</summary>` +
    `<div class="body">${body ? `<div class="message">${body}</div>` : ''}` +
    (fields.length ? `<p class="fields">${fields.join(' · ')}</p>` : '') +
    (excerptHtml(f) ??
      (f.evidence !== null && f.evidence !== undefined && f.evidence !== '' ? `<pre class="evidence"><code>${text(f.evidence, HTML_LIMITS.evidenceChars, true)}</code></pre>` : '')) +
    `</div></details>`
  );
}

/**
 * The finding's lines with three either side (when the report carries them), numbered, the finding's
 * line highlighted and the matched text (its evidence, else from its column on) marked. Each line
 * is report data: cut, revealed and escaped like any other text.
 */
function excerptHtml(f: JsonFinding): string | undefined {
  const ctx = (f as { context?: unknown }).context as { start?: unknown; lines?: unknown } | undefined;
  if (!ctx || typeof ctx !== 'object' || typeof ctx.start !== 'number' || !Number.isInteger(ctx.start) || !Array.isArray(ctx.lines) || !ctx.lines.length) return undefined;
  const lines = ctx.lines.slice(0, 7).map((l) => cut(str(l), 400).kept);
  const width = String(ctx.start + lines.length - 1).length;
  const evidence = cut(str(f.evidence).split('\n')[0]!.trim(), 400).kept;
  const rows = lines.map((raw, i) => {
    const n = ctx.start as number + i;
    const num = `<span class="ln">${String(n).padStart(width)}</span> `;
    if (n !== f.line) return `<span class="cl">${num}${escapeHtml(reveal(raw, false))}</span>`;
    let from = evidence ? raw.indexOf(evidence) : -1;
    let to = from >= 0 ? from + evidence.length : -1;
    if (from < 0 && typeof f.column === 'number' && f.column >= 0 && f.column < raw.length) [from, to] = [f.column, raw.length];
    const body = from >= 0 ? `${escapeHtml(reveal(raw.slice(0, from), false))}<mark>${escapeHtml(reveal(raw.slice(from, to), false))}</mark>${escapeHtml(reveal(raw.slice(to), false))}` : escapeHtml(reveal(raw, false));
    return `<span class="cl hit">${num}${body}</span>`;
  });
  return `<pre class="evidence excerpt"><code>${rows.join('\n')}</code></pre>`;
}

/** Findings most severe first; `budget` is what is left of the page-wide cap. */
function findingsHtml(findings: readonly JsonFinding[], budget: { left: number }): string {
  if (!findings.length) return '';
  const sorted = findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => sevRank(b.f?.severity) - sevRank(a.f?.severity) || a.i - b.i)
    .map((x) => x.f)
    .filter((f): f is JsonFinding => !!f && typeof f === 'object');
  const max = Math.min(HTML_LIMITS.findingsPerPackage, budget.left);
  const shown: string[] = [];
  let chars = 0;
  for (const f of sorted) {
    if (shown.length >= max || chars >= HTML_LIMITS.findingChars) break;
    const html = findingHtml(f);
    chars += html.length;
    shown.push(html);
  }
  budget.left -= shown.length;
  const rest = findings.length - shown.length;
  const more = rest ? `<p class="more">${plural(rest, 'more finding')} not shown here (the --json report has all of them)</p>` : '';
  return `<section class="findings"><h4>${plural(findings.length, 'finding')}</h4>${shown.join('')}${more}</section>`;
}

function packageHtml(p: HtmlPackage, index: number, budget: { left: number }): string {
  const verdict = verdictOf(p.verdict);
  // An error result was not scored: a 0 beside it would read as "safe".
  const score = verdict === 'error' ? '' : `<span class="score" title="risk score, 0 to 100">${typeof p.score === 'number' && Number.isFinite(p.score) ? Math.round(p.score) : '?'}<small>/100</small></span>`;
  // An error's first reason usually restates the error itself.
  const reasons = list(p.reasons).filter((r) => !p.error || r !== p.error);
  const paths = list(p.paths);
  const aliases = list(p.aliases);
  const parts: string[] = [
    `<article class="pkg v-${verdict}" id="pkg-${index}" data-pkg data-verdict="${verdict}" data-name="${nameAttr(p.name)}">`,
    `<header class="pkg-head"><span class="badge">${VERDICT_LABEL[verdict]}</span>${score}<h3 class="pkg-id">${pkgId(p)}</h3>${tagsOf(p)}</header>`,
  ];
  if (p.error) parts.push(`<p class="error-text"><strong>Not analyzed:</strong> ${text(p.error, HTML_LIMITS.messageChars)}</p>`);
  if (reasons.length) {
    const items = reasons.slice(0, HTML_LIMITS.reasonsPerPackage).map((r) => `<li>${chainOrText(r, HTML_LIMITS.reasonChars)}</li>`);
    if (reasons.length > HTML_LIMITS.reasonsPerPackage) items.push(`<li class="more">${plural(reasons.length - HTML_LIMITS.reasonsPerPackage, 'more reason')}</li>`);
    parts.push(`<section class="why"><h4>Why</h4><ul class="reasons">${items.join('')}</ul></section>`);
  }
  if (paths.length) {
    const items = paths.slice(0, HTML_LIMITS.pathsPerPackage).map((x) => `<li>${text(x, HTML_LIMITS.pathChars)}</li>`);
    if (paths.length > HTML_LIMITS.pathsPerPackage) items.push(`<li class="more">${plural(paths.length - HTML_LIMITS.pathsPerPackage, 'more path')}</li>`);
    parts.push(`<section class="via"><h4>Pulled in by</h4><ul class="paths">${items.join('')}</ul></section>`);
  }
  if (aliases.length) parts.push(`<p class="fields">installed as ${aliases.slice(0, HTML_LIMITS.pathsPerPackage).map((a) => `<code>${text(a, HTML_LIMITS.fieldChars)}</code>`).join(', ')}</p>`);
  parts.push(findingsHtml(list(p.findings), budget), '</article>');
  return parts.join('');
}

function compactItem(p: HtmlPackage): string {
  const verdict = verdictOf(p.verdict);
  const n = list(p.findings).length;
  const extra = [typeof p.dev === 'boolean' ? (p.dev ? 'dev' : 'prod') : '', p.cached ? 'cached' : '', n ? plural(n, 'finding') : ''].filter(Boolean).join(', ');
  const badge = verdict === 'clean' ? '' : `<span class="badge v-${verdict}">${verdict}</span> `;
  return `<li data-pkg data-verdict="${verdict}" data-name="${nameAttr(p.name)}">${badge}${pkgId(p, 128)}${extra ? ` <span class="muted">(${extra})</span>` : ''}</li>`;
}

function compactList(cls: string, title: string, pkgs: readonly HtmlPackage[], open: boolean): string {
  if (!pkgs.length) return '';
  const items: string[] = [];
  let chars = 0;
  for (const p of pkgs) {
    if (chars >= HTML_LIMITS.compactChars) break;
    const item = compactItem(p);
    chars += item.length;
    items.push(item);
  }
  const rest = pkgs.length - items.length;
  const more = rest ? `<li class="more">${plural(rest, 'more package')} not listed (page size limit; see the --json report)</li>` : '';
  return `<details class="compact ${cls}"${open ? ' open' : ''}><summary>${title}</summary><ul>${items.join('')}${more}</ul></details>`;
}

interface DepNode {
  children: Map<string, DepNode>;
  /** Verdict of a flagged package that ends a path here. */
  flagged?: Verdict;
}

/**
 * Audits: one tree of the paths that pull in the flagged packages, from the project down, so a
 * reader sees which direct dependency brings each one in (and which bring in several). Bounded:
 * paths per package, path depth and nodes in all.
 */
function dependencyTreeHtml(flagged: readonly HtmlPackage[]): string {
  const root: DepNode = { children: new Map() };
  let nodes = 0;
  let cutShort = false;
  for (const p of flagged) {
    for (const raw of list(p.paths).slice(0, HTML_LIMITS.pathsPerPackage)) {
      const steps = cut(str(raw), HTML_LIMITS.pathChars).kept.split(' > ').slice(0, HTML_LIMITS.chainSteps);
      let at = root;
      for (const step of steps) {
        let next = at.children.get(step);
        if (!next) {
          if (nodes >= 2000) {
            cutShort = true;
            break;
          }
          nodes++;
          at.children.set(step, (next = { children: new Map() }));
        }
        at = next;
      }
      if (at !== root) at.flagged = verdictOf(p.verdict);
    }
  }
  if (!root.children.size) return '';
  const render = (n: DepNode): string =>
    `<ul>${[...n.children]
      .map(([name, child]) => {
        const label = child.flagged ? `<span class="flag v-${child.flagged}"><span class="badge">${child.flagged}</span> ${text(name, HTML_LIMITS.fieldChars)}</span>` : text(name, HTML_LIMITS.fieldChars);
        return `<li>${label}${child.children.size ? render(child) : ''}</li>`;
      })
      .join('')}</ul>`;
  const more = cutShort ? `<p class="more">more paths not shown (page size limit; the --json report has every path)</p>` : '';
  return `<details class="compact deps" open><summary>Who pulls them in</summary>${render(root)}${more}</details>`;
}

function headerHtml(report: HtmlReportInput, title: string, generatedAt: Date | undefined): string {
  const out: string[] = [`<h1>${text(title, 300)}</h1>`];
  const tool = report.tool ? `${text(report.tool.name, 64)} ${text(report.tool.version, 64)}` : 'tollgate';
  const when = generatedAt && !Number.isNaN(generatedAt.getTime()) ? ` · generated <time datetime="${generatedAt.toISOString()}">${generatedAt.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>` : '';
  out.push(`<p class="meta">${tool}${when} · static analysis: nothing in these packages was run</p>`);
  const ctx = report.context;
  if (ctx) {
    out.push(`<p class="context"><code>${text(ctx.command, 500)}</code></p>`);
    if (ctx.subtitle) out.push(`<p class="subtitle">${text(ctx.subtitle, 500)}</p>`);
  }
  const a = report.audit;
  if (a) {
    const s = a.summary ?? {};
    const facts = [
      `lockfile <code>${text(a.lockfile, HTML_LIMITS.pathChars)}</code> (${text(a.format, 32)} ${text(a.lockfileVersion, 32)})`,
      typeof s.entries === 'number' ? plural(s.entries, 'entry', 'entries') : '',
      typeof s.cached === 'number' ? `${s.cached} from cache` : '',
      typeof s.bytes === 'number' ? `${(s.bytes / 1e6).toFixed(1)} MB downloaded` : '',
      typeof s.ms === 'number' ? `${(s.ms / 1000).toFixed(1)} s` : '',
      s.skippedDev ? `${s.skippedDev} dev-only entries skipped (--prod)` : '',
    ].filter(Boolean);
    out.push(`<p class="audit">Audit of ${facts.join(' · ')}</p>`);
  }
  const notes = [...list(ctx?.notes), ...list(a?.notes)];
  if (notes.length) {
    const items = notes.slice(0, HTML_LIMITS.notes).map((n) => `<li>${text(n, HTML_LIMITS.messageChars)}</li>`);
    if (notes.length > HTML_LIMITS.notes) items.push(`<li class="more">${plural(notes.length - HTML_LIMITS.notes, 'more note')}</li>`);
    out.push(`<ul class="notes">${items.join('')}</ul>`);
  }
  return `<header>${out.join('')}</header>`;
}

/** The report as one self-contained HTML page. */
export function renderHtmlReport(report: HtmlReportInput, options: HtmlReportOptions = {}): string {
  const packages = list(report.packages);
  const counts: Record<Verdict, number> = { malicious: 0, suspicious: 0, error: 0, clean: 0 };
  for (const p of packages) counts[verdictOf(p?.verdict)]++;
  const total = packages.length;
  const title = options.title ?? (report.audit ? 'Tollgate audit' : report.context ? `Tollgate ${report.context.command}` : 'Tollgate report');

  const flagged = packages.filter((p) => verdictOf(p?.verdict) !== 'clean');
  const clean = packages.filter((p) => verdictOf(p?.verdict) === 'clean');
  const budget = { left: HTML_LIMITS.findingsTotal };
  const detailed: string[] = [];
  let chars = 0;
  let i = 0;
  for (; i < flagged.length && i < HTML_LIMITS.detailedPackages && chars < HTML_LIMITS.detailChars; i++) {
    const html = packageHtml(flagged[i]!, i, budget);
    chars += html.length;
    detailed.push(html);
  }
  const overflow = flagged.slice(i);

  const body: string[] = [
    headerHtml(report, title, options.generatedAt),
    summarySection(counts, total),
    total ? filtersBar() : '',
    flagged.length
      ? `<h2>${plural(flagged.length, 'package')} to look at</h2>`
      : `<h2>Nothing to look at</h2><p>${total ? `Every package scanned clean.` : 'The report holds no packages.'}</p>`,
    flagged.length ? dependencyTreeHtml(flagged) : '',
    ...detailed,
    compactList('overflow', `${plural(overflow.length, 'more package')} to look at, not shown in full (page size limit; the --json report has them)`, overflow, true),
    compactList('clean', `${plural(clean.length, 'clean package')}`, clean, false),
    `<footer>Findings are static evidence from the package files; reasons list the chains that decided each verdict. A package that could not be analyzed is "error", never clean.</footer>`,
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${text(title, 300)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<main class="wrap">${body.join('\n')}</main>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A `--html` path that cannot be written; the message names the file and what to do. */
export class HtmlReportError extends Error {}

/** Checked before a scan or audit starts, so a long run does not end in a write error. */
export function checkHtmlTarget(file: string): void {
  if (!file) throw new HtmlReportError('--html needs a file name, e.g. --html report.html');
  const full = path.resolve(file);
  const dir = path.dirname(full);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new HtmlReportError(`cannot write the HTML report to ${file}: folder ${dir} does not exist; create it or choose another path`);
  }
  if (!st.isDirectory()) throw new HtmlReportError(`cannot write the HTML report to ${file}: ${dir} is not a folder`);
  if (fs.existsSync(full) && fs.statSync(full).isDirectory()) throw new HtmlReportError(`cannot write the HTML report to ${file}: it is a folder; give a file name such as ${path.join(file, 'report.html')}`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new HtmlReportError(`cannot write the HTML report to ${file}: folder ${dir} is not writable; choose another path`);
  }
}

/** Renders and writes the page; returns its size in bytes. */
export function writeHtmlReport(file: string, report: HtmlReportInput, options: HtmlReportOptions = {}): number {
  const html = renderHtmlReport(report, { generatedAt: new Date(), ...options });
  try {
    fs.writeFileSync(file, html);
  } catch (err) {
    throw new HtmlReportError(`could not write the HTML report to ${file}: ${(err as Error).message}; check the path and free space, or drop --html`);
  }
  return Buffer.byteLength(html);
}
