// What a parsed agent config holds besides its server map: server entries normalized across tools,
// and the settings that run code or skip the user's approval (Claude Code hooks and permissions,
// VS Code's chat.tools.*autoApprove, Codex's approval policy). Pure functions over parsed data.
import { SHELL_DOWNLOAD } from '../engine/indicators.js';
import type { ServerPath, SettingsKind } from './locations.js';
import { AGENT_RULES, hiddenOrTempPath, type AgentFinding, type ServerEntry } from './launch.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.slice(0, 500).map((a) => (typeof a === 'string' ? a : JSON.stringify(a) ?? '')) : []);
const keyPart = (k: string): string => (/^[A-Za-z_$][\w$-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

/** At most this many servers per file: a config is hostile input too. */
const MAX_SERVERS = 500;

/** Normalize one server value (the shapes of every tool in locations.ts) into a ServerEntry. */
function toEntry(tool: string, file: string, key: string, name: string, v: Obj): ServerEntry {
  // Continue's config.json nests the launch in `transport`; Zed's older form nests it in `command`.
  const t = isObj(v.transport) ? v.transport : v;
  const nested = isObj(t.command) ? t.command : undefined;
  const command = str(nested?.path) ?? str(t.command);
  const args = strings(nested?.args ?? t.args);
  const env = isObj(nested?.env) ? nested.env : isObj(t.env) ? t.env : {};
  const headers = isObj(t.headers) ? t.headers : isObj(t.requestInit) && isObj(t.requestInit.headers) ? t.requestInit.headers : {};
  const url = str(t.url) ?? str(t.serverUrl) ?? str(t.httpUrl);
  let autoApprove: string | undefined;
  if (v.trust === true) autoApprove = 'every tool of this server (trust: true)';
  else {
    const listed = [...strings(v.autoApprove), ...strings(v.alwaysAllow)];
    if (listed.length) autoApprove = listed.slice(0, 10).join(', ');
  }
  return { tool, file, key, name, command, args, env, headers, url, autoApprove };
}

/** Every server entry at the location's server paths (`*` walks all keys of an object). */
export function serverEntries(tool: string, file: string, parsed: unknown, paths: readonly ServerPath[]): ServerEntry[] {
  const out: ServerEntry[] = [];
  const visit = (node: unknown, path: readonly string[], key: string): void => {
    if (out.length >= MAX_SERVERS) return;
    if (path.length === 0) {
      if (Array.isArray(node)) {
        node.slice(0, MAX_SERVERS).forEach((v, i) => isObj(v) && out.push(toEntry(tool, file, `${key}[${i}]`, str(v.name) ?? String(i), v)));
      } else if (isObj(node)) {
        for (const [name, v] of Object.entries(node)) if (isObj(v) && out.length < MAX_SERVERS) out.push(toEntry(tool, file, key + keyPart(name), name, v));
      }
      return;
    }
    if (!isObj(node)) return;
    const [head, ...rest] = path as [string, ...string[]];
    if (head === '*') for (const [k, v] of Object.entries(node)) visit(v, rest, key + keyPart(k));
    else visit(node[head], rest, key + keyPart(head));
  };
  for (const p of paths) visit(parsed, p, '');
  for (const e of out) e.key = e.key.replace(/^\./, '');
  return out;
}

/** A hook or helper command: what makes it worth a look. */
function commandFindings(command: string, what: string, file: string, key: string, project: boolean): AgentFinding[] {
  const out: AgentFinding[] = [];
  if (SHELL_DOWNLOAD.test(command) || /\b(?:curl|wget|iwr|irm|Invoke-WebRequest)\b/i.test(command)) {
    out.push({ rule: AGENT_RULES.hook, severity: SHELL_DOWNLOAD.test(command) ? 'critical' : 'high', message: `${what} runs a script downloaded from the network`, file, key });
  }
  const hidden = hiddenOrTempPath(command);
  if (hidden) out.push({ rule: AGENT_RULES.hook, severity: 'high', message: `${what} runs a script in a ${hidden.temp ? 'temporary' : 'hidden'} folder (${hidden.path.slice(0, 120)})`, file, key });
  // A hook committed to a repository runs for everyone who opens it with the agent: worth a look.
  if (!out.length) out.push({ rule: AGENT_RULES.hook, severity: project ? 'low' : 'info', message: `${what} runs \`${command.slice(0, 120)}\`${project ? ' (committed to the project: it runs for everyone who opens it)' : ''}`, file, key });
  return out;
}

function claudeSettings(parsed: Obj, file: string, project: boolean): AgentFinding[] {
  const out: AgentFinding[] = [];
  if (isObj(parsed.hooks)) {
    for (const [event, groups] of Object.entries(parsed.hooks)) {
      if (!Array.isArray(groups)) continue;
      groups.slice(0, 100).forEach((g, i) => {
        if (!isObj(g) || !Array.isArray(g.hooks)) return;
        g.hooks.slice(0, 100).forEach((h, j) => {
          const command = isObj(h) ? str(h.command) : undefined;
          if (command) out.push(...commandFindings(command, `a ${event} hook`, file, `hooks${keyPart(event)}[${i}].hooks[${j}].command`, project));
        });
      });
    }
  }
  for (const helper of ['apiKeyHelper', 'awsCredentialExport', 'awsAuthRefresh'] as const) {
    const command = str(parsed[helper]);
    if (command) out.push(...commandFindings(command, helper, file, helper, project).filter((f) => f.severity !== 'info'));
  }
  const permissions = isObj(parsed.permissions) ? parsed.permissions : {};
  if (permissions.defaultMode === 'bypassPermissions') out.push({ rule: AGENT_RULES.autoApprove, severity: 'medium', message: 'permissions.defaultMode is bypassPermissions: every tool call runs without asking', file, key: 'permissions.defaultMode' });
  const broad = strings(permissions.allow).filter((p) => /^(?:Bash|Bash\(\*\)|Bash\(:\*\)|mcp__.*__\*|\*)$/.test(p.trim()));
  if (broad.length) out.push({ rule: AGENT_RULES.autoApprove, severity: 'medium', message: `permissions.allow approves every call of: ${broad.join(', ')}`, file, key: 'permissions.allow' });
  out.push(...mcpJsonApproval(parsed, file, ''));
  return out;
}

function mcpJsonApproval(o: Obj, file: string, prefix: string): AgentFinding[] {
  if (o.enableAllProjectMcpServers !== true) return [];
  return [{ rule: AGENT_RULES.autoApprove, severity: 'medium', message: 'enableAllProjectMcpServers: every server a project .mcp.json declares starts without asking', file, key: `${prefix}enableAllProjectMcpServers` }];
}

function claudeJson(parsed: Obj, file: string): AgentFinding[] {
  const out = mcpJsonApproval(parsed, file, '');
  if (isObj(parsed.projects)) for (const [p, v] of Object.entries(parsed.projects).slice(0, 2000)) if (isObj(v)) out.push(...mcpJsonApproval(v, file, `projects${keyPart(p)}.`));
  return out;
}

function vscodeSettings(parsed: Obj, file: string): AgentFinding[] {
  const out: AgentFinding[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    if (!/^chat\.tools\.(?:[\w.]+\.)?autoApprove$/i.test(k)) continue;
    if (v === true) out.push({ rule: AGENT_RULES.autoApprove, severity: 'medium', message: `${k} is true: tool calls run without asking`, file, key: k });
    else if (isObj(v)) {
      const on = Object.entries(v).filter(([, x]) => x === true || (isObj(x) && x.approve === true)).map(([name]) => name);
      if (on.length) out.push({ rule: AGENT_RULES.autoApprove, severity: 'low', message: `${k} approves without asking: ${on.slice(0, 10).join(', ')}`, file, key: k });
    }
  }
  return out;
}

function codexSettings(parsed: Obj, file: string): AgentFinding[] {
  const out: AgentFinding[] = [];
  if (parsed.approval_policy === 'never') out.push({ rule: AGENT_RULES.autoApprove, severity: 'medium', message: 'approval_policy = "never": commands run without asking', file, key: 'approval_policy' });
  if (parsed.sandbox_mode === 'danger-full-access') out.push({ rule: AGENT_RULES.autoApprove, severity: 'medium', message: 'sandbox_mode = "danger-full-access": commands run without the sandbox', file, key: 'sandbox_mode' });
  return out;
}

/** Findings of the settings a file of this kind holds. */
export function settingsFindings(kind: SettingsKind | undefined, parsed: unknown, file: string, scope: 'home' | 'project'): AgentFinding[] {
  if (!kind || !isObj(parsed)) return [];
  switch (kind) {
    case 'claude-settings':
      return claudeSettings(parsed, file, scope === 'project');
    case 'claude-json':
      return claudeJson(parsed, file);
    case 'vscode-settings':
      return vscodeSettings(parsed, file);
    case 'codex':
      return codexSettings(parsed, file);
  }
}
