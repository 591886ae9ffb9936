/**
 * Indicators for threats aimed at AI tooling: AI provider keys and the hosts they belong to, AI
 * tools' credential files, agent configuration files (MCP configs, instruction files, hook
 * settings), AI coding CLIs and the flags that switch off their permission prompts. Shared by the
 * flow engine (AI keys as a source kind) and the rules in heuristics/. Lists stay specific: a
 * broad pattern here becomes a false positive in every SDK.
 */
import { hintRegex, hintSource, type Hinted } from '../catalog/hints.js';

export interface AiProvider {
  name: string;
  /** Hosts where this provider's keys belong (matched against a lower-case host name). */
  hosts: RegExp;
}

export const AI_PROVIDERS: Record<string, AiProvider> = {
  anthropic: { name: 'Anthropic', hosts: /(?:^|\.)(?:anthropic\.com|claude\.ai)$/ },
  openai: { name: 'OpenAI', hosts: /(?:^|\.)openai\.com$/ },
  'azure-openai': { name: 'Azure OpenAI', hosts: /\.(?:openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com|azure-api\.net|inference\.ai\.azure\.com)$/ },
  google: { name: 'Google AI', hosts: /(?:^|\.)googleapis\.com$/ },
  mistral: { name: 'Mistral', hosts: /(?:^|\.)mistral\.ai$/ },
  cohere: { name: 'Cohere', hosts: /(?:^|\.)cohere\.(?:com|ai)$/ },
  groq: { name: 'Groq', hosts: /(?:^|\.)groq\.com$/ },
  huggingface: { name: 'Hugging Face', hosts: /(?:^|\.)(?:huggingface\.co|hf\.co|hf\.space)$/ },
  deepseek: { name: 'DeepSeek', hosts: /(?:^|\.)deepseek\.com$/ },
  xai: { name: 'xAI', hosts: /(?:^|\.)x\.ai$/ },
  openrouter: { name: 'OpenRouter', hosts: /(?:^|\.)openrouter\.ai$/ },
  bedrock: { name: 'Amazon Bedrock', hosts: /(?:^|\.)amazonaws\.com$/ },
  together: { name: 'Together AI', hosts: /(?:^|\.)together\.(?:xyz|ai)$/ },
  fireworks: { name: 'Fireworks AI', hosts: /(?:^|\.)fireworks\.ai$/ },
  perplexity: { name: 'Perplexity', hosts: /(?:^|\.)perplexity\.ai$/ },
  replicate: { name: 'Replicate', hosts: /(?:^|\.)replicate\.(?:com|delivery)$/ },
  cerebras: { name: 'Cerebras', hosts: /(?:^|\.)cerebras\.ai$/ },
  voyage: { name: 'Voyage AI', hosts: /(?:^|\.)voyageai\.com$/ },
  elevenlabs: { name: 'ElevenLabs', hosts: /(?:^|\.)elevenlabs\.io$/ },
  ai21: { name: 'AI21', hosts: /(?:^|\.)ai21\.com$/ },
  ollama: { name: 'Ollama', hosts: /(?:^|\.)ollama\.com$|^(?:localhost|127\.0\.0\.1)$/ },
};

/** An environment variable that holds an AI provider's key: its name pattern, and the word every such name holds. */
export interface AiKeyName extends Hinted {
  re: RegExp;
  provider: string;
}

