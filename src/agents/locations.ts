// Where AI coding tools keep their MCP servers, hooks and approval settings: one table, so adding a
// tool is one entry. `tollgate agents` reads exactly these files (and the instruction files below),
// and `tollgate agents --help` lists them from this table. Pure data; no I/O.

export type Platform = 'linux' | 'darwin' | 'win32';
export const PLATFORMS: readonly Platform[] = ['linux', 'darwin', 'win32'];

export type ConfigFormat = 'json' | 'jsonc' | 'toml' | 'yaml';

/**
 * Where MCP servers sit in a parsed file: a key path; `*` walks every key of an object (Claude
 * Code's per-project entries). The value found is a map name -> server, or a list of servers with
 * a `name` (Continue).
 */
export type ServerPath = readonly string[];

/** Settings beyond server entries that a file of this kind can hold. */
export type SettingsKind = 'claude-settings' | 'claude-json' | 'vscode-settings' | 'codex';

export interface ConfigLocation {
  /** Relative to the home folder or to the project folder. */
  scope: 'home' | 'project';
  /** `/`-separated; one string for every platform, or one per platform. A last segment `*.ext` lists a folder. */
  path: string | Readonly<Record<Platform, string>>;
  format: ConfigFormat;
  servers: readonly ServerPath[];
  settings?: SettingsKind;
}

export interface AgentTool {
  id: string;
  name: string;
  docs: string;
  configs: readonly ConfigLocation[];
}

/** The per-platform folder of an Electron/VS Code style app's user data, home-relative. */
const appData = (folder: string): Record<Platform, string> => ({
  linux: `.config/${folder}`,
  darwin: `Library/Application Support/${folder}`,
  win32: `AppData/Roaming/${folder}`,
});
const under = (base: Record<Platform, string>, rest: string): Record<Platform, string> => ({
  linux: `${base.linux}/${rest}`,
  darwin: `${base.darwin}/${rest}`,
  win32: `${base.win32}/${rest}`,
});
const VSCODE_USER = appData('Code/User');

export const AGENT_TOOLS: readonly AgentTool[] = [
  {
    id: 'claude-desktop',
    name: 'Claude Desktop',
    docs: 'https://modelcontextprotocol.io/quickstart/user',
    configs: [{ scope: 'home', path: under(appData('Claude'), 'claude_desktop_config.json'), format: 'json', servers: [['mcpServers']] }],
  },
  {
    id: 'claude-code',
    name: 'Claude Code',
    docs: 'https://docs.anthropic.com/en/docs/claude-code/mcp',
    configs: [
      { scope: 'home', path: '.claude.json', format: 'json', servers: [['mcpServers'], ['projects', '*', 'mcpServers']], settings: 'claude-json' },
      { scope: 'project', path: '.mcp.json', format: 'json', servers: [['mcpServers']] },
      { scope: 'home', path: '.claude/settings.json', format: 'json', servers: [], settings: 'claude-settings' },
      { scope: 'project', path: '.claude/settings.json', format: 'json', servers: [], settings: 'claude-settings' },
      { scope: 'project', path: '.claude/settings.local.json', format: 'json', servers: [], settings: 'claude-settings' },
    ],
  },
  {
    id: 'cursor',
    name: 'Cursor',
    docs: 'https://docs.cursor.com/context/model-context-protocol',
    configs: [
      { scope: 'home', path: '.cursor/mcp.json', format: 'json', servers: [['mcpServers']] },
      { scope: 'project', path: '.cursor/mcp.json', format: 'json', servers: [['mcpServers']] },
    ],
  },
  {
    id: 'vscode',
    name: 'VS Code',
    docs: 'https://code.visualstudio.com/docs/copilot/chat/mcp-servers',
    configs: [
      { scope: 'project', path: '.vscode/mcp.json', format: 'jsonc', servers: [['servers']] },
      { scope: 'home', path: under(VSCODE_USER, 'mcp.json'), format: 'jsonc', servers: [['servers']] },
      { scope: 'home', path: under(VSCODE_USER, 'settings.json'), format: 'jsonc', servers: [['mcp', 'servers']], settings: 'vscode-settings' },
      { scope: 'project', path: '.vscode/settings.json', format: 'jsonc', servers: [['mcp', 'servers']], settings: 'vscode-settings' },
    ],
  },
  {
    id: 'windsurf',
    name: 'Windsurf',
    docs: 'https://docs.windsurf.com/windsurf/cascade/mcp',
    configs: [{ scope: 'home', path: '.codeium/windsurf/mcp_config.json', format: 'json', servers: [['mcpServers']] }],
  },
  {
    id: 'gemini-cli',
    name: 'Gemini CLI',
    docs: 'https://github.com/google-gemini/gemini-cli/blob/main/docs/tools/mcp-server.md',
    configs: [
      { scope: 'home', path: '.gemini/settings.json', format: 'json', servers: [['mcpServers']] },
      { scope: 'project', path: '.gemini/settings.json', format: 'json', servers: [['mcpServers']] },
    ],
  },
  {
    id: 'codex',
    name: 'Codex',
    docs: 'https://github.com/openai/codex/blob/main/docs/config.md',
    configs: [
      { scope: 'home', path: '.codex/config.toml', format: 'toml', servers: [['mcp_servers']], settings: 'codex' },
      { scope: 'project', path: '.codex/config.toml', format: 'toml', servers: [['mcp_servers']], settings: 'codex' },
    ],
  },
  {
    id: 'zed',
    name: 'Zed',
    docs: 'https://zed.dev/docs/ai/mcp',
    configs: [
      { scope: 'home', path: { linux: '.config/zed/settings.json', darwin: '.config/zed/settings.json', win32: 'AppData/Roaming/Zed/settings.json' }, format: 'jsonc', servers: [['context_servers']] },
      { scope: 'project', path: '.zed/settings.json', format: 'jsonc', servers: [['context_servers']] },
    ],
  },
  {
    id: 'cline',
    name: 'Cline',
    docs: 'https://docs.cline.bot/mcp/configuring-mcp-servers',
    configs: [{ scope: 'home', path: under(VSCODE_USER, 'globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json'), format: 'json', servers: [['mcpServers']] }],
  },
  {
    id: 'continue',
    name: 'Continue',
    docs: 'https://docs.continue.dev/customize/deep-dives/mcp',
    configs: [
      { scope: 'home', path: '.continue/config.yaml', format: 'yaml', servers: [['mcpServers']] },
      { scope: 'home', path: '.continue/config.json', format: 'json', servers: [['experimental', 'modelContextProtocolServers']] },
      // Block files: YAML with an mcpServers list, or JSON copied from Claude, Cursor or Cline.
      { scope: 'home', path: '.continue/mcpServers/*.yaml', format: 'yaml', servers: [['mcpServers']] },
      { scope: 'home', path: '.continue/mcpServers/*.json', format: 'json', servers: [['mcpServers']] },
      { scope: 'project', path: '.continue/mcpServers/*.yaml', format: 'yaml', servers: [['mcpServers']] },
      { scope: 'project', path: '.continue/mcpServers/*.json', format: 'json', servers: [['mcpServers']] },
    ],
  },
];

