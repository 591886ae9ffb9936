/**
 * Tier 0: one regex pass over a file decides whether it is worth parsing. A file can only do harm
 * through a capability it names: a module it imports (child_process, fs, net, http, dns, os, vm,
 * an HTTP client), a global it reaches (process beyond NODE_ENV, eval, Function, fetch, sockets),
 * or a way of reaching those without naming them (computed require/import, computed access on the
 * global object or on process, `constructor.constructor`, escapes inside those). Words that merely
 * appear in text ("http" in a URL, "Buffer", "credentials", "got") are not triggers: they cost a
 * parse of nearly every bundle and find nothing the capability triggers miss.
 */
const MODULES = [
  'child_process', 'fs', 'fs/promises', 'fs-extra', 'graceful-fs', 'promise-fs', 'net', 'tls', 'dgram', 'dns', 'dns/promises', 'http', 'https', 'http2',
  'os', 'vm', 'module', 'worker_threads', 'cluster', 'inspector', 'v8',
  'axios', 'undici', 'got', 'request', 'request-promise', 'needle', 'node-fetch', 'superagent', 'phin', 'bent', 'ky', 'ws', 'socket.io-client',
  'execa', 'cross-spawn', 'shelljs', 'node-serialize', 'serialize-javascript', 'clipboardy', 'zx', 'zx/globals', 'bun', 'dax-sh',
].map((m) => m.replace(/[./]/g, (c) => '\\' + c));

const TRIGGERS = new RegExp(
  [
    // Modules, however they are loaded.
    `['"\`](?:node:)?(?:${MODULES.join('|')})['"\`]`,
    // Loading something whose name is computed or escaped.
    '\\brequire\\s*\\(\\s*[^\'"`\\s)]', '\\brequire\\s*\\(\\s*[\'"][^\'"\\n]*[\'"]\\s*[+,.[]', '\\brequire\\s*\\(\\s*`', '\\brequire\\s*\\(\\s*[\'"][^\'"\\n]*\\\\[ux]',
    '\\bimport\\s*\\(\\s*[^\'"\\s)]', 'createRequire', '_compile', 'mainModule', '\\bmodule\\s*\\.\\s*require\\b',
    // process, except the NODE_ENV checks every bundle has.
    'process\\s*\\.\\s*env\\s*(?:\\.\\s*(?!NODE_ENV\\b)\\w|\\[|[;,)}\\]])', 'process\\s*\\[', 'process\\s*\\.\\s*(?:binding|dlopen|kill|mainModule|_linkedBinding)', '(?:=|\\(|,|:)\\s*process\\s*[;,)}]',
    // Globals reached directly or by computed access.
    '\\beval\\b', '\\bFunction\\s*\\(', 'new\\s+Function\\b', 'constructor\\s*\\.\\s*constructor', '\\[\\s*[\'"]constructor[\'"]\\s*\\]', 'runIn\\w*Context',
    '(?:globalThis|global|window|self)\\s*\\[', 'globalThis\\s*\\??\\.\\s*(?:eval|Function|fetch|process|require)', '=\\s*(?:globalThis|global|window|self)\\s*[;,)]',
    '\\brequire\\s*[;,)}]', '=\\s*require\\s*(?![\\s(])', '\\[\\s*[\'"][^\'"\\n]*[\'"]\\s*\\+', 'Reflect\\s*\\.\\s*(?:get|apply|construct)\\s*\\(\\s*(?:process|global\\w*|window|self|module|require|this)\\b',
    '\\bfetch\\s*\\(', 'XMLHttpRequest', 'WebSocket', 'sendBeacon', 'EventSource', '\\bBun\\s*\\.', '\\bDeno\\s*\\.',
    // Encoded or hidden strings that could name any of the above.
    '[\'"](?:base64|hex|base64url)[\'"]', '_0x[0-9a-f]{3}', '\\[\\s*[\'"][^\'"\\n]*\\\\[ux][0-9a-fA-F]', '\\\\u[0-9a-fA-F]{4}[\\w$]*\\s*\\(', '\\\\u\\{',
    // Credential paths in strings (a target list may be read by another file).
    '[\'"`][^\'"`\\n]*(?:\\.ssh[\\\\/]|id_rsa|id_ed25519|\\.aws[\\\\/]credentials|\\.kube[\\\\/]config|\\.docker[\\\\/]config\\.json|\\.git-credentials|\\.netrc|Login Data|Local Storage|\\.npmrc)',
    // Endpoints and shell payloads that matter even as plain strings.
    'webhook', 'discord', 'api\\.telegram', 'pastebin', 'ngrok', 'pipedream', 'oast\\.', 'oastify', 'burpcollaborator', 'interact\\.sh', 'interactsh', 'ifconfig\\.', 'ipify', 'ipinfo\\.io',
    'powershell', '\\bcurl\\s', '\\bwget\\s', '\\.exe\\b',
    // AI tooling and crypto: MCP servers (their tool descriptions), agent CLIs' bypass flags, wallet
    // providers and clipboards (clippers), mining pools.
    'modelcontextprotocol', 'fastmcp', '--dangerously-', 'stratum\\+', '\\bxmrig\\b', '\\.ethereum\\b', 'navigator\\s*\\.\\s*clipboard', 'toJSON\\(\\s*secrets',
    '\\.fetch\\s*=[^=]', '0x\\[[a-fA-F0-9-]+\\]\\{40\\}',
    // Loops that never end (sabotage), string timers.
    '<=?\\s*Infinity', 'while\\s*\\(\\s*(?:true|1|!0|!!\\[\\])\\s*\\)', 'while\\s*\\(\\s*[A-Z_][A-Z0-9_]*\\s*\\)', 'for\\s*\\(\\s*;\\s*;', '(?:setTimeout|setInterval)\\s*\\(\\s*[\'"`]',
  ].join('|'),
);

/** The triggers' pattern, for the lazy-body tier (lazy-bodies.ts). */
export const TRIGGER_SOURCE = TRIGGERS.source;
/**
 * The triggers that hand out a capability a name can be bound to: a module, `require` itself, the
 * process or global object, the environment as a whole (lazy-bodies.ts follows those names).
 */
export const BINDING_SOURCE = [
  `['"\`](?:node:)?(?:${MODULES.join('|')})['"\`]`,
  // `require` handed on, or called with a name built at run time (`require(['child', 'process'].join('_'))`).
  '\\brequire\\s*[;,)}]', '=\\s*require\\s*(?![\\s(])', '\\brequire\\s*\\(\\s*[^\'"`\\s)]', '\\brequire\\s*\\(\\s*[\'"][^\'"\\n]*[\'"]\\s*[+,.[]', '\\bimport\\s*\\(\\s*[^\'"\\s)]',
  'createRequire', 'mainModule', 'process\\s*[;,)}]', 'process\\s*\\.\\s*env\\s*[;,)}\\]]', '(?:globalThis|global|window|self)\\s*[;,)]',
].join('|');

export function worthParsing(text: string): boolean {
  return TRIGGERS.test(text);
}
