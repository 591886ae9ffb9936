import type { Node } from '@babel/types';
import { defineRule, reportMatches, type FileContext, type BodyHints, HOLE, commandCandidates, programOf } from '../src/engine/api.js';
import { WALLET_EXTENSIONS, WALLET_PATHS } from '../src/engine/indicators.js';
import { hintSource } from '../src/catalog/hints.js';
import type { Reach, Severity } from '../src/types.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Wallet paths, addresses and address patterns, miners, and hooks on fetch/XHR. */
const BODY_HINTS: BodyHints = { literals: new RegExp(`${hintSource(WALLET_PATHS)}|[wW]allet|[bB]itcoin|[lL]itecoin|[dD]ogecoin|zcash|Monero|[sS]olana|${/0x[a-fA-F0-9]{40}|\bbc1[a-z0-9]{25}|['"`]T[1-9A-HJ-NP-Za-km-z]{33}['"`]|0x\[|A-HJ-NP-Z/.source}`), code: /prototype\.(?:open|send)|clipboard/ };

/** Regex sources that match wallet addresses. */
const ADDRESS_REGEX_SOURCE = /0x\[(?:a-fA-F0-9|0-9a-fA-F|a-f0-9|0-9a-f|A-Fa-f0-9|0-9A-Fa-f)\]\{40\}|\(?bc1|A-HJ-NP-Z|\[LM3\]|T\[A-Za-z1-9\]\{33\}|4\[0-9AB\]/;
/** Text of a file that holds such a regex (cheap pre-check for the AST visitors). */
const ADDRESS_REGEX_TEXT = /0x\[(?:a-fA-F0-9|0-9a-fA-F|a-f0-9|0-9a-f|A-Fa-f0-9|0-9A-Fa-f)\]\{40\}|A-HJ-NP-Z/;
/** A wallet address as a constant: what a clipper swaps in. */
const ADDRESS_LITERAL = /^(?:0x[a-fA-F0-9]{40}|bc1[a-z0-9]{25,60}|[13][a-km-zA-HJ-NP-Z1-9]{25,34}|T[1-9A-HJ-NP-Za-km-z]{33}|[1-9A-HJ-NP-Za-km-z]{43,44})$/;
/** Mining: pool protocols, miners and pools. */
const MINER = /stratum\+(?:tcp|ssl|tls):\/\/[^\s'"`]*|\bxmrig\b|\b(?:pool\.)?(?:minexmr|supportxmr|moneroocean|nanopool|2miners|hashvault|c3pool|herominers|nicehash|unmineable|xmrpool|minergate)\.(?:com|org|net|stream|pro|eu)\b|--donate-level\b|\bcoinhive\b|\bcryptonight\b/i;
/** Global functions a web clipper or wallet drainer hooks. */
const HOOKED = /^(?:(?:window|globalThis|self)\.)?(?:fetch|XMLHttpRequest\.prototype\.(?:open|send|setRequestHeader)|ethereum\.(?:request|send|sendAsync|enable)|solana\.(?:signTransaction|signAllTransactions|signAndSendTransaction)|phantom\.solana\.\w+|tronWeb\.\w+)$/;
const CLIPBOARD_WRITE = /^(?:clipboardy\.(?:write|writeSync)|navigator\.clipboard\.(?:writeText|write)|electron\.clipboard\.writeText|copy-paste\.copy)$/;

interface FileState {
  addressRegex: boolean;
  addressLiterals: number;
  wallets: Map<string, string>;
  walletReported: boolean;
}

function severityFor(reach: Reach, base: Severity): Severity {
  return reach === 'install' ? 'critical' : reach === 'unreached' ? 'low' : base;
}

const WALLET_WORDS = /electrum|exodus|atomic|ethereum|wallet|solana|coinomi|guarda|jaxx|monero|bitcoin|litecoin|dogecoin|zcash|dash\/|extension settings|[/\\][a-p]{32}(?:[/\\]|$)/i;
const HOOK_NAMES = new Set(['fetch', 'open', 'send', 'setRequestHeader', 'request', 'sendAsync', 'enable', 'signTransaction', 'signAllTransactions', 'signAndSendTransaction']);

function walletOf(value: string): string | undefined {
  // Cheapest test first: a bare extension ID is exactly 32 letters a-p.
  if (value.length > 400 || (value.length === 32 ? !/^[a-p]{32}$/.test(value) : !WALLET_WORDS.test(value))) return undefined;
  for (const [id, name] of Object.entries(WALLET_EXTENSIONS)) if (value.includes(id)) return name;
  const p = value.replace(/\\/g, '/');
  for (const w of WALLET_PATHS) if (w.re.test(p) && !/extension (?:ID|storage)|browser extension/.test(w.label)) return w.label;
  return undefined;
}

export default defineRule({
  meta: {
    id: 'crypto-theft',
    title: 'Crypto wallet theft, clippers and miners',
    description:
      "Reports code that targets cryptocurrency: lists of wallet storage to steal (wallet browser extensions by extension ID: MetaMask, Phantom, Coinbase Wallet, Trust, Binance, TronLink, Exodus, Rabby, Keplr and others; Electrum, Exodus, Atomic, Ethereum keystores, wallet.dat, Solana id.json); clippers that swap wallet addresses (an address regex with a replacement address, clipboard writes of a hardcoded address, hooks on fetch, XMLHttpRequest or window.ethereum/solana in a file that holds addresses); and miners (stratum URLs, XMRig, mining pools). Single wallet-file reads are reported by `credential-files`.",
    severity: 'high',
    category: 'crypto',
    references: ['https://attack.mitre.org/techniques/T1496/', 'https://attack.mitre.org/techniques/T1115/', 'https://www.reversinglabs.com/blog/crypto-clipper-npm'],
    docs: {
      example: "const ETH = /0x[a-fA-F0-9]{40}/g;\nnavigator.clipboard.readText().then((t) => navigator.clipboard.writeText(t.replace(ETH, '0x0000000000000000000000000000000000000bad')));",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule crypto-theft`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const files = new Map<string, FileState>();
    const state = (ctx: FileContext): FileState => {
      let s = files.get(ctx.path);
      if (!s) {
        s = { addressRegex: ADDRESS_REGEX_TEXT.test(ctx.text), addressLiterals: 0, wallets: new Map(), walletReported: false };
        if (s.addressRegex || /0x[a-fA-F0-9]{40}/.test(ctx.text)) s.addressLiterals = (ctx.text.match(/['"`](?:0x[a-fA-F0-9]{40}|bc1[a-z0-9]{25,60}|T[1-9A-HJ-NP-Za-km-z]{33})['"`]/g) ?? []).length;
        files.set(ctx.path, s);
      }
      return s;
    };
    const noteWallet = (value: string, node: Node, ctx: FileContext) => {
      const name = walletOf(value);
      if (!name) return;
      const s = state(ctx);
      s.wallets.set(name, value);
      if (s.walletReported || s.wallets.size < 2) return;
      s.walletReported = true;
      ctx.report({
        node,
        message: `names the storage of ${s.wallets.size}+ crypto wallets (${[...s.wallets.keys()].join(', ')}): a wallet stealer's target list`,
        severity: severityFor(ctx.reach, 'high'),
        signals: ['wallet-theft'],
      });
    };
    return {
      bodyHints: BODY_HINTS,
      package(ctx) {
        for (const s of [...ctx.scripts.install, ...ctx.scripts.uninstall]) {
          const m = MINER.exec(s.command);
          if (m) ctx.report({ file: 'package.json', message: `${s.script} script runs a cryptocurrency miner (${m[0].slice(0, 80)})`, severity: 'critical', evidence: s.command.slice(0, 200), signals: ['miner'] });
        }
        for (const path of ctx.files.keys()) {
          if (/(?:^|\/)xmrig(?:\.exe)?$/i.test(path)) ctx.report({ file: path, message: `ships an XMRig miner binary (${path})`, severity: 'high', signals: ['miner'] });
        }
      },
      lexical(ctx) {
        if (!/stratum\+|xmrig|minexmr|supportxmr|moneroocean|nanopool|2miners|hashvault|c3pool|herominers|nicehash|unmineable|xmrpool|minergate|donate-level|coinhive|cryptonight/i.test(ctx.text)) return;
        reportMatches(ctx, MINER, 1, (m) => ({
          message: `cryptocurrency mining: ${m[0].slice(0, 100)}`,
          severity: severityFor(ctx.reach, /stratum|xmrig/i.test(m[0]) ? 'high' : 'medium'),
          signals: ['miner'],
        }));
      },
      call(call, ctx) {
        const callee = call.callee;
        // Clipboard writes and address replacement in a file that matches wallet addresses.
        if ((callee && CLIPBOARD_WRITE.test(callee)) || commandCandidates(call, ctx.evaluator).some((c) => /^(?:pbcopy|xclip|xsel|clip|wl-copy|Set-Clipboard)$/i.test(programOf(c) ?? ''))) {
          const s = state(ctx);
          if (s.addressRegex && s.addressLiterals > 0) {
            ctx.report({ node: call.node, message: 'writes to the clipboard in a file that matches wallet addresses and holds hardcoded ones: a clipper swapping the address the user copied', severity: severityFor(ctx.reach, 'critical'), signals: ['clipper'] });
          }
          return;
        }
        const node = call.node;
        if (node.type !== 'CallExpression' || node.callee.type !== 'MemberExpression' || node.callee.property.type !== 'Identifier' || !/^replace(?:All)?$/.test(node.callee.property.name)) return;
        const [pattern, replacement] = node.arguments;
        if (!pattern || !replacement || pattern.type === 'SpreadElement' || pattern.type === 'ArgumentPlaceholder' || replacement.type === 'SpreadElement' || replacement.type === 'ArgumentPlaceholder') return;
        const re = pattern.type === 'RegExpLiteral' ? pattern : pattern.type === 'Identifier' ? ctx.evaluator.initOf(pattern) : undefined;
        const src = re?.type === 'RegExpLiteral' ? re.pattern : re?.type === 'NewExpression' ? ctx.evaluator.foldString(re.arguments[0] as Node | undefined) : undefined;
        if (!src || !ADDRESS_REGEX_SOURCE.test(src)) return;
        const value = ctx.evaluator.foldString(replacement);
        const swaps = value !== undefined ? ADDRESS_LITERAL.test(value) : state(ctx).addressLiterals > 0;
        if (!swaps) return;
        ctx.report({ node, message: `replaces wallet addresses matched by /${src.slice(0, 60)}/ with ${value ?? 'a hardcoded address'}: a clipper`, severity: severityFor(ctx.reach, 'critical'), signals: ['clipper'] });
      },
      nodes: {
        StringLiteral(node, ctx) {
          if (node.type === 'StringLiteral' && node.value.length >= 8) noteWallet(node.value, node, ctx);
        },
        ArrayExpression(node, ctx) {
          // [path.join(os.homedir(), '.electrum', 'wallets'), path.join(APPDATA, 'Exodus', 'exodus.wallet')]
          if (node.type !== 'ArrayExpression' || node.elements.length < 2 || node.elements.length > 100) return;
          for (const e of node.elements) {
            if (!e || e.type === 'StringLiteral' || e.type === 'SpreadElement' || e.type === 'NumericLiteral' || e.type === 'ObjectExpression') continue;
            if (e.start == null || e.end == null || e.end - e.start > 400 || !WALLET_WORDS.test(ctx.text.slice(e.start, e.end))) continue;
            const v = ctx.evaluator.foldLoose(e);
            if (v) noteWallet(v.split(HOLE).join('*'), e, ctx);
          }
        },
        AssignmentExpression(node, ctx) {
          // window.fetch = …, XMLHttpRequest.prototype.send = …, window.ethereum.request = …
          if (node.type !== 'AssignmentExpression' || node.operator !== '=' || node.left.type !== 'MemberExpression') return;
          const prop = node.left.property;
          if (node.left.computed || prop.type !== 'Identifier' || !HOOK_NAMES.has(prop.name)) return;
          const target = ctx.evaluator.canonical(node.left);
          if (!target || !HOOKED.test(target)) return;
          const s = state(ctx);
          const wallet = /ethereum|solana|tronWeb/.test(target);
          if (s.addressRegex || s.addressLiterals > 0) {
            ctx.report({ node, message: `hooks ${target} in a file that ${s.addressRegex ? 'matches wallet addresses' : 'holds hardcoded wallet addresses'}: a web clipper or wallet drainer rewriting transactions`, severity: severityFor(ctx.reach, 'critical'), signals: ['clipper'] });
          } else if (wallet) {
            ctx.report({ node, message: `replaces the wallet provider's ${target}: what wallet drainers do to rewrite transactions`, severity: 'low' });
          }
        },
      },
    };
  },
});
