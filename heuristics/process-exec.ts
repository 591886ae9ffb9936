import type { Node, ObjectExpression } from '@babel/types';
import { defineRule, reportMatches, type FileContext, type BodyHints, HOLE, parentOf } from '../src/engine/api.js';
import { SHELL_DOWNLOAD, SHELL_FETCH, SHELL_RECON } from '../src/engine/indicators.js';
import { calleePattern } from '../src/catalog/callees.js';

/** What makes a function body worth parsing for this rule (RuleVisitors.bodyHints): Binaries, download and recon commands a helper may hand to exec. */
const BODY_HINTS: BodyHints = { literals: /\.(?:exe|bat|cmd|ps1|vbs|scr|dll|dylib|elf|msi|jar|apk|dmg)\b|\/dev\/tcp|\bnc\s+-|whoami|uname|\/etc\/passwd|printenv|\bsh\s+-c|\bbash\s|chmod\s/ };

/** Every process-starting call but zx's $ (a template tag: effects.ts shellTemplate reads those). */
const EXEC = calleePattern((c) => !c.tag);
const BINARY_EXT = /\.(?:exe|bat|cmd|ps1|vbs|scr|dll|so|dylib|bin|elf|msi|jar|apk|dmg)\b/i;

function show(command: string): string {
  return command.split(HOLE).join('…').trim().slice(0, 160);
}

function objectProp(obj: ObjectExpression, name: string): Node | undefined {
  for (const p of obj.properties) {
    if (p.type === 'ObjectProperty' && !p.computed && p.key.type === 'Identifier' && p.key.name === name) return p.value;
  }
  return undefined;
}

function optionsOf(args: Node[]): ObjectExpression | undefined {
  for (let i = args.length - 1; i >= 0; i--) if (args[i]!.type === 'ObjectExpression') return args[i] as ObjectExpression;
  return undefined;
}

