import { defineRule, packageConfigSettings, type ConfigSetting } from '../src/engine/api.js';
import { SHELL_DOWNLOAD, SHELL_FETCH } from '../src/engine/indicators.js';
import type { Severity, Signal } from '../src/types.js';

export default defineRule({
  meta: {
    id: 'package-config',
    title: 'Package-manager config shipped in the package',
    description:
      "Reads the package's own .npmrc, .yarnrc, .yarnrc.yml and bunfig.toml, which npm, yarn and bun apply where they run: inside a git or folder dependency's folder during its install, and in a cloned project on every command. Settings that make the package manager run a file of the package are high (`git=`, `script-shell=`, `node-options=--require`, `yarnPath`/`yarn-path`, yarn `plugins`, bun `preload`), critical when that file downloads code; the JavaScript they load is analyzed as install-time code. A vendored yarn release (`.yarn/releases/yarn-*.cjs`) is not reported. Registry redirects and `strict-ssl=false` are reported low and medium. Extension-less install files and bins with a node shebang are analyzed as code too.",
    severity: 'high',
    category: 'install',
    references: ['https://docs.npmjs.com/cli/configuring-npm/npmrc', 'https://yarnpkg.com/configuration/yarnrc#yarnPath', 'https://bun.sh/docs/runtime/bunfig#preload'],
    docs: {
      example: '# .npmrc shipped in the package\ngit=./tools/git.sh\nnode-options=--require ./hook.js',
      exampleFiles: { 'tools/git.sh': '#!/bin/sh\nexec git "$@"\n', 'hook.js': "require('child_process').exec('id');\n" },
      suppress: 'Remove the config file from the published files (`files` in package.json or .npmignore); or turn the rule off with `tollgate scan --disable-rule package-config`.',
    },
  },
  create() {
    return {
      package(ctx) {
        for (const s of packageConfigSettings(ctx.files, ctx.textOf)) {
          const { severity, why } = judge(s, s.target ? ctx.textOf(s.target) : undefined);
          if (severity === 'info') continue;
          const signals: Signal[] = severity === 'high' || severity === 'critical' ? ['package-config'] : [];
          ctx.report({ file: s.file, evidence: `${s.key}=${s.value}`.slice(0, 200), message: `${s.file} ${s.label}: ${s.key}=${s.value.slice(0, 100)}${why}`, severity, signals });
        }
      },
    };
  },
});

function judge(s: ConfigSetting, targetText: string | undefined): { severity: Severity; why: string } {
  if (s.runsCode) {
    if (s.vendored) return { severity: 'info', why: '' };
    const text = targetText?.slice(0, 256 * 1024);
    if (s.target && text !== undefined && (SHELL_DOWNLOAD.test(text) || (/^(?:git|script-shell)$/.test(s.key) && SHELL_FETCH.test(text)))) return { severity: 'critical', why: ` (${s.target} downloads or fetches code)` };
    if (s.target) return { severity: 'high', why: ` (${s.target}, shipped in the package)` };
    // A system program (script-shell=bash, git=/usr/bin/git) or a file not in the package.
    if (SHELL_DOWNLOAD.test(s.value)) return { severity: 'critical', why: ' (the value itself downloads code)' };
    return { severity: 'low', why: '' };
  }
  if (/registry|RegistryServer/i.test(s.key)) return { severity: 'low', why: ' (applies to installs run in this folder)' };
  if (/ssl/i.test(s.key)) return { severity: 'medium', why: '' };
  return { severity: 'low', why: '' };
}
