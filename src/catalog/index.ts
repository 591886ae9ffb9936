import { CREDENTIAL_PATHS, EXFIL_ENDPOINTS, RECON_ENDPOINTS } from '../engine/indicators.js';
import { AGENT_CONFIG_PATHS, AI_KEY_ENV } from '../engine/ai-indicators.js';
import { DEAD_DROP_URLS } from '../engine/catalog.js';
import { hintSource, type Hinted } from './hints.js';

/**
 * The catalog: every host, path and key name a rule tests, in one list, each with the text it needs
 * (`hint`) and an example. The lists themselves stay beside the code that reads them
 * (engine/indicators.ts, engine/ai-indicators.ts, engine/catalog.ts); this module gathers them so
 * that tier 0 (engine/lexical.ts) and the rules' body hints are generated from the same entries, and
 * so that test/catalog.test.ts walks every entry through tier 0, the lazy tier and its rule.
 * Adding a sink is one line in its list; nothing here changes.
 *
 * It imports lists only (no rule, no tier), so every tier can import it without a cycle.
 */

/** How a catalog entry is used in code, which decides the snippet its test builds. */
export type CatalogKind = 'endpoint' | 'recon' | 'dead-drop' | 'credential-path' | 'agent-config' | 'ai-key';

export interface CatalogEntry extends Hinted {
  kind: CatalogKind;
  label: string;
}

const tag = (kind: CatalogKind, list: readonly (Hinted & { label?: string; provider?: string })[]): CatalogEntry[] =>
  list.map((e) => ({ kind, label: e.label ?? e.provider ?? e.example, hint: e.hint, example: e.example }));

export const CATALOG: readonly CatalogEntry[] = [
  ...tag('endpoint', EXFIL_ENDPOINTS),
  ...tag('recon', RECON_ENDPOINTS),
  ...tag('dead-drop', DEAD_DROP_URLS),
  ...tag('credential-path', CREDENTIAL_PATHS),
  ...tag('agent-config', AGENT_CONFIG_PATHS),
  ...tag('ai-key', AI_KEY_ENV),
];

/** Hosts and URL shapes: tier-0 triggers wherever they appear (a URL is one word). */
export const HOST_HINTS = hintSource([...EXFIL_ENDPOINTS, ...RECON_ENDPOINTS, ...DEAD_DROP_URLS]);

/** Credential and agent-config paths: tier-0 triggers inside strings (paths are written as strings). */
export const PATH_HINTS = hintSource([...CREDENTIAL_PATHS, ...AGENT_CONFIG_PATHS]);

/** AI key names: tier-0 triggers after `process.env.` (engine/lexical.ts, through AI_KEY_HINT). */
export const AI_KEY_HINTS = hintSource(AI_KEY_ENV);