/** Agent instruction files: read by agents as instructions, checked for prompt injection. */
export interface InstructionLocation {
  scope: 'home' | 'project';
  /** `/`-separated; a last segment `*` lists a folder. */
  path: string;
}

const project = (path: string): InstructionLocation => ({ scope: 'project', path });
const home = (path: string): InstructionLocation => ({ scope: 'home', path });

export const INSTRUCTION_FILES: readonly InstructionLocation[] = [
  ...['CLAUDE.md', 'CLAUDE.local.md', '.claude/CLAUDE.md', 'AGENTS.md', 'GEMINI.md', '.cursorrules', '.cursor/rules/*', '.github/copilot-instructions.md', '.windsurfrules', '.clinerules'].map(project),
  // Instructions every session of the tool reads, whatever the project.
  ...['.claude/CLAUDE.md', '.codex/AGENTS.md', '.gemini/GEMINI.md'].map(home),
];

export function pathFor(loc: ConfigLocation, platform: Platform): string {
  return typeof loc.path === 'string' ? loc.path : loc.path[platform];
}

/** The `Files read` section of `tollgate agents --help`, generated from the table. */
export function locationsHelp(): string {
  const lines: string[] = [];
  for (const tool of AGENT_TOOLS) {
    lines.push(`  ${tool.name} (${tool.docs})`);
    for (const loc of tool.configs) {
      const where = (p: string) => (loc.scope === 'home' ? `~/${p}` : `<project>/${p}`);
      if (typeof loc.path === 'string') lines.push(`    ${where(loc.path)}`);
      else for (const p of PLATFORMS) lines.push(`    ${`${p}:`.padEnd(8)}${where(loc.path[p])}`);
    }
  }
  lines.push('  Agent instruction files (prompt-injection rule)');
  for (const f of INSTRUCTION_FILES) lines.push(`    ${f.scope === 'home' ? '~' : '<project>'}/${f.path}`);
  lines.push('  ~ is the home folder (--home; %USERPROFILE% on Windows); a path without a platform is the same on every platform.');
  return lines.join('\n');
}