/** Environment variable names of AI provider keys, by provider (order matters: Azure before OpenAI). */
export const AI_KEY_ENV: AiKeyName[] = [
  { re: /^(?:ANTHROPIC|CLAUDE)_(?:API_KEY|AUTH_TOKEN|ADMIN_(?:API_)?KEY|KEY)$|^CLAUDE_CODE_OAUTH_TOKEN$/, hint: /ANTHROPIC|CLAUDE/, provider: 'anthropic', example: 'ANTHROPIC_API_KEY' },
  { re: /^AZURE_OPENAI_(?:API_)?KEY$|^AZURE_(?:AI|INFERENCE)_(?:API_)?KEY$/, hint: /AZURE_/, provider: 'azure-openai', example: 'AZURE_OPENAI_API_KEY' },
  { re: /^OPENAI_(?:API_KEY|ADMIN_KEY|KEY)$/, hint: /OPENAI/, provider: 'openai', example: 'OPENAI_API_KEY' },
  { re: /^(?:GEMINI_API_KEY|GOOGLE_API_KEY|GOOGLE_GENERATIVE_AI_API_KEY|GOOGLE_GENAI_API_KEY|GOOGLE_AI_API_KEY|VERTEX_API_KEY|PALM_API_KEY)$/, hint: /GEMINI|GOOGLE|VERTEX|PALM/, provider: 'google', example: 'GEMINI_API_KEY' },
  { re: /^MISTRAL_API_KEY$/, hint: /MISTRAL/, provider: 'mistral', example: 'MISTRAL_API_KEY' },
  { re: /^(?:COHERE_API_KEY|CO_API_KEY)$/, hint: /COHERE|CO_API/, provider: 'cohere', example: 'COHERE_API_KEY' },
  { re: /^GROQ_API_KEY$/, hint: /GROQ/, provider: 'groq', example: 'GROQ_API_KEY' },
  { re: /^(?:HF_TOKEN|HF_API_TOKEN|HF_API_KEY|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_(?:API_KEY|TOKEN|HUB_TOKEN|API_TOKEN)|HUGGINGFACEHUB_API_TOKEN)$/, hint: /HF_|HUGGING/, provider: 'huggingface', example: 'HF_TOKEN' },
  { re: /^DEEPSEEK_API_KEY$/, hint: /DEEPSEEK/, provider: 'deepseek', example: 'DEEPSEEK_API_KEY' },
  { re: /^(?:XAI|GROK)_API_KEY$/, hint: /XAI|GROK/, provider: 'xai', example: 'XAI_API_KEY' },
  { re: /^OPENROUTER_API_KEY$/, hint: /OPENROUTER/, provider: 'openrouter', example: 'OPENROUTER_API_KEY' },
  { re: /^AWS_BEARER_TOKEN_BEDROCK$/, hint: /BEDROCK/, provider: 'bedrock', example: 'AWS_BEARER_TOKEN_BEDROCK' },
  { re: /^TOGETHER(?:_AI)?_API_KEY$/, hint: /TOGETHER/, provider: 'together', example: 'TOGETHER_API_KEY' },
  { re: /^FIREWORKS(?:_AI)?_API_KEY$/, hint: /FIREWORKS/, provider: 'fireworks', example: 'FIREWORKS_API_KEY' },
  { re: /^(?:PERPLEXITY|PPLX)_API_KEY$/, hint: /PERPLEXITY|PPLX/, provider: 'perplexity', example: 'PERPLEXITY_API_KEY' },
  { re: /^REPLICATE_API_(?:TOKEN|KEY)$/, hint: /REPLICATE/, provider: 'replicate', example: 'REPLICATE_API_TOKEN' },
  { re: /^CEREBRAS_API_KEY$/, hint: /CEREBRAS/, provider: 'cerebras', example: 'CEREBRAS_API_KEY' },
  { re: /^VOYAGE(?:_AI)?_API_KEY$/, hint: /VOYAGE/, provider: 'voyage', example: 'VOYAGE_API_KEY' },
  { re: /^(?:ELEVENLABS|ELEVEN)_API_KEY$/, hint: /ELEVEN/, provider: 'elevenlabs', example: 'ELEVENLABS_API_KEY' },
  { re: /^AI21_API_KEY$/, hint: /AI21/, provider: 'ai21', example: 'AI21_API_KEY' },
  { re: /^OLLAMA_API_KEY$/, hint: /OLLAMA/, provider: 'ollama', example: 'OLLAMA_API_KEY' },
];
/** The words AI key names hold (case as written: environment names are upper case), from the entries. */
export const AI_KEY_HINT = new RegExp(hintSource(AI_KEY_ENV));

