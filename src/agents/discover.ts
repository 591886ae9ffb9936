// Finding and reading agent configs and instruction files: the I/O edge of `tollgate agents`.
// Reads only, bounded: regular files up to a size cap, a capped number of files per folder. A file
// that cannot be parsed is a per-file error and every other file is still read.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parseDocument } from 'yaml';
import { BoundedReadError, readBoundedFile } from '../io/read-bounded.js';
import { AGENT_TOOLS, INSTRUCTION_FILES, pathFor, type ConfigFormat, type Platform } from './locations.js';
import { parseToml } from './toml.js';
import type { AgentFinding, ServerEntry } from './launch.js';
import { serverEntries, settingsFindings } from './settings.js';

/** ~/.claude.json keeps per-project history and can reach megabytes; more than this is not a config. */
export const MAX_CONFIG_BYTES = 32 * 1024 * 1024;
export const MAX_INSTRUCTION_BYTES = 1024 * 1024;
const MAX_LISTED = 200;

export interface ConfigFile {
  tool: string;
  file: string;
  format: ConfigFormat;
  servers: number;
  error?: string;
}

export interface Discovery {
  configs: ConfigFile[];
  servers: ServerEntry[];
  findings: AgentFinding[];
}

export interface DiscoverOptions {
  home: string;
  project: string;
  platform: Platform;
}

/** The files a relative path names: itself, or the matching files of a folder for a `*.ext` last segment. */
function expand(root: string, rel: string): string[] {
  const parts = rel.split('/');
  const last = parts.pop()!;
  const dir = path.join(root, ...parts);
  if (!last.includes('*')) return [path.join(dir, last)];
  const suffix = last.slice(last.indexOf('*') + 1);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => !e.isDirectory() && e.name.endsWith(suffix))
    .map((e) => e.name)
    .sort()
    .slice(0, MAX_LISTED)
    .map((n) => path.join(dir, n));
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

/** The file's text, undefined when it does not exist; other failures throw with a message naming it. */
function readText(file: string, maxBytes: number, what: string): string | undefined {
  try {
    return readBoundedFile(file, { maxBytes, what }).toString('utf8');
  } catch (err) {
    if (err instanceof BoundedReadError && ABSENT.has(err.code)) return undefined;
    throw err;
  }
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

export class ConfigParseError extends Error {}

/** Parse a config's text by its format; errors name the line and what is wrong. */
export function parseConfig(text: string, format: ConfigFormat): unknown {
  const body = text.replace(/^\uFEFF/, '');
  switch (format) {
    case 'json':
      try {
        return JSON.parse(body);
      } catch (err) {
        throw new ConfigParseError(`invalid JSON (${(err as Error).message})`);
      }
    case 'jsonc': {
      const errors: ParseError[] = [];
      const v: unknown = parseJsonc(body, errors, { allowTrailingComma: true, disallowComments: false });
      if (errors.length) throw new ConfigParseError(`invalid JSON with comments: ${printParseErrorCode(errors[0]!.error)} at line ${lineOf(body, errors[0]!.offset)}`);
      return v;
    }
    case 'yaml': {
      const doc = parseDocument(body, { uniqueKeys: false });
      if (doc.errors.length) throw new ConfigParseError(`invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      return doc.toJS({ maxAliasCount: 100 }) as unknown;
    }
    case 'toml':
      try {
        return parseToml(body);
      } catch (err) {
        throw new ConfigParseError(`invalid TOML (${(err as Error).message})`);
      }
  }
}

/** Every agent config under home and project (both scopes), parsed; per-file errors kept. */
export function discoverConfigs(o: DiscoverOptions): Discovery {
  const out: Discovery = { configs: [], servers: [], findings: [] };
  const seen = new Set<string>();
  for (const tool of AGENT_TOOLS) {
    for (const loc of tool.configs) {
      const root = loc.scope === 'home' ? o.home : o.project;
      for (const file of expand(root, pathFor(loc, o.platform))) {
        const abs = path.resolve(file);
        if (seen.has(abs)) continue; // --project at the home folder: one file, read once
        seen.add(abs);
        let text: string | undefined;
        let parsed: unknown;
        try {
          text = readText(abs, MAX_CONFIG_BYTES, `${tool.name} config`);
          if (text === undefined) continue;
          parsed = parseConfig(text, loc.format);
        } catch (err) {
          const message = err instanceof ConfigParseError ? `${tool.name} config ${abs}: ${err.message}; the file was skipped, fix it or move it away` : (err as Error).message;
          out.configs.push({ tool: tool.name, file: abs, format: loc.format, servers: 0, error: message });
          continue;
        }
        const servers = serverEntries(tool.name, abs, parsed, loc.servers);
        out.servers.push(...servers);
        out.findings.push(...settingsFindings(loc.settings, parsed, abs, loc.scope));
        out.configs.push({ tool: tool.name, file: abs, format: loc.format, servers: servers.length });
      }
    }
  }
  return out;
}

export interface InstructionFile {
  /** Relative to its root, `/`-separated (what the prompt-injection rule matches on). */
  rel: string;
  file: string;
  text?: string;
  error?: string;
}

/** The agent instruction files that exist, in the project and the home folder. */
export function readInstructionFiles(o: Pick<DiscoverOptions, 'home' | 'project'>): InstructionFile[] {
  const out: InstructionFile[] = [];
  const seen = new Set<string>();
  for (const loc of INSTRUCTION_FILES) {
    const root = loc.scope === 'home' ? o.home : o.project;
    for (const file of expand(root, loc.path)) {
      if (seen.has(file)) continue;
      seen.add(file);
      const rel = path.relative(root, file).split(path.sep).join('/');
      try {
        const text = readText(file, MAX_INSTRUCTION_BYTES, 'agent instruction file');
        if (text !== undefined) out.push({ rel, file, text });
      } catch (err) {
        out.push({ rel, file, error: (err as Error).message });
      }
    }
  }
  return out;
}
