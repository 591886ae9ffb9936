// Shared vocabulary of the pipeline: spec -> fetch -> unpack -> analyze -> score -> report.
import type { Node } from '@babel/types';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export type Verdict = 'malicious' | 'suspicious' | 'clean' | 'error';

export type Category =
  | 'install'
  | 'environment'
  | 'credentials'
  | 'network'
  | 'execution'
  | 'dynamic-code'
  | 'fingerprint'
  | 'filesystem'
  | 'sabotage'
  | 'obfuscation'
  | 'integrity'
  | 'ai-agents'
  | 'crypto'
  | 'propagation'
  | 'persistence'
  | 'engine'
  | 'registry';

/** When the code holding a finding runs, as far as the package's own wiring tells. */
export type Reach = 'install' | 'import' | 'bin' | 'unreached';

/**
 * Signals are the scorer's vocabulary. Rules attach them to findings; the scorer combines them
 * (a sensitive source plus a network sink in the same file is worth far more than either alone).
 */
export type Signal =
  | 'install-script'
  | 'install-shell-download'
  | 'install-inline-code'
  | 'native-build'
  | 'source:env-bulk'
  | 'source:env-secret'
  | 'source:credential-file'
  | 'source:fingerprint'
  | 'sink:network'
  | 'sink:dns'
  | 'sink:exfil-endpoint'
  | 'sink:recon-endpoint'
  | 'sink:file-write-home'
  | 'flow:secret'
  | 'flow:token'
  | 'flow:fingerprint'
  | 'exec'
  | 'exec:shell-download'
  | 'exec:shell-recon'
  | 'exec:detached'
  | 'exec:bundled-binary'
  | 'dynamic-code'
  | 'dynamic-code:decoded'
  /**
   * eval/Function of text the analyzer read in full (constant text, or a template written in literals
   * whose run-time parts are only names or strings): the code is analyzed where it runs, so it is not
   * hidden code and does not count as dynamic code in any chain.
   */
  | 'dynamic-code:visible'
  /** eval/Function/vm of text that came back from a network call to a hard-coded address. */
  | 'dynamic-code:remote'
  | 'dynamic-require'
  | 'sabotage'
  | 'obfuscation'
  | 'unpack-hazard'
  | 'analysis-gap'
  // Threats aimed at AI tooling and developer machines (scored in one section of score.ts).
  /** An AI provider key or AI tool credential is read (escalates at install time). */
  | 'source:ai-key'
  /** An AI provider key reaches a host that is not its provider's, or is bundled with other secrets. */
  | 'flow:ai-key'
  /** Code searches for AI key shapes (sk-ant-, sk-proj-, AIza) or lists many providers' key variables. */
  | 'ai-key-scan'
  /** Writes MCP configs, agent instruction files or agent hook settings. */
  | 'agent-config-write'
  /** Runs an AI coding CLI with its permission prompts switched off. */
  | 'ai-cli-bypass'
  /** Runs an AI coding CLI with a prompt that hunts for secrets, keys or wallets. */
  | 'ai-cli-abuse'
  /** Hidden instructions in MCP tool, prompt or resource descriptions. */
  | 'mcp-poisoning'
  /** An MCP tool handler sends its arguments to a host unrelated to the tool. */
  | 'mcp-arg-exfil'
  /** Instructions aimed at AI coding agents in package docs or metadata. */
  | 'prompt-injection'
  | 'wallet-theft'
  | 'clipper'
  | 'miner'
  /** Self-propagation: npm publish with stolen tokens, GitHub repo creation, git push at install. */
  | 'worm'
  /** CI takeover: workflow files written, `toJSON(secrets)` dumps. */
  | 'ci-takeover'
  /** Startup items, shell profiles, git hooks, registry and TLS settings changed. */
  | 'persistence'
  // Issue 18 (scored in the threat table of score.ts).
  /** One package changes another package's or application's code (tampering rule). */
  | 'tamper'
  /** Install-time code erases its own traces: deletes its script, swaps package.json, clears history or logs. */
  | 'anti-forensics'
  /** A Windows launcher (rundll32, regsvr32, mshta, wscript, encoded PowerShell) runs a bundled or remote target. */
  | 'windows-launcher'
  /** A relay, proxy or raw socket to a hard-coded address opened on install or load. */
  | 'covert-channel'
  /** An address or code read from a dead drop (contract call, gist, paste, calendar, DNS TXT) is used. */
  | 'dead-drop'
  /** The package ships its own npm/yarn/bun config that runs code or redirects installs. */
  | 'package-config'
  /** A library sends a secret-named value (privateKey, mnemonic, password…) to a host that is not its own. */
  | 'flow:library-secret'
  // Registry and name evidence (src/registry): weighs code evidence up or down in the scorer.
  | 'registry:typosquat'
  | 'registry:dependency-confusion'
  | 'registry:new-install-script'
  /** An install script added to a release that only builds a native addon (release-diff.ts classifyAddedScript). */
  | 'registry:new-build-script'
  | 'registry:lost-provenance'
  | 'registry:manifest-confusion'
  | 'registry:new-publisher'
  | 'registry:new-package'
  /** Years of releases under this name: it is no fresh imitation of a popular one (eases typosquat). */
  | 'registry:established'
  | 'registry:unchanged'
  /** A dependency fetched from a tarball URL or a git host instead of the registry. */
  | 'registry:remote-dependency';

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  evidence?: string;
  signals?: Signal[];
  reach?: Reach;
  /** Lines around `line` (three either side), added after analysis from the package's files (src/report/excerpt.ts). */
  context?: { start: number; lines: string[] };
}

export interface RuleMeta {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  category: Category;
  references: string[];
  /**
   * Rule documentation: a short example of what it catches and how to suppress it. The example is
   * also a test (test/rule-examples.test.ts): run alone on the package it describes, the rule must
   * report it. `exampleFiles` adds files the example's text only describes (latin1 text, so a
   * binary header can be written), and may set package.json fields.
   */
  docs: { example: string; suppress: string; exampleFiles?: Record<string, string> };
}

/** One file of the package as the unpacker kept it. */
export interface PackageFile {
  path: string; // relative to the package root, POSIX separators
  size: number;
  data?: Buffer; // absent when the file was over the keep limit
  mode?: number;
  /** Only the ends of the file were kept: 256 KiB each of a large non-text file (binaries), 4 KiB each of a source map. */
  partial?: boolean;
}

export interface Manifest {
  name?: string;
  version?: string;
  main?: string;
  bin?: string | Record<string, string>;
  scripts?: Record<string, string>;
  exports?: unknown;
  gypfile?: boolean;
  [k: string]: unknown;
}

export interface UnpackedPackage {
  files: Map<string, PackageFile>;
  manifest?: Manifest;
  manifestError?: string;
  /** Findings raised by the unpacker itself (traversal entries, bombs, oversize files). */
  findings: Finding[];
  stats: { compressedBytes: number; unpackedBytes: number; entries: number };
}

export interface ReportedPackage {
  name: string;
  version: string;
  source: string;
  integrity?: string;
  score: number;
  verdict: Verdict;
  reasons: string[];
  findings: Finding[];
  error?: string;
  timing?: { fetchMs: number; analyzeMs: number; bytes: number };
}

/** The node type used by rule visitors. */
export type AstNode = Node;
