// The GitHub Action and the README's workflow: valid YAML, no expression splicing into shell, and
// every flag the action passes exists in `tollgate check`.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { CHECK_HELP } from '../src/cli/check.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('action.yml', () => {
  const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>;
    runs: { using: string; steps: Array<{ run?: string; env?: Record<string, string> }> };
  };

  test('is a composite action whose shell steps take inputs only through the environment', () => {
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps) {
      // `${{ inputs.x }}` inside `run:` is spliced into the script before bash sees it: injection.
      expect(step.run ?? '').not.toMatch(/\$\{\{/);
    }
    const check = action.runs.steps.find((s) => s.run?.includes('bin.js'))!;
    for (const input of Object.keys(action.inputs)) expect(Object.values(check.env ?? {})).toContain(`\${{ inputs.${input} }}`);
  });

  test('runs the checkout it was pinned to, with flags `tollgate check` knows', () => {
    const run = action.runs.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain('$GITHUB_ACTION_PATH/dist/src/cli/bin.js');
    expect(run).not.toMatch(/npx[^\n]*tollgate@/);
    const flags = [...run.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!).filter((f) => !['--no-audit', '--no-fund', '--prefix'].includes(f));
    expect(flags.length).toBeGreaterThan(3);
    for (const f of flags) expect(CHECK_HELP).toContain(f);
  });
});

test('README workflow example is valid YAML that uploads the SARIF file the action writes', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```yaml\n(name: dependencies[\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const wf = parse(block!) as { jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }> };
  const steps = Object.values(wf.jobs)[0]!.steps;
  const gate = steps.find((s) => s.with?.sarif);
  const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
  expect(upload?.with?.sarif_file).toBe(gate?.with?.sarif);
  expect(steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with?.['fetch-depth']).toBe(0);
});