/** The provider whose key an environment variable holds, or undefined. */
export function aiKeyProvider(envName: string): string | undefined {
  if (!AI_KEY_HINT.test(envName)) return undefined;
  for (const k of AI_KEY_ENV) if (k.re.test(envName)) return k.provider;
  return undefined;
}

/**
 * AI gateways: proxies whose purpose is to receive provider keys and forward them (observability,
 * routing). A key sent there is configured, not stolen.
 */
const AI_GATEWAYS = /(?:^|\.)(?:helicone\.ai|portkey\.ai|openrouter\.ai)$|^gateway\.ai\.cloudflare\.com$|^ai-gateway\.vercel\.sh$/;

/**
 * Is `host` (lower-case, possibly with unknown parts as HOLE) where a key of `provider` belongs?
 * A host with unknown leading parts is judged by its known suffix (`…-aiplatform.googleapis.com`).
 */
export function isProviderHost(provider: string, host: string, hole: string): boolean {
  const h = host.toLowerCase();
  const known = h.includes(hole) ? h.slice(h.lastIndexOf(hole) + hole.length).replace(/^[-.]/, '') : h;
  if (!known.includes('.')) return false;
  const p = AI_PROVIDERS[provider];
  if (p && (p.hosts.test(known) || p.hosts.test('x.' + known))) return true;
  return AI_GATEWAYS.test(known);
}

/** The AI provider (or gateway) whose API a host is, if any. */
export function providerOfHost(host: string, hole: string): string | undefined {
  for (const p of Object.keys(AI_PROVIDERS)) if (isProviderHost(p, host, hole)) return p;
  return undefined;
}

export function providerName(provider: string): string {
  return AI_PROVIDERS[provider]?.name ?? provider;
}

