// `tollgate agents`: every agent config on the machine and in the project, what each MCP server
// would launch, each npm package it launches scanned like `tollgate scan`, and the project's agent
// instruction files through the prompt-injection rule. Reads only: nothing is started or written.
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { analyzePackage } from '../engine/run/analyze.js';
import { redactText } from '../io/redact.js';
import { rankResults, scanTarget, type ScanOptions } from '../scan.js';
import { scoreFindings } from '../score/score.js';
import type { PackageFile, ReportedPackage, Verdict } from '../types.js';
import promptInjection from '../../heuristics/prompt-injection.js';
import { discoverConfigs, readInstructionFiles, type ConfigFile, type DiscoverOptions } from './discover.js';
import { AGENT_RULES, commandWords, maskSecretArgs, ownVerdict, SEVERITY_RANK, VERDICT_RANK, parseLaunch, pinnedCommand, serverFindings, worseVerdict, type AgentFinding, type Launch, type ServerEntry } from './launch.js';

export interface AgentServerReport {
  tool: string;
  file: string;
  key: string;
  name: string;
  launcher: Launch['launcher'];
  /** The command line, with credential-looking arguments masked. */
  command: string;
  package: string | null;
  requested: string | null;
  pinned: boolean;
  /** The version scanned (what the launcher would run today). */
  version: string | null;
  verdict: Verdict;
  score: number;
  reason: string | null;
  findings: AgentFinding[];
  /** `--fix-pins`: the command line pinned to the version scanned. */
  pinnedCommand: string | null;
}

export interface InstructionReport {
  file: string;
  verdict: Verdict;
  score: number;
  error?: string;
  findings: { severity: string; message: string; line: number | null; evidence: string | null }[];
}

export interface AgentsBlock {
  home: string;
  project: string;
  platform: string;
  configs: ConfigFile[];
  servers: AgentServerReport[];
  /** Hooks, permissions and approval settings of the configs. */
  findings: AgentFinding[];
  instructions: InstructionReport[];
}

export interface AgentsResult {
  packages: ReportedPackage[];
  agents: AgentsBlock;
}

export interface AgentsOptions extends DiscoverOptions {
  scan: ScanOptions;
  concurrency?: number;
}

/** The command line for display: values of credential-looking flags masked, URLs redacted. */
export function displayCommand(entry: Pick<ServerEntry, 'command' | 'args' | 'url'>): string {
  if (!entry.command) return entry.url ? redactText(entry.url) : '';
  return redactText(maskSecretArgs(commandWords(entry)).join(' ')).slice(0, 500);
}

/** The package folder a `node <script>` belongs to (nearest package.json, a few levels up), if any. */
function packageRootOf(script: string, o: DiscoverOptions): string | undefined {
  const expanded = script.replace(/^~(?=[\\/])/, o.home);
  let dir = path.dirname(path.resolve(o.project, expanded));
  for (let i = 0; i < 8; i++) {
    try {
      if (fs.statSync(path.join(dir, 'package.json')).isFile()) return dir;
    } catch {
      // not here
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Run the prompt-injection rule alone on one instruction file, as a one-file package. */
function checkInstructions(rel: string, text: string): Omit<InstructionReport, 'file'> {
  const data = Buffer.from(text, 'utf8');
  const manifest = Buffer.from(JSON.stringify({ name: 'agent-instructions', version: '0.0.0' }));
  const files = new Map<string, PackageFile>([
    ['package.json', { path: 'package.json', size: manifest.length, data: manifest }],
    [rel, { path: rel, size: data.length, data }],
  ]);
  const analysis = analyzePackage({ files, manifest: { name: 'agent-instructions', version: '0.0.0' }, findings: [], stats: { compressedBytes: 0, unpackedBytes: data.length, entries: 2 } }, [promptInjection]);
  const findings = analysis.findings.filter((f) => f.file === rel);
  const scored = scoreFindings(findings);
  return { verdict: scored.verdict, score: scored.score, findings: findings.map((f) => ({ severity: f.severity, message: f.message, line: f.line ?? null, evidence: f.evidence ?? null })) };
}

export async function auditAgents(o: AgentsOptions): Promise<AgentsResult> {
  const discovery = discoverConfigs(o);
  const launches = discovery.servers.map((entry) => {
    const launch = parseLaunch(entry);
    const own = serverFindings(entry, launch);
    let scanSpec = launch.scanSpec;
    if (launch.launcher === 'node' && launch.script) {
      const root = packageRootOf(launch.script, o);
      if (root) scanSpec = root;
      else own.push({ rule: AGENT_RULES.localScript, severity: 'low', message: `node runs ${launch.script.slice(0, 160)}, a local script outside any package (not scanned)`, file: entry.file, key: entry.key });
    }
    return { entry, launch, own, scanSpec };
  });

  // Each package once, whatever number of configs launch it.
  const specs = [...new Set(launches.flatMap((l) => (l.scanSpec ? [l.scanSpec] : [])))];
  const limit = pLimit(Math.max(1, o.concurrency ?? 4));
  const scanned = new Map<string, ReportedPackage>(await Promise.all(specs.map((s) => limit(async () => [s, await scanTarget(s, o.scan)] as const))));

  const servers = launches.map(({ entry, launch, own, scanSpec }): AgentServerReport => {
    const pkg = scanSpec ? scanned.get(scanSpec) : undefined;
    const mine = ownVerdict(own);
    const verdict = pkg ? worseVerdict(pkg.verdict, mine.verdict) : mine.verdict;
    const score = Math.max(pkg?.score ?? 0, mine.score);
    const worstOwn = [...own].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0];
    const pkgFirst = pkg && VERDICT_RANK[pkg.verdict] >= VERDICT_RANK[mine.verdict] && pkg.verdict !== 'clean';
    const reason = pkgFirst ? (pkg.reasons[0] ?? pkg.error ?? null) : (worstOwn?.message ?? (pkg?.reasons[0] ?? null));
    const version = pkg && pkg.verdict !== 'error' ? pkg.version : null;
    return {
      tool: entry.tool,
      file: entry.file,
      key: entry.key,
      name: entry.name,
      launcher: launch.launcher,
      command: displayCommand(entry),
      package: launch.name ?? (scanSpec && pkg ? pkg.name : null),
      requested: launch.requested ?? null,
      pinned: launch.pinned,
      version,
      verdict,
      score,
      reason: reason ? redactText(reason) : null,
      findings: own,
      pinnedCommand: version ? (pinnedCommand(entry, launch, version) ?? null) : null,
    };
  });

  const instructions = readInstructionFiles(o).map((f): InstructionReport => {
    if (f.text === undefined) return { file: f.file, verdict: 'error', score: 0, error: f.error, findings: [] };
    return { file: f.file, ...checkInstructions(f.rel, f.text) };
  });

  const unique = new Map<string, ReportedPackage>();
  for (const r of scanned.values()) unique.set(`${r.name}@${r.version}#${r.verdict}`, r);
  return {
    packages: rankResults([...unique.values()]),
    agents: { home: o.home, project: o.project, platform: o.platform, configs: discovery.configs, servers, findings: discovery.findings, instructions },
  };
}

/** Every verdict the run produced, for the exit code: packages, servers, settings, instruction files, unreadable configs. */
export function verdictsOf(r: AgentsResult): Verdict[] {
  return [
    ...r.packages.map((p) => p.verdict),
    ...r.agents.servers.map((s) => s.verdict),
    ownVerdict(r.agents.findings).verdict,
    ...r.agents.instructions.map((i) => i.verdict),
    ...r.agents.configs.filter((c) => c.error).map((): Verdict => 'error'),
  ];
}
