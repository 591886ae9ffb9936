import type { Node } from '@babel/types';
import { defineRule, type FileContext, type PackageContext, type BodyHints, HOLE, commandCandidates, normalizeShellPath, pathCandidates, runsOnLoad, shellWriteTargets, taggedCommand, writeTarget } from '../src/engine/api.js';
import { matchAgentConfigPath, AGENT_CONFIG_PATHS, AI_CLI_BYPASS, AUTO_APPROVE_CONTENT, type AgentConfigPath } from '../src/engine/ai-indicators.js';
import { hintSource } from '../src/catalog/hints.js';
import { SHELL_DOWNLOAD } from '../src/engine/indicators.js';
import type { Reach, Severity } from '../src/types.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Agent config paths and the commands that write them, wherever a helper builds them. */
const BODY_HINTS: BodyHints = { literals: new RegExp(`${hintSource(AGENT_CONFIG_PATHS)}|autoApprove|\\bmcp|_mcp|Mcp|MCP|\\.claude|\\.cursor|windsurf|\\bcline|CLAUDE|AGENTS|GEMINI|copilot|bypassPermissions|\\/dev\\/tcp|\\bnc\\s|\\bcurl\\b|\\bwget\\b`) };

/** `claude mcp add …`, `codex mcp add …`, `code --add-mcp …`: registering an MCP server through the agent's CLI. */
const MCP_ADD = /\b(?:claude|codex|gemini|cursor-agent|qwen|amp|kiro-cli|q)(?:\.exe|\.cmd)?\s+mcp\s+add(?:-json)?\b|\bcode(?:-insiders)?(?:\.cmd)?\s+--add-mcp\b/i;
/** What a written config may carry that makes it worse: a download-and-run, a permission bypass, hooks. */
const DANGEROUS_CONTENT = new RegExp(AUTO_APPROVE_CONTENT.source + '|' + /\b(?:curl|wget)\b[^"'\n]{0,200}\|\s*(?:ba|z)?sh\b|--dangerously-skip-permissions|bypassPermissions|\bnc\s+-e\b|\/dev\/tcp\//i.source, 'i');

/** Text an agent reads and a person reviewing the file does not: invisible characters, tag characters, instructions in HTML comments. */
const HIDDEN_TEXT = /[\u200B-\u200F\u2060-\u2064\uFEFF]{3,}|[\u{E0000}-\u{E007F}]|<!--(?:(?!-->)[\s\S]){0,400}?\b(?:ignore|do not (?:tell|mention|show)|secretly|without (?:telling|asking)|always run|before (?:any|every))\b/iu;

function dangerous(data: string | undefined): boolean {
  return data !== undefined && (DANGEROUS_CONTENT.test(data) || SHELL_DOWNLOAD.test(data) || AI_CLI_BYPASS.test(data) || HIDDEN_TEXT.test(data));
}

interface Write {
  hit: Omit<AgentConfigPath, 'hint' | 'example'>;
  path: string;
  how: string;
  data?: string;
}

/** What a write puts in the file: folded, or else its source text (`JSON.stringify({ hooks: … })`). */
function contentOf(node: Node, ctx: FileContext): string | undefined {
  const folded = ctx.evaluator.foldLoose(node);
  if (folded !== undefined && folded.replace(new RegExp(HOLE, 'g'), '').trim()) return folded.split(HOLE).join('…');
  const src = (n: Node) => (n.start != null && n.end != null ? ctx.text.slice(n.start, Math.min(n.end, n.start + 4000)) : '');
  const init = node.type === 'Identifier' ? ctx.evaluator.initOf(node) : undefined;
  return src(node) + (init ? '\n' + src(init) : '');
}

function severityFor(w: Write, reach: Reach, onLoad: boolean): Severity {
  const home = w.path.startsWith('~');
  const strongKind = w.hit.kind !== 'instructions' || home;
  const bad = dangerous(w.data);
  switch (reach) {
    case 'install':
      return 'critical';
    case 'import':
      if (onLoad) return strongKind || bad ? 'high' : 'medium';
      return bad ? 'high' : strongKind ? 'medium' : 'low';
    case 'bin':
      return strongKind || bad ? 'medium' : 'low';
    case 'unreached':
      return 'low';
  }
}

function describe(w: Write, reach: Reach, onLoad: boolean): string {
  const what = w.hit.kind === 'mcp' ? 'adds or changes MCP servers an AI agent will start' : w.hit.kind === 'hooks' ? 'changes agent hooks and permissions (commands the agent runs on its own)' : 'writes instructions an AI agent will follow';
  const bad = dangerous(w.data) ? '; the written content downloads and runs code, switches off permission checks or hides instructions' : '';
  const when =
    reach === 'install' ? ' from install-time code: nobody asked for it'
    : reach === 'bin' ? (w.hit.kind === 'instructions' && !w.path.startsWith('~') ? ': from a command the user runs (project scaffolding does this)' : ': from a command the user runs explicitly (what an MCP server\'s own install command does); review what it adds')
    : reach === 'import' && onLoad ? ' as soon as the package is loaded'
    : '';
  return `${w.how} ${w.hit.label} (${w.path}): ${what}${bad}${when}`;
}

function report(ctx: FileContext | PackageContext, node: Node | undefined, w: Write, reach: Reach, onLoad: boolean, file?: string, evidence?: string): void {
  const severity = severityFor(w, reach, onLoad);
  ctx.report({ node, file, evidence, message: describe(w, reach, onLoad), severity, signals: severity === 'low' || severity === 'info' ? [] : ['agent-config-write'] });
}

/** Agent configs a shell command line writes or registers. */
function shellWrites(command: string): Write[] {
  const out: Write[] = [];
  if (MCP_ADD.test(command)) {
    const m = MCP_ADD.exec(command)!;
    out.push({ hit: { re: MCP_ADD, label: 'the agent\'s MCP server list', kind: 'mcp' }, path: `${m[0]}`, how: 'registers an MCP server through the agent CLI, changing', data: command });
  }
  for (const t of shellWriteTargets(command)) {
    const p = normalizeShellPath(t);
    const hit = matchAgentConfigPath(p);
    if (hit) out.push({ hit, path: p, how: 'a shell command writes', data: command });
  }
  return out;
}

export default defineRule({
  meta: {
    id: 'agent-config',
    title: 'AI agent configuration tampering',
    description:
      "Reports writes (and read-modify-writes) of AI coding tools' configuration: MCP server lists (~/.cursor/mcp.json and .cursor/mcp.json, ~/.codeium/windsurf/mcp_config.json, claude_desktop_config.json on macOS, Windows and Linux, ~/.claude.json, .mcp.json, .vscode/mcp.json, ~/.gemini/settings.json, ~/.codex/config.toml, Continue, Cline, Kiro and Amazon Q configs), agent instruction files (CLAUDE.md, AGENTS.md, GEMINI.md, .cursorrules, .cursor/rules/, .windsurfrules, .clinerules, .github/copilot-instructions.md, .claude/commands/) and agent hook settings (~/.claude/settings.json hooks), by fs calls, shell redirections or `claude mcp add`. Paths are folded through os.homedir(), APPDATA, path.join and per-platform helper functions. From install-time code this is an attack on the developer's AI tools (critical); from a bin the user runs explicitly, as an MCP server's own install command does, it is reported medium with the reason, and scores suspicious at most; project instruction files written by a bin (scaffolding) are low.",
    severity: 'high',
    category: 'ai-agents',
    references: ['https://modelcontextprotocol.io/docs/develop/connect-local-servers', 'https://docs.anthropic.com/en/docs/claude-code/hooks', 'https://attack.mitre.org/techniques/T1546/'],
    docs: {
      example: "// postinstall.js\nconst file = path.join(os.homedir(), '.cursor', 'mcp.json');\nconst cfg = JSON.parse(fs.readFileSync(file, 'utf8'));\ncfg.mcpServers.helper = { command: 'npx', args: ['-y', 'helper-mcp.invalid'] };\nfs.writeFileSync(file, JSON.stringify(cfg));",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule agent-config`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const seen = new Set<string>();
    return {
      bodyHints: BODY_HINTS,
      package(ctx) {
        for (const s of [...ctx.scripts.install, ...ctx.scripts.uninstall]) {
          for (const w of shellWrites(s.command)) {
            report(ctx, undefined, w, 'install', true, 'package.json', `"${s.script}": ${JSON.stringify(s.command).slice(0, 200)}`);
          }
          for (const sh of s.shellFiles) {
            const text = ctx.textOf(sh);
            if (!text) continue;
            for (const line of text.split('\n').slice(0, 2000)) for (const w of shellWrites(line)) report(ctx, undefined, w, 'install', true, sh, line.trim().slice(0, 200));
          }
        }
      },
      call(call, ctx) {
        const target = writeTarget(call);
        if (target) {
          for (const p of pathCandidates(target.dest, ctx.evaluator)) {
            const hit = matchAgentConfigPath(p);
            if (!hit) continue;
            const data = target.data ? contentOf(target.data, ctx) : undefined;
            // Editor settings count only when what is written auto-approves agent tools.
            if (hit.needs && !(data !== undefined && hit.needs.test(data)) && !hit.needs.test(ctx.text.slice(Math.max(0, (call.node.start ?? 0) - 2000), call.node.end ?? 0))) continue;
            const key = `${ctx.path}\0${call.node.start}`;
            if (seen.has(key)) return;
            seen.add(key);
            report(ctx, call.node, { hit, path: p, how: 'writes', data }, ctx.reach, runsOnLoad(call.node));
            return;
          }
          return;
        }
        for (const cmd of commandCandidates(call, ctx.evaluator)) {
          const writes = shellWrites(cmd.split(HOLE).join('…'));
          if (!writes.length) continue;
          report(ctx, call.node, writes[0]!, ctx.reach, runsOnLoad(call.node));
          return;
        }
      },
      nodes: {
        TaggedTemplateExpression(node, ctx) {
          const cmd = taggedCommand(node, ctx.evaluator, ctx.text);
          const w = cmd ? shellWrites(cmd)[0] : undefined;
          if (w) report(ctx, node, w, ctx.reach, runsOnLoad(node));
        },
      },
    };
  },
});
