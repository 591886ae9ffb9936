import type { Manifest } from '../../types.js';

/** Scripts npm runs on install of a registry package, and on install of a git/folder dependency. */
export const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;
export const GIT_INSTALL_SCRIPTS = ['prepare', 'prepack', 'postpack'] as const;
/** Removed from npm 7+, but still honoured by older clients and other package managers. */
export const UNINSTALL_SCRIPTS = ['preuninstall', 'uninstall', 'postuninstall'] as const;

export interface ScriptCommand {
  script: string; // e.g. "postinstall"
  command: string; // the full script text
  /** Package-relative JS files the script runs with `node FILE`. */
  nodeFiles: string[];
  /** Inline code given to `node -e` / `node -p` / `node --eval`. */
  inlineCode: string[];
  /** Shell scripts run by the script (sh x.sh, bash x.sh, ./x.sh; cmd/PowerShell/WSH files). */
  shellFiles: string[];
  /** Extension-less files run directly (`./setup`): node or shell by their shebang. */
  extensionless: string[];
}

/** Split a shell command on its operators; quoting is respected, the rest is best effort. */
export function splitShell(command: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let quote: string | null = null;
  let hasWord = false;
  const flushWord = () => {
    if (hasWord) words.push(word);
    word = '';
    hasWord = false;
  };
  const flushCmd = () => {
    flushWord();
    if (words.length) commands.push(words);
    words = [];
  };
  for (let i = 0; i < command.length && i < 100_000; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) word += command[++i];
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      hasWord = true;
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i];
      hasWord = true;
    } else if (c === ' ' || c === '\t' || c === '\n') flushWord();
    else if (c === ';' || c === '&' || c === '|' || c === '(' || c === ')' || c === '`') flushCmd();
    else {
      word += c;
      hasWord = true;
    }
  }
  flushCmd();
  return commands;
}

const NODE_FLAGS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--input-type', '--max-old-space-size', '--title', '--conditions', '-C']);

function cleanPath(p: string): string {
  let s = p.replace(/\\/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  return s;
}

/** What one lifecycle script runs, as far as static reading can tell. */
export function parseScript(script: string, command: string): ScriptCommand {
  const out: ScriptCommand = { script, command, nodeFiles: [], inlineCode: [], shellFiles: [], extensionless: [] };
  for (const words of splitShell(command)) {
    let i = 0;
    // Skip env assignments (FOO=bar node x.js) and wrappers.
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
    while (i < words.length && ['exec', 'npx', 'cross-env', 'nohup', 'env', 'sudo', 'command'].includes(words[i]!)) {
      i++;
      while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i++;
    }
    const cmd = words[i];
    if (!cmd) continue;
    const base = cmd.split('/').pop()!;
    if (base === 'node' || base === 'node.exe' || base === 'nodejs' || base === 'bun' || base === 'deno') {
      for (let j = i + 1; j < words.length; j++) {
        const w = words[j]!;
        if (w === '-e' || w === '--eval' || w === '-p' || w === '--print') {
          if (words[j + 1] !== undefined) out.inlineCode.push(words[j + 1]!);
          break;
        }
        if (w.startsWith('--eval=')) {
          out.inlineCode.push(w.slice(7));
          break;
        }
        if (NODE_FLAGS_WITH_VALUE.has(w)) {
          j++;
          continue;
        }
        if (w.startsWith('-')) continue;
        if (w === 'run' && base === 'bun') continue;
        out.nodeFiles.push(cleanPath(w));
        break;
      }
    } else if (base === 'sh' || base === 'bash' || base === 'zsh' || base === 'dash') {
      const f = words.slice(i + 1).find((w) => !w.startsWith('-'));
      if (f) out.shellFiles.push(cleanPath(f));
    } else if (/^(?:cmd|cmd\.exe|powershell|powershell\.exe|pwsh|pwsh\.exe|[wc]script|[wc]script\.exe|mshta|mshta\.exe)$/i.test(base)) {
      // Windows command and script files (`cmd /c setup.bat`, `powershell -File x.ps1`,
      // `wscript run.vbs`): their lines are command lines too (shellFiles).
      const f = words.slice(i + 1).find((w) => /\.(?:bat|cmd|ps1|vbs|vbe|js|wsf|hta)$/i.test(w));
      if (f) out.shellFiles.push(cleanPath(f));
    } else if (/\.(sh|bash|bat|cmd|ps1)$/i.test(cmd)) {
      out.shellFiles.push(cleanPath(cmd));
    } else if (/\.(c|m)?js$/.test(cmd)) {
      // A script that is itself executable JS (shebang): `./install.js`.
      out.nodeFiles.push(cleanPath(cmd));
    } else if (/^\.{1,2}\/[^.]*$/.test(cmd) || /^\.\/.*\/[^./]+$/.test(cmd)) {
      // `./setup` or `./bin/install`: an extension-less file run directly; what it is (shell or
      // node, by its shebang) is decided where its text is read (lifecycleFileKinds).
      out.extensionless.push(cleanPath(cmd));
    }
  }
  return out;
}

export interface LifecycleScripts {
  /** Scripts that run on a plain `npm install` of the package from a registry. */
  install: ScriptCommand[];
  /** Scripts that run when the package is installed from git or a folder. */
  gitInstall: ScriptCommand[];
  uninstall: ScriptCommand[];
}

export function lifecycleScripts(manifest: Manifest | undefined): LifecycleScripts {
  const scripts = manifest?.scripts ?? {};
  const pick = (names: readonly string[]) =>
    names.filter((n) => typeof scripts[n] === 'string' && scripts[n]!.trim() !== '').map((n) => parseScript(n, scripts[n]!));
  return { install: pick(INSTALL_SCRIPTS), gitInstall: pick(GIT_INSTALL_SCRIPTS), uninstall: pick(UNINSTALL_SCRIPTS) };
}

/**
 * Every command line that runs at install (or uninstall): each lifecycle script, and each line of
 * the shell files those scripts run. Rules that read commands (persistence, worms) share this.
 */
export function installCommandLines(scripts: LifecycleScripts, textOf: (file: string) => string | undefined): { file: string; command: string; evidence: string }[] {
  const out: { file: string; command: string; evidence: string }[] = [];
  for (const s of [...scripts.install, ...scripts.uninstall]) {
    out.push({ file: 'package.json', command: s.command, evidence: `"${s.script}": ${JSON.stringify(s.command).slice(0, 200)}` });
    for (const sh of s.shellFiles) {
      const text = textOf(sh);
      if (!text) continue;
      for (const line of text.split('\n').slice(0, 2000)) {
        if (/\S/.test(line) && !/^\s*#/.test(line)) out.push({ file: sh, command: line, evidence: line.trim().slice(0, 200) });
      }
    }
  }
  return out;
}
