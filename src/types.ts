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
  | 'engine';

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
  | 'dynamic-require'
  | 'sabotage'
  | 'obfuscation'
  | 'unpack-hazard'
  | 'analysis-gap';

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
}

export interface RuleMeta {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  category: Category;
  references: string[];
  /** Rule documentation: a short example of what it catches and how to suppress it. */
  docs: { example: string; suppress: string };
}

/** One file of the package as the unpacker kept it. */
export interface PackageFile {
  path: string; // relative to the package root, POSIX separators
  size: number;
  data?: Buffer; // absent when the file was over the keep limit
  mode?: number;
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
