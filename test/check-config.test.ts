// Pure parts of `tollgate check`: the config parser, allow expiry, the policy step, the diff and
// the default base in GitHub Actions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { isExpired, parseConfig, splitPackageId } from '../src/check/config.js';
import { applyPolicy, gateExitCode } from '../src/check/policy.js';
import { defaultBase, diffLockfiles } from '../src/check/diff.js';
import type { LockEntry, Lockfile } from '../src/lockfile/types.js';
import type { ReportedPackage } from '../src/types.js';

const RULES = new Set(['install-scripts', 'network']);
const parse = (v: unknown) => parseConfig('tollgate.config.json', JSON.stringify(v), RULES);

describe('config', () => {
  test('scoped names split at the version @', () => {
    expect(splitPackageId('@scope/pkg@1.2.3')).toEqual({ name: '@scope/pkg', version: '1.2.3' });
    expect(splitPackageId('@scope/pkg')).toBeUndefined();
    expect(splitPackageId('pkg')).toBeUndefined();
  });

  test('a full config parses; rules off are collected', () => {
    const c = parse({ failOn: 'suspicious', ignoreDev: true, rules: { network: 'off', 'install-scripts': 'on' }, allow: [{ package: '@s/p@1.0.0', rule: 'network', reason: 'ok', expires: '2030-02-28' }] });
    expect(c.failOn).toBe('suspicious');
    expect(c.ignoreDev).toBe(true);
    expect([...c.rulesOff]).toEqual(['network']);
    expect(c.allow[0]).toMatchObject({ name: '@s/p', version: '1.0.0', rule: 'network', reason: 'ok', expires: '2030-02-28', index: 0 });
  });

  test.each([
    [{ allow: [{ package: 'p@1.0.0', reason: 'x', expires: '2030-02-30' }] }, /"expires" must be a date/],
    [{ allow: [{ package: 'p@latest', reason: 'x' }] }, /not pinned to one exact version/],
    [{ allow: [{ package: 'p@1.0.0', reason: ' ' }] }, /"reason" is required/],
    [{ allow: [{ package: 'p@1.0.0', reason: 'x', rule: 'nope' }] }, /no rule "nope"/],
    [{ allow: [{ package: 'p@1.0.0', reason: 'x', why: 'y' }] }, /unknown key "why"/],
    [{ rules: { nope: 'off' } }, /no rule "nope"/],
    [{ rules: { network: 'warn' } }, /must be "off" or "on"/],
    [{ failOn: 'clean' }, /"failOn" must be one of/],
    [{ ignoreDev: 'yes' }, /"ignoreDev" must be true or false/],
    [[], /must hold a JSON object/],
  ])('rejects %j', (config, message) => {
    expect(() => parse(config)).toThrow(message);
  });

  test('broken JSON names the file', () => {
    expect(() => parseConfig('/repo/tollgate.config.json', '{"allow": [', RULES)).toThrow(/^\/repo\/tollgate\.config\.json:1:12: not valid JSON/);
  });

  test('an allow applies through its expiry day (UTC) and not after', () => {
    expect(isExpired({ expires: '2026-11-22' }, new Date('2026-11-22T23:59:59Z'))).toBe(false);
    expect(isExpired({ expires: '2026-11-22' }, new Date('2026-11-23T00:00:00Z'))).toBe(true);
    expect(isExpired({}, new Date('2100-01-01'))).toBe(false);
  });
});

const pkg = (name: string, version: string, verdict: ReportedPackage['verdict'], rules: string[] = []): ReportedPackage => ({
  name,
  version,
  source: 'registry',
  score: verdict === 'malicious' ? 90 : 0,
  verdict,
  reasons: [],
  findings: rules.map((rule) => ({ rule, severity: 'high', message: rule })),
});

