import type { PackageFile } from '../../types.js';
import { resolveInPackage } from './graph.js';

/** A parsed JSON document: data, never code. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * JSON files of the package larger than this are not read for folding: package.json, version and
 * config files are small; a data dump of megabytes holds nothing a path or command is built from.
 */
export const MAX_JSON_MODULE_BYTES = 256 * 1024;

/** What a file of the package gets when it requires one of the package's own JSON files. */
export interface DataModules {
  /** The parsed value of `require(spec)` from this file, when spec names a JSON file of the package. */
  json(spec: string): Json | undefined;
}

/**
 * `require('./package.json')`, `require('../config.json')`: the package's own JSON files, as
 * Node would load them (relative to the requiring file, BOM stripped), parsed once per file. The
 * text is untrusted: it is parsed as data (JSON.parse builds no code and runs none), bounded in
 * size, and a file that is missing, too large, partial or not valid JSON gives undefined.
 */
export function dataModules(files: ReadonlyMap<string, PackageFile>, maxBytes = MAX_JSON_MODULE_BYTES): { forFile(from: string): DataModules } {
  const parsed = new Map<string, Json | undefined>();
  const load = (file: string): Json | undefined => {
    if (parsed.has(file)) return parsed.get(file);
    const f = files.get(file);
    let value: Json | undefined;
    if (f?.data && !f.partial && f.size <= maxBytes && f.data.length <= maxBytes) {
      try {
        value = JSON.parse(f.data.toString('utf8').replace(/^\uFEFF/, '')) as Json;
      } catch {
        value = undefined; // invalid JSON (or nesting the parser refuses): nothing to fold
      }
    }
    parsed.set(file, value);
    return value;
  };
  let names: Set<string> | undefined; // built on the first JSON require, once per package
  return {
    forFile(from: string): DataModules {
      // Decoded payloads (`lib/x.js#decoded@12`) require relative to the file that holds them.
      const origin = from.replace(/#.*$/, '');
      return {
        json(spec: string): Json | undefined {
          if (!/^\.{1,2}(?:\/|$)/.test(spec)) return undefined;
          const target = resolveInPackage((names ??= new Set(files.keys())), origin, spec);
          return target && target.endsWith('.json') ? load(target) : undefined;
        },
      };
    },
  };
}
