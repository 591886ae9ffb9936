// The human report of `tollgate agents`: one table per tool (server, verdict, score, pin, top
// reason), then settings findings, instruction files and unreadable configs. Pure.
import { safeLine as t } from '../report/sanitize.js';
import { painter, type Style } from '../report/style.js';
import type { Verdict } from '../types.js';
import type { AgentsResult } from './audit.js';
import { AGENT_RULES, type AgentFinding } from './launch.js';

const VERDICT_STYLE: Record<Verdict, Style> = { malicious: 'red', suspicious: 'yellow', clean: 'green', error: 'magenta' };

export interface RenderAgentsOptions {
  color: boolean;
  verbose: boolean;
}

// Config files and packages are the user's to read but not to trust: every string from them goes
// through t() (report/sanitize.ts), so no control character or ESC sequence reaches the terminal.
const one = (s: string, max: number): string => {
  const flat = t(s.replace(/\s+/g, ' '));
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
};

export function renderAgents(r: AgentsResult, o: RenderAgentsOptions): string {
  const c = painter(o.color);
  const verdict = (v: Verdict) => c(VERDICT_STYLE[v], c('bold', v.toUpperCase().padEnd(10)));
  const lines: string[] = [];
  const finding = (f: AgentFinding) => `    ${f.severity.padEnd(8)} ${t(f.message)}${c('gray', `  ${t(f.file)}${f.key ? ` ${t(f.key)}` : ''}`)}`;

  const tools = [...new Set(r.agents.servers.map((s) => s.tool))];
  for (const tool of tools) {
    const servers = r.agents.servers.filter((s) => s.tool === tool);
    lines.push(c('bold', `${tool}`));
    const width = Math.min(24, Math.max(6, ...servers.map((s) => s.name.length)));
    lines.push(c('gray', `  ${'SERVER'.padEnd(width)}  VERDICT    SCORE  PIN       PACKAGE / LAUNCH`));
    for (const s of servers) {
      const pin = s.package ? (s.pinned ? 'pinned' : 'UNPINNED') : s.launcher === 'remote' ? 'remote' : '-';
      const what = s.package ? `${s.package}@${s.version ?? s.requested ?? '?'}${s.pinned ? '' : ` (${s.launcher} ${s.requested ?? ''})`}` : s.command || s.launcher;
      lines.push(`  ${one(s.name, width).padEnd(width)}  ${verdict(s.verdict)} ${String(s.score).padStart(5)}  ${pin.padEnd(8)}  ${one(what, 70)}`);
      const why = !!s.reason && (s.verdict !== 'clean' || o.verbose);
      if (why) lines.push(`    ${c('bold', 'why:')} ${one(s.reason ?? '', 160)}`);
      lines.push(c('gray', `    ${t(s.file)} ${t(s.key)}`));
      // The PIN column already says unpinned; other findings of a clean entry (secrets, approvals) still show.
      const notes = o.verbose ? s.findings : s.findings.filter((f) => f.severity !== 'info' && f.rule !== AGENT_RULES.unpinned && !(why && f.message === s.reason));
      for (const f of notes) lines.push(`    ${f.severity.padEnd(8)} ${one(f.message, 160)}`);
    }
    lines.push('');
  }

  const settings = r.agents.findings.filter((f) => o.verbose || f.severity !== 'info');
  const hooks = r.agents.findings.filter((f) => f.severity === 'info');
  if (settings.length || hooks.length) {
    lines.push(c('bold', 'Hooks and approval settings'));
    for (const f of settings) lines.push(finding(f));
    if (!o.verbose && hooks.length) lines.push(c('gray', `    ${hooks.length} other hook${hooks.length === 1 ? '' : 's'} (--verbose lists them)`));
    lines.push('');
  }
  if (r.agents.instructions.length) {
    lines.push(c('bold', 'Agent instruction files'));
    for (const i of r.agents.instructions) {
      lines.push(`  ${verdict(i.verdict)} ${String(i.score).padStart(3)}  ${t(i.file)}`);
      if (i.error) lines.push(`    error: ${t(i.error)}`);
      for (const f of i.findings) lines.push(`    ${f.severity.padEnd(8)} ${one(f.message, 160)}${f.line ? c('gray', `  line ${f.line}`) : ''}`);
    }
    lines.push('');
  }
  const errors = r.agents.configs.filter((x) => x.error);
  for (const e of errors) lines.push(`${verdict('error')} ${t(e.error)}`);
  if (errors.length) lines.push('');

  const count = (v: Verdict) => r.agents.servers.filter((s) => s.verdict === v).length;
  const read = r.agents.configs.length - errors.length;
  lines.push(
    `${read} config${read === 1 ? '' : 's'} read${errors.length ? `, ${errors.length} unreadable` : ''}; ${r.agents.servers.length} MCP server${r.agents.servers.length === 1 ? '' : 's'}: ` +
      `${c('red', `${count('malicious')} malicious`)}, ${c('yellow', `${count('suspicious')} suspicious`)}, ${c('green', `${count('clean')} clean`)}` +
      `${count('error') ? `, ${c('magenta', `${count('error')} could not be scanned`)}` : ''}; ${r.packages.length} package${r.packages.length === 1 ? '' : 's'} scanned`,
  );
  return lines.join('\n');
}

/** `--fix-pins`: each unpinned npm launch, with the line to paste. Printed, never written. */
export function renderFixPins(r: AgentsResult): string {
  const lines: string[] = [];
  for (const s of r.agents.servers) {
    if (!s.pinnedCommand) continue;
    lines.push(`# ${s.tool}: ${t(s.file)} ${t(s.key)} (${s.verdict}${s.verdict === 'clean' ? '' : ': review before pinning'})`, t(s.pinnedCommand), '');
  }
  if (!lines.length) lines.push('# every npm launch is pinned (or none could be resolved)');
  return lines.join('\n');
}
