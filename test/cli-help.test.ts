// --help on every command, rendered from the table parseArgs reads; "did you mean" hints; colors.
import { describe, expect, test } from 'vitest';
import { COMMANDS, SCAN } from '../src/cli/commands.js';
import { parseCommandArgs, renderCommandHelp } from '../src/cli/options.js';
import { closest } from '../src/cli/suggest.js';
import { popularNameNear, registryName } from '../src/cli/suggest-package.js';
import { painter, StatusLine, useColor } from '../src/report/style.js';
import { runCli } from './helpers/run-cli.js';

describe('--help on every command', () => {
  test.each(COMMANDS.map((c) => [c.name]))('%s --help and -h print its help and exit 0', async (name) => {
    for (const flag of ['--help', '-h']) {
      const r = await runCli([name, flag]);
      expect(r.code, `${name} ${flag}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith(`tollgate ${name}: `)).toBe(true);
      for (const section of ['Usage:', 'Options:', 'Exit codes:', 'Examples:']) expect(r.stdout).toContain(section);
      expect(r.stdout).toContain(`tollgate ${name}`);
    }
    expect((await runCli(['help', name])).stdout).toBe((await runCli([name, '--help'])).stdout);
  });

  test.each(COMMANDS.map((c) => [c.name, c] as const))('%s: every option the parser takes is in its help, with its default', (_name, spec) => {
    const help = renderCommandHelp(spec);
    for (const [name, o] of Object.entries(spec.options)) {
      expect(help).toMatch(new RegExp(`^ {2}(-${o.short}, | {4})--${name}\\b`, 'm'));
      const shown = o.defaultText ?? (typeof o.default === 'string' ? o.default : undefined);
      if (shown) expect(help.replace(/\n\s+/g, ' ')).toContain(`(default: ${shown})`);
      // ...and the parser takes it, with a value when it needs one.
      const argv = o.type === 'string' ? [`--${name}`, 'x'] : [`--${name}`];
      expect(() => parseCommandArgs(spec, argv)).not.toThrow();
      if (o.short) expect(() => parseCommandArgs(spec, [`-${o.short}`, ...argv.slice(1)])).not.toThrow();
    }
  });

  test('results has its own help, not watch\'s', async () => {
    const r = await runCli(['results', '--help']);
    expect(r.stdout).toMatch(/^tollgate results: /);
    expect(r.stdout).toContain('--verdict');
    expect(r.stdout).not.toContain('--poll-interval');
  });

  test('rules --help is help, not the rule list', async () => {
    const r = await runCli(['rules', '--help']);
    expect(r.stdout).toMatch(/^tollgate rules: /);
    expect(r.stdout).not.toContain('suppress:');
  });

  test('the overview names every command and points at <command> --help', async () => {
    const r = await runCli(['help']);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^ {2}${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(r.stdout).toContain('tollgate <command> --help');
  });

  test('help of an unknown command is a usage error with a hint', async () => {
    const r = await runCli(['help', 'wacth']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "watch"?');
    expect((await runCli(['rules', 'extra'])).code).toBe(2);
  });

  test('a value option with its value missing is a usage error naming the option', async () => {
    const r = await runCli(['scan', 'x', '--fail-on']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--fail-on');
    expect(r.stderr).toContain('tollgate scan --help');
  });
});

describe('did you mean', () => {
  test('an unknown command names the nearest one', async () => {
    const r = await runCli(['sacn', 'express']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "sacn"; did you mean "scan"?');
    expect((await runCli(['adit'])).stderr).toContain('did you mean "audit"?');
    expect((await runCli(['frobnicate'])).stderr).not.toContain('did you mean');
  });

  test('an unknown option names the nearest one of that command, with a balanced message', async () => {
    const r = await runCli(['scan', '--jsn', 'express']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --jsn for `tollgate scan`; did you mean --json?');
    expect(r.stderr).toContain('Run `tollgate scan --help`');
    expect(r.stderr.split("'").length % 2).toBe(1);
    expect((await runCli(['audit', '--prd'])).stderr).toContain('did you mean --prod?');
    expect((await runCli(['check', '--bsae', 'main'])).stderr).toContain('did you mean --base?');
    const far = await runCli(['scan', '--zzzzzz', 'x']);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain('unknown option --zzzzzz');
    expect(far.stderr).not.toContain('did you mean');
    expect((await runCli(['scan', '-Z', 'x'])).stderr).toContain('unknown option -Z');
  });

  test('closest() stays quiet for short or distant words', () => {
    expect(closest('jsno', ['json', 'html'])).toBe('json');
    expect(closest('x', ['json'])).toBeUndefined();
    expect(closest('verbos', ['verbose', 'version'])).toBe('verbose');
  });

  test('a scan target one edit from a popular name gets a note; popular and far names do not', () => {
    expect(popularNameNear('@anthropic-ai/sdkk')).toBe('@anthropic-ai/sdk');
    expect(popularNameNear('expresss')).toBe('express');
    expect(popularNameNear('express')).toBeUndefined();
    expect(popularNameNear('zz-tollgate-nothing-like-it')).toBeUndefined();
    expect(registryName('@anthropic-ai/sdkk@^1')).toBe('@anthropic-ai/sdkk');
    expect(registryName('expresss@4.0.0')).toBe('expresss');
    for (const notRegistry of ['./expresss', '/tmp/x.tgz', 'expresss-1.0.0.tgz', 'git+https://h.invalid/x.git', 'github:a/b']) expect(registryName(notRegistry)).toBeUndefined();
  });

  test('the note goes to stderr and the scan still runs', async () => {
    // A name that cannot be fetched here: the scan runs (and reports the fetch error), after the note.
    const r = await runCli(['scan', 'expresss@0.0.0-tollgate-test', '--registry', 'http://127.0.0.1:9/', '--no-registry-signals', '--json', '--quiet']);
    expect(r.stderr).toContain('"expresss" is one edit away from the popular package "express"');
    const report = JSON.parse(r.stdout) as { packages: { name: string; verdict: string }[] };
    expect(report.packages).toHaveLength(1);
    expect(report.packages[0]!.verdict).toBe('error');
  }, 60_000);
});

describe('terminal styling', () => {
  const tty = { isTTY: true, hasColors: () => true };
  test('color on a color terminal only, unless NO_COLOR, FORCE_COLOR or --no-color say otherwise', () => {
    expect(useColor(tty, false, {})).toBe(true);
    expect(useColor({ isTTY: false }, false, {})).toBe(false);
    expect(useColor({ isTTY: true, hasColors: () => false }, false, {})).toBe(false);
    expect(useColor(tty, false, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(tty, false, { NO_COLOR: '' })).toBe(true);
    expect(useColor({ isTTY: false }, false, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor(tty, false, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor({ isTTY: false }, true, { FORCE_COLOR: '1' })).toBe(false);
  });

  test('painter styles through styleText when on, and is the identity when off', () => {
    expect(painter(false)('red', 'x')).toBe('x');
    expect(painter(true)('red', 'x')).toBe('\u001b[31mx\u001b[39m');
    expect(painter(true)(['bold', 'green'], 'x')).toMatch(/^\u001b\[1m\u001b\[32mx/);
  });

  test('StatusLine redraws one line, cut to the terminal width', () => {
    let written = '';
    const out = { columns: 10, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const line = new StatusLine(out);
    line.show('0123456789abcdef');
    expect(written).toContain('012345678');
    expect(written).not.toContain('9abcdef');
    expect(written.startsWith('\r') || written.startsWith('\u001b[1G')).toBe(true);
    written = '';
    line.clear();
    expect(written).toMatch(/\u001b\[(?:2)?K/);
  });
});

test('SCAN is the table scan parses with', () => {
  const { values } = parseCommandArgs(SCAN, ['x', '--fail-on', 'suspicious', '-v']);
  expect(values['fail-on']).toBe('suspicious');
  expect(values.verbose).toBe(true);
  expect(values.concurrency).toBe('4');
});