/** Key shapes in regex sources: code that searches text for AI keys. */
export const AI_KEY_SHAPES: { re: RegExp; label: string }[] = [
  { re: /sk-ant-/, label: 'Anthropic API keys (sk-ant-…)' },
  { re: /sk-(?:proj|svcacct|admin)-|sk-\(\?:proj|sk-\[?[A-Za-z0-9\\-]*\]?\{(?:48|20|32)/, label: 'OpenAI API keys (sk-proj-…)' },
  { re: /AIza/, label: 'Google API keys (AIza…)' },
  { re: /(?:^|[^a-z])hf_(?:\[|\\w)/, label: 'Hugging Face tokens (hf_…)' },
  { re: /gsk_(?:\[|\\w)/, label: 'Groq keys (gsk_…)' },
  { re: /xai-(?:\[|\\w)/, label: 'xAI keys (xai-…)' },
  { re: /sk-or-v1-/, label: 'OpenRouter keys (sk-or-v1-…)' },
  { re: /pplx-(?:\[|\\w)/, label: 'Perplexity keys (pplx-…)' },
  { re: /r8_(?:\[|\\w)/, label: 'Replicate tokens (r8_…)' },
];

/** A regex source that names several AI providers' key variables (`/(OPENAI|ANTHROPIC)_API_KEY/`). */
export function aiKeyEnvPattern(source: string): boolean {
  if (!/KEY|TOKEN/i.test(source)) return false;
  const names = source.toUpperCase().match(/ANTHROPIC|CLAUDE|OPENAI|GEMINI|MISTRAL|COHERE|GROQ|HUGGING|DEEPSEEK|XAI|OPENROUTER|BEDROCK|PERPLEXITY|REPLICATE/g);
  return !!names && new Set(names).size >= 2;
}

/** AI tools' credential and config stores, merged into the credential-path list. */
export interface AiCredentialPath extends Hinted {
  re: RegExp;
  label: string;
  strong: boolean;
  /** The file holds AI credentials (as opposed to configuration). */
  ai: true;
}

export const AI_CREDENTIAL_PATHS: AiCredentialPath[] = [
  { re: /\.claude\/\.credentials\.json$/i, hint: /\.credentials\.json/, label: 'Claude Code OAuth credentials', strong: true, ai: true, example: '~/.claude/.credentials.json' },
  { re: /(?:^|\/)\.claude\.json$/i, hint: /\.claude\.json/, label: 'Claude Code account config (~/.claude.json)', strong: false, ai: true, example: '~/.claude.json' },
  { re: /\.codex\/auth\.json$/i, hint: /\.codex(?![\w$])/, label: 'Codex CLI credentials', strong: true, ai: true, example: '~/.codex/auth.json' },
  { re: /\.gemini\/(?:oauth_creds\.json|google_accounts\.json|\.env)$/i, hint: /\.gemini(?![\w$])/, label: 'Gemini CLI credentials', strong: true, ai: true, example: '~/.gemini/oauth_creds.json' },
  { re: /(?:^|\/)\.gemini\/?$/i, hint: /(?<![\w$])\.gemini(?![\w$])/, label: 'Gemini CLI folder', strong: false, ai: true, example: '~/.gemini' },
  { re: /\.config\/github-copilot(?:\/|$)/i, hint: /github-copilot/, label: 'GitHub Copilot tokens', strong: true, ai: true, example: '~/.config/github-copilot/apps.json' },
  { re: /Cursor\/User\/globalStorage\/state\.vscdb/i, hint: /state\.vscdb/, label: 'Cursor session store', strong: true, ai: true, example: '~/Library/Application Support/Cursor/User/globalStorage/state.vscdb' },
  { re: /(?:^|\/)\.cursor\/?$/i, hint: /(?<![\w$])\.cursor(?![\w$])/, label: 'Cursor folder', strong: false, ai: true, example: '~/.cursor' },
  { re: /(?:^|\/)\.continue\/(?:config\.(?:json|yaml)|\.env)$/i, hint: /(?<![\w$])\.continue(?![\w$])/, label: 'Continue config (holds API keys)', strong: false, ai: true, example: '~/.continue/config.json' },
  { re: /(?:^|\/)\.continue\/?$/i, hint: /(?<![\w$])\.continue(?![\w$])/, label: 'Continue folder', strong: false, ai: true, example: '~/.continue' },
];
export const AI_CREDENTIAL_HINT = hintRegex(AI_CREDENTIAL_PATHS);

/** Agent configuration: where a write changes what an AI coding tool runs or believes. */
export type AgentConfigKind = 'mcp' | 'instructions' | 'hooks';
export interface AgentConfigPath extends Hinted {
  re: RegExp;
  label: string;
  kind: AgentConfigKind;
  /** Only when the written content matches: editor settings files hold much else (issue 18). */
  needs?: RegExp;
}

/**
 * Settings that let an agent run tools or commands without asking: VS Code chat tool
 * auto-approval, Claude Code allow rules and bypass mode, Codex approval and sandbox policy, Gemini
 * auto-accept and trust, Cursor/Windsurf auto-run.
 */
export const AUTO_APPROVE_CONTENT = /chat\.tools\.(?:global\.)?autoApprove|chat\.tools\.terminal\.autoApprove|"?autoApprove"?\s*:\s*(?:true|\{)|Bash\(\*\)|"defaultMode"\s*:\s*"bypassPermissions"|approval_policy\s*=\s*["']never["']|sandbox_mode\s*=\s*["']danger-full-access["']|"autoAccept"\s*:\s*true|"trust"\s*:\s*true|"?yoloMode"?\s*:\s*true|autoRunMode|"?(?:cascadeCommandsAllowList|allowedCommands)"?\s*:/;

export const AGENT_CONFIG_PATHS: AgentConfigPath[] = [
  { re: /(?:^|\/)\.cursor\/mcp\.json$/i, hint: /mcp\.json/, label: 'Cursor MCP config', kind: 'mcp', example: '~/.cursor/mcp.json' },
  { re: /\.codeium\/windsurf\/mcp_config\.json$/i, hint: /mcp_config\.json/, label: 'Windsurf MCP config', kind: 'mcp', example: '~/.codeium/windsurf/mcp_config.json' },
  { re: /(?:^|\/)claude_desktop_config\.json$/i, hint: /claude_desktop_config\.json/, label: 'Claude Desktop MCP config', kind: 'mcp', example: '~/Library/Application Support/Claude/claude_desktop_config.json' },
  { re: /(?:^|\/)\.claude\.json$/i, hint: /\.claude\.json/, label: 'Claude Code config (~/.claude.json, MCP servers)', kind: 'mcp', example: '~/.claude.json' },
  { re: /(?:^|\/)\.mcp\.json$/i, hint: /\.mcp\.json/, label: 'project MCP config (.mcp.json)', kind: 'mcp', example: '.mcp.json' },
  { re: /(?:^|\/)\.vscode\/mcp\.json$|Code(?: - Insiders)?\/User\/mcp\.json$/i, hint: /mcp\.json/, label: 'VS Code MCP config', kind: 'mcp', example: '.vscode/mcp.json' },
  { re: /(?:^|\/)\.gemini\/settings\.json$/i, hint: /\.gemini(?![\w$])/, label: 'Gemini CLI settings (MCP servers, hooks)', kind: 'mcp', example: '~/.gemini/settings.json' },
  { re: /(?:^|\/)\.codex\/config\.toml$/i, hint: /\.codex(?![\w$])/, label: 'Codex CLI config (MCP servers)', kind: 'mcp', example: '~/.codex/config.toml' },
  { re: /(?:^|\/)\.continue\/(?:config\.(?:json|yaml|ts)|mcpServers\/)/i, hint: /(?<![\w$])\.continue(?![\w$])/, label: 'Continue config', kind: 'mcp', example: '~/.continue/config.yaml' },
  { re: /(?:^|\/)(?:cline_mcp_settings|mcp_settings)\.json$/i, hint: /mcp_settings\.json/, label: 'Cline/Roo MCP settings', kind: 'mcp', example: '~/Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json' },
  { re: /(?:^|\/)\.kiro\/settings\/mcp\.json$|(?:^|\/)\.amazonq\/(?:mcp|default)\.json$|\.aws\/amazonq\/mcp\.json$/i, hint: /\.kiro(?![\w$])|amazonq/, label: 'Kiro/Amazon Q MCP config', kind: 'mcp', example: '~/.kiro/settings/mcp.json' },
  { re: /(?:^|\/)\.claude\/settings(?:\.local)?\.json$/i, hint: /(?<![\w$])\.claude(?![\w$])/, label: 'Claude Code settings (hooks, permissions)', kind: 'hooks', example: '~/.claude/settings.json' },
  { re: /(?:^|\/)\.cursor\/hooks\.json$/i, hint: /(?<![\w$])\.cursor(?![\w$])/, label: 'Cursor hooks', kind: 'hooks', example: '~/.cursor/hooks.json' },
  { re: /(?:^|\/)(?:CLAUDE|CLAUDE\.local|AGENTS|GEMINI)\.md$/, hint: /(?:CLAUDE|AGENTS|GEMINI)(?:\.local)?\.md/, label: 'agent instruction file', kind: 'instructions', example: 'CLAUDE.md' },
  { re: /(?:^|\/)\.(?:cursorrules|windsurfrules|clinerules)$|(?:^|\/)\.clinerules\//i, hint: /\.(?:cursorrules|windsurfrules|clinerules)/, label: 'agent rules file', kind: 'instructions', example: '.cursorrules' },
  { re: /(?:^|\/)\.cursor\/rules\//i, hint: /(?<![\w$])\.cursor(?![\w$])/, label: 'Cursor rules', kind: 'instructions', example: '.cursor/rules/setup.mdc' },
  { re: /(?:^|\/)\.windsurf\/rules\/|(?:^|\/)\.codeium\/windsurf\/memories\/global_rules\.md$/i, hint: /(?<![\w$])\.windsurf(?![\w$])|global_rules\.md/, label: 'Windsurf rules', kind: 'instructions', example: '.windsurf/rules/setup.md' },
  { re: /(?:^|\/)\.codex\/AGENTS\.md$|(?:^|\/)\.gemini\/GEMINI\.md$/, hint: /(?:AGENTS|GEMINI)\.md/, label: 'agent instruction file', kind: 'instructions', example: '~/.codex/AGENTS.md' },
  { re: /(?:^|\/)\.vscode\/settings\.json$|(?:^|\/)(?:Code|Code - Insiders|Cursor|Windsurf|VSCodium)\/User\/settings\.json$/i, hint: /settings\.json/, label: 'editor settings (agent tool auto-approval)', kind: 'hooks', needs: AUTO_APPROVE_CONTENT, example: '.vscode/settings.json' },
  { re: /(?:^|\/)\.github\/(?:copilot-instructions\.md$|instructions\/)/i, hint: /(?<![\w$])\.github(?![\w$])/, label: 'Copilot instructions', kind: 'instructions', example: '.github/copilot-instructions.md' },
  { re: /(?:^|\/)\.claude\/(?:commands|agents|skills)\//i, hint: /(?<![\w$])\.claude(?![\w$])/, label: 'Claude Code commands/agents', kind: 'instructions', example: '.claude/commands/setup.md' },
];
const AGENT_CONFIG_HINT = hintRegex(AGENT_CONFIG_PATHS);

/** The agent configuration a path (folded, `…` shown as `*`) names, or undefined. */
export function matchAgentConfigPath(p: string): AgentConfigPath | undefined {
  if (!AGENT_CONFIG_HINT.test(p)) return undefined;
  const s = p.replace(/\\/g, '/');
  for (const c of AGENT_CONFIG_PATHS) if (c.re.test(s)) return c;
  return undefined;
}

/** AI coding CLIs that can act on the machine when driven non-interactively. */
export const AI_CLI = /^(?:claude|gemini|codex|cursor-agent|copilot|aider|opencode|amp|goose|qwen|crush|kiro-cli|q)$/;
/** Flags that switch off an AI CLI's permission prompts or sandbox. */
export const AI_CLI_BYPASS = /--dangerously-skip-permissions|--dangerously-bypass-approvals-and-sandbox|--trust-all-tools|--allow-all-tools|--yolo\b|--full-auto\b|--approval-mode[= ](?:yolo|full-auto)|--permission-mode[= ]bypassPermissions|--sandbox[= ]danger-full-access|--accept-all\b/;
/** Bypass flags no other program uses: they identify an AI CLI even when its name is hidden. */
export const AI_CLI_UNIQUE_BYPASS = /--dangerously-skip-permissions|--dangerously-bypass-approvals-and-sandbox|--trust-all-tools|--permission-mode[= ]bypassPermissions/;
/** Prompts that send an agent looking for secrets. */
export const SECRET_HUNT_PROMPT =
  /\b(?:find|search|scan|look(?:ing)?\s+for|locate|collect|gather|enumerate|list|extract|harvest|dump|grab|inventory|recursively|exfiltrate|upload)\b(?:[^.\n]|\.(?=[\w/])){0,200}?(?:\b(?:secrets?|credentials?|api[ _-]?keys?|private[ _-]?keys?|(?:auth|access|npm|github)\s+tokens?|tokens?\s+files?|passwords?|wallets?|seed\s*phrases?|mnemonics?|keystores?|id_rsa|ssh\s+keys?|cookies)\b|\.(?:env|npmrc|ssh)\b)/i;

// ---- Text aimed at AI agents: shared by MCP tool-poisoning and prompt-injection checks ----

/** Tags that mark text as urgent or privileged for a model: `<IMPORTANT>`, `<SYSTEM>`, `[INST]`. */
export const HIDDEN_TAG = /<\s*\/?\s*(?:IMPORTANT|SYSTEM|HIDDEN|SECRET|ADMIN|OVERRIDE)\s*>|\[\s*(?:SYSTEM|INST)\s*\]|<\|im_start\|>|<\|system\|>/i;
/** Keeping the user out of the loop. */
export const CONCEALMENT =
  /\b(?:do\s*n[o']?t|never|must\s+not|should\s*n[o']?t|without)\s+(?:\w+\s+){0,2}?(?:tell(?:ing)?|mention(?:ing)?|inform(?:ing)?|reveal(?:ing)?|notify(?:ing)?|disclos(?:e|ing)|alert(?:ing)?|ask(?:ing)?)\b[^.\n]{0,60}?\b(?:the\s+)?(?:user|human|operator)s?\b|\b(?:hide|conceal)\b[^.\n]{0,40}\bfrom\s+(?:the\s+)?(?:user|human)s?\b|\bthe\s+user\s+(?:must|should)\s+(?:not|never)\s+(?:know|see|notice|be\s+told)\b|\b(?:silently|secretly|quietly)\s+(?:read|send|upload|include|pass|copy|run|execute|add)\b/i;
/** Telling the model to drop its instructions. */
export const OVERRIDE_INSTRUCTIONS = /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:(?:the|your|of\s+your)\s+)?(?:previous|prior|above|earlier|preceding|system|original)\s+(?:instructions|prompts?|rules|directions|guidelines)\b/i;
/** Files an agent has no reason to read for a tool. */
export const SENSITIVE_TARGET =
  /~\/\.ssh|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\.ssh\/|\.aws\/credentials|\.npmrc\b|(?:^|[\s'"`(/])\.env\b|\bmcp\.json\b|mcp_config\.json|claude_desktop_config|~\/\.cursor\b|\.claude\.json|\.claude\/\.credentials|\.codex\/auth|\.config\/gh\/hosts|\.git-credentials|\.netrc\b|wallet\.dat|\bkeystore\b|\/etc\/(?:passwd|shadow)|\.kube\/config|\.docker\/config/i;
/** Secrets named in words. */
export const SECRET_WORDS = /\b(?:api[ _-]?keys?|private[ _-]?keys?|secret[ _-]?keys?|access[ _-]?tokens?|auth(?:entication)?[ _-]?tokens?|credentials|passwords?|seed[ _-]?phrases?|mnemonics?|environment\s+variables|conversation\s+history|system\s+prompt|ssh\s+keys?)\b/i;
/** Reading or handing over. */
export const READ_VERB = /\b(?:read|cat|open|load|fetch|retrieve|obtain|collect|gather|include|pass|send|provide|attach|append|copy|upload|forward|supply|insert|paste|echo|print|output|dump)\b/i;
/** "…and pass its content as 'sidenote'", "include it in the `notes` parameter". */
export const PASS_AS_ARGUMENT =
  /\b(?:pass|include|provide|send|put|add|insert|attach|append|supply|forward|set|place)\b(?:[^.\n]|\.(?=[\w/])){0,100}?\b(?:as|in|into|inside|via|through|within)\s+(?:the\s+|a\s+|an\s+|its\s+|this\s+)?(?:[`'"][\w.-]+[`'"]|[\w-]+\s+(?:parameter|argument|param|field|arg)\b)/i;
/** Invisible characters (zero-width, bidi controls, Unicode tag characters); emoji joiners excluded. */
export const INVISIBLE_TEXT = /[\u200B\u200C\u2060-\u2064\u202A-\u202E\u2066-\u2069]|[\u{E0000}-\u{E007F}]/u;

/** Unicode tag characters (U+E0020–E007E) spell ASCII that renders as nothing ("ASCII smuggling"). */
export function decodeTagCharacters(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCharCode(cp - 0xe0000);
  }
  return out;
}

/**
 * The HTML comments `<!--…-->` in `text`, left to right, each ending at the first `-->` after it
 * (what /<!--([\s\S]*?)-->/g finds). A loop with indexOf: the regex rescans the rest of the text
 * from every `<!--` when no `-->` follows, which is quadratic on "<!--<!--<!--…".
 */
export function htmlComments(text: string): Array<{ index: number; end: number; body: string }> {
  const out: Array<{ index: number; end: number; body: string }> = [];
  for (let at = text.indexOf('<!--'); at !== -1; ) {
    const close = text.indexOf('-->', at + 4);
    if (close === -1) break;
    out.push({ index: at, end: close + 3, body: text.slice(at + 4, close) });
    at = text.indexOf('<!--', close + 3);
  }
  return out;
}
