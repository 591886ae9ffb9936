/**
 * Indicators for threats aimed at AI tooling: AI provider keys and the hosts they belong to, AI
 * tools' credential files, agent configuration files (MCP configs, instruction files, hook
 * settings), AI coding CLIs and the flags that switch off their permission prompts. Shared by the
 * flow engine (AI keys as a source kind) and the rules in heuristics/. Lists stay specific: a
 * broad pattern here becomes a false positive in every SDK.
 */

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

/** Environment variable names of AI provider keys, by provider (order matters: Azure before OpenAI). */
const AI_KEY_ENV: [RegExp, string][] = [
  [/^(?:ANTHROPIC|CLAUDE)_(?:API_KEY|AUTH_TOKEN|ADMIN_(?:API_)?KEY|KEY)$|^CLAUDE_CODE_OAUTH_TOKEN$/, 'anthropic'],
  [/^AZURE_OPENAI_(?:API_)?KEY$|^AZURE_(?:AI|INFERENCE)_(?:API_)?KEY$/, 'azure-openai'],
  [/^OPENAI_(?:API_KEY|ADMIN_KEY|KEY)$/, 'openai'],
  [/^(?:GEMINI_API_KEY|GOOGLE_API_KEY|GOOGLE_GENERATIVE_AI_API_KEY|GOOGLE_GENAI_API_KEY|GOOGLE_AI_API_KEY|VERTEX_API_KEY|PALM_API_KEY)$/, 'google'],
  [/^MISTRAL_API_KEY$/, 'mistral'],
  [/^(?:COHERE_API_KEY|CO_API_KEY)$/, 'cohere'],
  [/^GROQ_API_KEY$/, 'groq'],
  [/^(?:HF_TOKEN|HF_API_TOKEN|HF_API_KEY|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_(?:API_KEY|TOKEN|HUB_TOKEN|API_TOKEN)|HUGGINGFACEHUB_API_TOKEN)$/, 'huggingface'],
  [/^DEEPSEEK_API_KEY$/, 'deepseek'],
  [/^(?:XAI|GROK)_API_KEY$/, 'xai'],
  [/^OPENROUTER_API_KEY$/, 'openrouter'],
  [/^AWS_BEARER_TOKEN_BEDROCK$/, 'bedrock'],
  [/^TOGETHER(?:_AI)?_API_KEY$/, 'together'],
  [/^FIREWORKS(?:_AI)?_API_KEY$/, 'fireworks'],
  [/^(?:PERPLEXITY|PPLX)_API_KEY$/, 'perplexity'],
  [/^REPLICATE_API_(?:TOKEN|KEY)$/, 'replicate'],
  [/^CEREBRAS_API_KEY$/, 'cerebras'],
  [/^VOYAGE(?:_AI)?_API_KEY$/, 'voyage'],
  [/^(?:ELEVENLABS|ELEVEN)_API_KEY$/, 'elevenlabs'],
  [/^AI21_API_KEY$/, 'ai21'],
  [/^OLLAMA_API_KEY$/, 'ollama'],
];
export const AI_KEY_HINT = /ANTHROPIC|CLAUDE|OPENAI|GEMINI|GOOGLE|VERTEX|PALM|MISTRAL|COHERE|CO_API|GROQ|HF_|HUGGING|DEEPSEEK|XAI|GROK|OPENROUTER|BEDROCK|TOGETHER|FIREWORKS|PERPLEXITY|PPLX|REPLICATE|CEREBRAS|VOYAGE|ELEVEN|AI21|AZURE_|OLLAMA/;

