/**
 * Tier 0: a single regex pass over a file decides whether it is worth parsing. A file that
 * mentions no capability (process, network, exec, dynamic code, encodings, credential paths,
 * loops that never end) cannot produce a finding in the AST tiers, so it is not parsed.
 */
const TRIGGERS = new RegExp(
  [
    'child_process', 'execa', 'cross-spawn', 'shelljs', '[\'"](?:node:)?os[\'"]', 'while\\s*\\(\\s*[A-Z_][A-Z0-9_]*\\s*\\)', '\\bexecSync\\b', '\\bspawn', '\\beval\\b', '\\bFunction\\s*\\(', 'new\\s+Function\\b', '\\bvm\\b', 'runIn\\w*Context',
    'process\\s*(?:\\.|\\[)', '\\bprocess\\b', 'Reflect', 'globalThis', '\\bglobal\\s*\\[', 'window\\s*\\[',
    'https?\\b', '\\bnet\\b', '\\bdns\\b', '\\btls\\b', 'dgram', '\\bfetch\\b', 'XMLHttpRequest', 'WebSocket', 'axios', 'undici', '\\bgot\\b', '\\brequest\\b',
    'homedir', '\\.ssh', 'npmrc', '\\.aws', 'credentials', 'hostname', 'userInfo', 'networkInterfaces', 'getServers',
    'Buffer', '\\batob\\b', 'fromCharCode', 'fromCodePoint', '_0x', '\\\\x[0-9a-fA-F]{2}', '\\\\u[0-9a-fA-F]{4}', 'unescape', 'decodeURI',
    'webhook', 'discord', 'telegram', 'pastebin', 'ngrok', 'pipedream', 'oast', 'burpcollaborator', 'interact', 'ifconfig', 'ipify', 'ipinfo',
    '\\brequire\\s*\\(\\s*[^\'"`\\s)]', '\\bimport\\s*\\(', '_compile', 'createRequire',
    'Infinity', 'while\\s*\\(\\s*(?:true|1|!0)\\s*\\)', 'for\\s*\\(\\s*;\\s*;', 'writeFile', 'appendFile', 'createWriteStream', 'copyFile',
    '\\.exe\\b', 'powershell', 'curl', 'wget', 'setTimeout\\s*\\(\\s*[\'"`]', 'setInterval\\s*\\(\\s*[\'"`]',
  ].join('|'),
);

export function worthParsing(text: string): boolean {
  return TRIGGERS.test(text);
}