/** `spawn(...).unref()` or `const c = spawn(...); c.unref()` nearby. */
function isUnrefed(call: Node, ctx: FileContext): boolean {
  const parent = parentOf(call);
  if (parent?.type === 'MemberExpression' && parent.property.type === 'Identifier' && parent.property.name === 'unref') return true;
  if (call.end == null) return false;
  return /\.unref\s*\(/.test(ctx.text.slice(call.end, call.end + 400));
}

/** What makes a decoded PowerShell script more than local work: fetching, running text, hiding. */
const POWERSHELL_RISK = /Net\.WebClient|WebRequest|DownloadString|DownloadFile|DownloadData|Net\.Http|Start-BitsTransfer|bitsadmin|\biex\b|Invoke-Expression|Invoke-Command|FromBase64String|-EncodedCommand|Start-Process|\bTcpClient\b|Net\.Sockets|-WindowStyle\s+Hidden/i;

/** `powershell -EncodedCommand <base64>`: the script it runs (UTF-16LE), when the text decodes. */
function encodedPowerShell(command: string): string | undefined {
  const m = /powershell(?:\.exe)?\s+(?:-\w+\s+)*-(?:e|en|enc|encodedcommand)\s+([A-Za-z0-9+/=]{16,})/i.exec(command);
  if (!m || m[1]!.length > 1_000_000) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf16le');
  // Real script text is printable; anything else did not decode to a script we can judge.
  return /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(text) && !/[\u0100-\uffff]/.test(text.slice(0, 200)) ? text : undefined;
}

export default defineRule({
  meta: {
    id: 'process-exec',
    title: 'Process execution',
    description:
      'Reports child processes started in any alias or destructuring form of child_process (and execa, cross-spawn, shelljs), and raises the ones that matter: command lines that download and run code (curl|sh, PowerShell download cradles), that collect host details and send them out, detached silent processes that outlive the install, and bundled executables.',
    severity: 'low',
    category: 'execution',
    references: ['https://nodejs.org/api/child_process.html', 'https://attack.mitre.org/techniques/T1059/'],
    docs: {
      example: "require('child_process').spawn('node', ['payload.js'], { detached: true, stdio: 'ignore' }).unref()",
      suppress: 'Turn the rule off for a run with `tollgate scan --disable-rule process-exec`; its findings then neither show nor count toward the score.',
    },
  },
  create() {
    const noted = new Set<string>();
    return {
      bodyHints: BODY_HINTS,
      lexical(ctx) {
        if (!ctx.unreadable) return;
        reportMatches(ctx, SHELL_DOWNLOAD, 3, (m) => ({
          message: `contains a shell command that downloads and runs code: ${show(m[0])} (found by the lexical scan; the file was not parsed)`,
          severity: 'high',
          signals: ['exec', 'exec:shell-download'],
        }));
      },
      call(call, ctx) {
        if (!call.callee || !EXEC.test(call.callee)) return;
        const args = call.node.arguments.filter((a): a is Exclude<typeof a, { type: 'ArgumentPlaceholder' }> => a.type !== 'ArgumentPlaceholder');
        const first = args[0] && args[0].type !== 'SpreadElement' ? args[0] : undefined;
        // spawn('sh', ['-c', '...']) and execFile('bash', [...]): the argument list is part of the command.
        let tail = '';
        const list = args[1] && args[1].type === 'ArrayExpression' ? args[1] : undefined;
        if (list) {
          for (const el of list.elements) {
            if (el && el.type !== 'SpreadElement') tail += ' ' + (ctx.evaluator.foldLoose(el) ?? HOLE);
          }
        }
        const candidates = (first ? ctx.evaluator.foldLooseAll(first) : []).map((c) => c + tail);
        if (candidates.length === 0) candidates.push(tail);
        const pick = (re: RegExp) => candidates.find((c) => re.test(c));
        const download = pick(SHELL_DOWNLOAD);
        const encoded = download ? encodedPowerShell(download) : undefined;
        if (download && encoded !== undefined && !SHELL_DOWNLOAD.test(encoded) && !SHELL_FETCH.test(encoded) && !POWERSHELL_RISK.test(encoded)) {
          // The encoded command was built from text we can read, and it fetches nothing.
          ctx.report({ node: call.node, message: `runs an encoded PowerShell command that downloads nothing (decoded: ${show(encoded.replace(/\s+/g, ' '))})`, severity: 'medium', signals: ['exec'] });
          return;
        }
        if (download && ctx.reach === 'bin') {
          // A command the user runs that reinstalls the tool from its vendor (`tool update`): what
          // self-updaters do. The same line at install or on import runs unasked: critical below.
          ctx.report({ node: call.node, message: `runs a shell command that downloads and executes code, from a command the user runs (self-updaters do this): ${show(download)}`, severity: 'high', signals: ['exec'] });
          return;
        }
        if (download) {
          ctx.report({ node: call.node, message: `runs a shell command that downloads and executes code: ${show(download)}`, severity: 'critical', signals: ['exec', 'exec:shell-download'] });
          return;
        }
        const recon = candidates.find((c) => SHELL_FETCH.test(c) && SHELL_RECON.test(c));
        if (recon) {
          ctx.report({ node: call.node, message: `runs a shell command that collects host details and sends them out: ${show(recon)}`, severity: 'critical', signals: ['exec', 'exec:shell-recon'] });
          return;
        }
        const command = candidates[0]!;
        const shown = show(command);
        const opts = optionsOf(args as Node[]);
        const detached = opts ? ctx.evaluator.fold(objectProp(opts, 'detached') ?? null) === true : false;
        const stdio = opts ? ctx.evaluator.fold(objectProp(opts, 'stdio') ?? null) : undefined;
        const silent = stdio === 'ignore' || (Array.isArray(stdio) && stdio.every((s) => s === 'ignore'));
        const bundled = BINARY_EXT.test(command) || (first !== undefined && /__dirname/.test(ctx.text.slice(first.start ?? 0, first.end ?? 0)) && !/\.(?:c|m)?js\b/.test(command));
        // Opening a URL or file with the desktop's handler is what `open`-style packages do.
        const opener = /^(?:xdg-open|open|start|explorer(?:\.exe)?|cmd(?:\.exe)?\s+\/c\s+start)\b/i.test(command.trim());
        if (detached && opener) {
          ctx.report({ node: call.node, message: `opens a file or URL with the desktop handler: ${shown}`, severity: 'info', signals: ['exec'] });
          return;
        }
        if (detached && (silent || isUnrefed(call.node, ctx))) {
          ctx.report({ node: call.node, message: `starts a detached, silent process that outlives its parent: ${shown || call.callee}`, severity: 'high', signals: bundled ? ['exec', 'exec:detached', 'exec:bundled-binary'] : ['exec', 'exec:detached'] });
          return;
        }
        if (bundled && BINARY_EXT.test(command)) {
          ctx.report({ node: call.node, message: `runs a bundled executable: ${shown}`, severity: 'medium', signals: ['exec', 'exec:bundled-binary'] });
          return;
        }
        if (SHELL_FETCH.test(command)) {
          ctx.report({ node: call.node, message: `runs a network tool from a shell: ${shown}`, severity: 'medium', signals: ['exec', 'sink:network'] });
          return;
        }
        const key = `${ctx.path}\0${call.callee}`;
        if (noted.has(key)) return;
        noted.add(key);
        ctx.report({ node: call.node, message: `starts a process with ${call.callee}${shown ? `: ${shown}` : ''}`, severity: 'info', signals: ['exec'] });
      },
    };
  },
});