/** The provider whose key an environment variable holds, or undefined. */
export function aiKeyProvider(envName: string): string | undefined {
  if (!AI_KEY_HINT.test(envName)) return undefined;
  for (const [re, provider] of AI_KEY_ENV) if (re.test(envName)) return provider;
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
export interface AiCredentialPath {
  re: RegExp;
  label: string;
  strong: boolean;
  /** The file holds AI credentials (as opposed to configuration). */
  ai: true;
}

export const AI_CREDENTIAL_PATHS: AiCredentialPath[] = [
  { re: /\.claude\/\.credentials\.json$/i, label: 'Claude Code OAuth credentials', strong: true, ai: true },
  { re: /(?:^|\/)\.claude\.json$/i, label: 'Claude Code account config (~/.claude.json)', strong: false, ai: true },
  { re: /\.codex\/auth\.json$/i, label: 'Codex CLI credentials', strong: true, ai: true },
  { re: /\.gemini\/(?:oauth_creds\.json|google_accounts\.json|\.env)$/i, label: 'Gemini CLI credentials', strong: true, ai: true },
  { re: /(?:^|\/)\.gemini\/?$/i, label: 'Gemini CLI folder', strong: false, ai: true },
  { re: /\.config\/github-copilot(?:\/|$)/i, label: 'GitHub Copilot tokens', strong: true, ai: true },
  { re: /Cursor\/User\/globalStorage\/state\.vscdb/i, label: 'Cursor session store', strong: true, ai: true },
  { re: /(?:^|\/)\.cursor\/?$/i, label: 'Cursor folder', strong: false, ai: true },
  { re: /(?:^|\/)\.continue\/(?:config\.(?:json|yaml)|\.env)$/i, label: 'Continue config (holds API keys)', strong: false, ai: true },
  { re: /(?:^|\/)\.continue\/?$/i, label: 'Continue folder', strong: false, ai: true },
];
export const AI_CREDENTIAL_HINT = /\.claude|\.codex|\.gemini|github-copilot|\.cursor|\.continue|state\.vscdb/i;

/** Agent configuration: where a write changes what an AI coding tool runs or believes. */
export type AgentConfigKind = 'mcp' | 'instructions' | 'hooks';
export interface AgentConfigPath {
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
  { re: /(?:^|\/)\.cursor\/mcp\.json$/i, label: 'Cursor MCP config', kind: 'mcp' },
  { re: /\.codeium\/windsurf\/mcp_config\.json$/i, label: 'Windsurf MCP config', kind: 'mcp' },
  { re: /(?:^|\/)claude_desktop_config\.json$/i, label: 'Claude Desktop MCP config', kind: 'mcp' },
  { re: /(?:^|\/)\.claude\.json$/i, label: 'Claude Code config (~/.claude.json, MCP servers)', kind: 'mcp' },
  { re: /(?:^|\/)\.mcp\.json$/i, label: 'project MCP config (.mcp.json)', kind: 'mcp' },
  { re: /(?:^|\/)\.vscode\/mcp\.json$|Code(?: - Insiders)?\/User\/mcp\.json$/i, label: 'VS Code MCP config', kind: 'mcp' },
  { re: /(?:^|\/)\.gemini\/settings\.json$/i, label: 'Gemini CLI settings (MCP servers, hooks)', kind: 'mcp' },
  { re: /(?:^|\/)\.codex\/config\.toml$/i, label: 'Codex CLI config (MCP servers)', kind: 'mcp' },
  { re: /(?:^|\/)\.continue\/(?:config\.(?:json|yaml|ts)|mcpServers\/)/i, label: 'Continue config', kind: 'mcp' },
  { re: /(?:^|\/)(?:cline_mcp_settings|mcp_settings)\.json$/i, label: 'Cline/Roo MCP settings', kind: 'mcp' },
  { re: /(?:^|\/)\.kiro\/settings\/mcp\.json$|(?:^|\/)\.amazonq\/(?:mcp|default)\.json$|\.aws\/amazonq\/mcp\.json$/i, label: 'Kiro/Amazon Q MCP config', kind: 'mcp' },
  { re: /(?:^|\/)\.claude\/settings(?:\.local)?\.json$/i, label: 'Claude Code settings (hooks, permissions)', kind: 'hooks' },
  { re: /(?:^|\/)\.cursor\/hooks\.json$/i, label: 'Cursor hooks', kind: 'hooks' },
  { re: /(?:^|\/)(?:CLAUDE|CLAUDE\.local|AGENTS|GEMINI)\.md$/, label: 'agent instruction file', kind: 'instructions' },
  { re: /(?:^|\/)\.(?:cursorrules|windsurfrules|clinerules)$|(?:^|\/)\.clinerules\//i, label: 'agent rules file', kind: 'instructions' },
  { re: /(?:^|\/)\.cursor\/rules\//i, label: 'Cursor rules', kind: 'instructions' },
  { re: /(?:^|\/)\.windsurf\/rules\/|(?:^|\/)\.codeium\/windsurf\/memories\/global_rules\.md$/i, label: 'Windsurf rules', kind: 'instructions' },
  { re: /(?:^|\/)\.codex\/AGENTS\.md$|(?:^|\/)\.gemini\/GEMINI\.md$/, label: 'agent instruction file', kind: 'instructions' },
  { re: /(?:^|\/)\.vscode\/settings\.json$|(?:^|\/)(?:Code|Code - Insiders|Cursor|Windsurf|VSCodium)\/User\/settings\.json$/i, label: 'editor settings (agent tool auto-approval)', kind: 'hooks', needs: AUTO_APPROVE_CONTENT },
  { re: /(?:^|\/)\.github\/(?:copilot-instructions\.md$|instructions\/)/i, label: 'Copilot instructions', kind: 'instructions' },
  { re: /(?:^|\/)\.claude\/(?:commands|agents|skills)\//i, label: 'Claude Code commands/agents', kind: 'instructions' },
];
const AGENT_CONFIG_HINT = /mcp|claude|cursor|windsurf|gemini|codex|continue|cline|kiro|amazonq|agents\.md|settings\.json|\.(?:windsurf|cline|cursor)rules|copilot-instructions|\.github\/instructions/i;

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
