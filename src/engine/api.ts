/**
 * What a rule (heuristics/) may use of the engine, and the only engine module it imports; the
 * shared vocabulary beside this file (catalog.ts, indicators.ts, ai-indicators.ts: lists of facts,
 * not code paths) it imports directly. Everything else under src/engine is the engine's own
 * business, so parse/, prefilter/, semantics/ and run/ can change shape without touching a rule.
 * test/import-cycles.test.ts fails when a rule imports past this file.
 *
 * A rule that needs something new from the engine adds it here, by name.
 */

// The rule contract and the runner's helpers for rules (run/).
export { defineRule, reportMatches, type BodyHints, type CallInfo, type FileContext, type PackageContext, type Rule } from './run/rule.js';

// Which files are code (parse/).
export { isCodeFile } from './parse/parse.js';

// Invisible code points measured in source text (prefilter/).
export { measureInvisible, PAYLOAD_RUN, type InvisibleKind } from './prefilter/invisible.js';

// Shared services over the syntax tree (semantics/): the tree, the evaluator, flows, effects.
export { descendants, parentOf } from './semantics/walk.js';
export { HOLE, UNKNOWN, type Evaluator } from './semantics/evaluate.js';
export { areAlternatives, describePath, type Hop, type Taint } from './semantics/flows.js';
export { commandCandidates, normalizeShellPath, pathCandidates, programOf, runsOnLoad, shellWriteTargets, taggedCommand, writeTarget } from './semantics/effects.js';
export { DNS_CALLS, NETWORK_CALLS, STREAM_WRITE, destinationOf, normalizeChain } from './semantics/network-calls.js';
export { installCommandLines, splitShell } from './semantics/scripts.js';
export { packageConfigSettings, type ConfigSetting } from './semantics/package-config.js';