describe('policy', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  test('a whole-version allow passes the gate but keeps the verdict; other versions still fail', () => {
    const config = parse({ allow: [{ package: 'a@1.0.0', reason: 'reviewed' }] });
    const { packages } = applyPolicy([pkg('a', '1.0.0', 'malicious'), pkg('a', '1.0.1', 'malicious')], config, now);
    expect(packages[0]!.verdict).toBe('malicious');
    expect(packages[0]!.policy.allowed?.reason).toBe('reviewed');
    expect(packages[1]!.policy.allowed).toBeUndefined();
    expect(gateExitCode([packages[0]!], 'malicious')).toBe(0);
    expect(gateExitCode(packages, 'malicious')).toBe(1);
  });

  test('an allow never passes a package that could not be analyzed', () => {
    const config = parse({ allow: [{ package: 'a@1.0.0', reason: 'reviewed' }] });
    const { packages } = applyPolicy([pkg('a', '1.0.0', 'error')], config, now);
    expect(packages[0]!.policy.allowed).toBeUndefined();
    expect(gateExitCode(packages, 'malicious')).toBe(2);
  });

  test('expired allows are ignored and warned about', () => {
    const config = parse({ allow: [{ package: 'a@1.0.0', reason: 'r', expires: '2026-11-21' }] });
    const { packages, warnings } = applyPolicy([pkg('a', '1.0.0', 'malicious')], config, now);
    expect(packages[0]!.policy.expired).toHaveLength(1);
    expect(gateExitCode(packages, 'malicious')).toBe(1);
    expect(warnings[0]).toMatch(/expired on 2026-11-21/);
  });

  test('failOn suspicious and never', () => {
    const { packages } = applyPolicy([pkg('s', '1.0.0', 'suspicious')], parse({}), now);
    expect(gateExitCode(packages, 'malicious')).toBe(0);
    expect(gateExitCode(packages, 'suspicious')).toBe(1);
    expect(gateExitCode(applyPolicy([pkg('m', '1.0.0', 'malicious')], parse({}), now).packages, 'never')).toBe(0);
  });
});

const entry = (name: string, version: string, integrity?: string, extra: Partial<LockEntry> = {}): LockEntry => ({ name, version, integrity, kind: 'registry', dev: false, optional: false, peer: false, bundled: false, paths: [[name]], key: `node_modules/${name}`, ...extra });
const lock = (entries: LockEntry[]): Lockfile => ({ file: 'package-lock.json', format: 'package-lock', version: '3', rootName: 'app', entries, notes: [] });

describe('diff', () => {
  test('new names, new versions and changed integrity or source count; workspaces and unchanged entries do not', () => {
    const base = lock([entry('a', '1.0.0', 'sha512-A'), entry('b', '1.0.0', 'sha512-B'), entry('c', '1.0.0', undefined, { resolved: 'https://r/c.tgz' })]);
    const head = lock([
      entry('a', '1.0.0', 'sha512-A'),
      entry('b', '1.0.0', 'sha512-EVIL'),
      entry('c', '1.0.0', undefined, { resolved: 'https://evil/c.tgz' }),
      entry('d', '2.0.0', 'sha512-D'),
      entry('a', '1.1.0', 'sha512-A2'),
      entry('ws', '0.0.0', undefined, { kind: 'workspace' }),
    ]);
    const d = diffLockfiles(base, head);
    expect(d.changed.map((e) => `${e.name}@${e.version}`)).toEqual(['b@1.0.0', 'c@1.0.0', 'd@2.0.0', 'a@1.1.0']);
    expect(d.newNames).toBe(1);
    expect(diffLockfiles(undefined, head).changed).toHaveLength(5);
  });
});

describe('default base', () => {
  test('GitHub pull request: the base commit from the event payload, else origin/<base branch>; elsewhere HEAD', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-event-'));
    const event = path.join(dir, 'event.json');
    const sha = 'a'.repeat(40);
    fs.writeFileSync(event, JSON.stringify({ pull_request: { base: { sha } } }));
    expect(defaultBase({ GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: event, GITHUB_BASE_REF: 'main' }).ref).toBe(sha);
    expect(defaultBase({ GITHUB_ACTIONS: 'true', GITHUB_BASE_REF: 'main' }).ref).toBe('origin/main');
    fs.writeFileSync(event, JSON.stringify({ before: 'b'.repeat(40) }));
    expect(defaultBase({ GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: event }).ref).toBe('b'.repeat(40));
    // A new branch's first push has an all-zero "before": no base from it.
    fs.writeFileSync(event, JSON.stringify({ before: '0'.repeat(40) }));
    expect(defaultBase({ GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: event }).ref).toBe('HEAD');
    expect(defaultBase({}).ref).toBe('HEAD');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
