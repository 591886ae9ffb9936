import type { Manifest } from '../types.js';

const MAX_MANIFEST_BYTES = 5 * 1024 * 1024;
const MAX_MANIFEST_DEPTH = 64;

/** Depth of a parsed JSON value, iteratively (a recursive walk is what such input attacks). */
function nestingDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max > MAX_MANIFEST_DEPTH) return max;
    if (v && typeof v === 'object') for (const c of Object.values(v)) if (c && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copy a string map into a null-prototype object, so keys such as "__proto__" stay plain data. */
function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = Object.create(null);
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

/**
 * Parse package.json defensively: bounded size, no prototype pollution, and only the fields the
 * analyzer relies on are normalised. The raw object stays available for rules that want more.
 */
export function parseManifest(data: Buffer): { manifest?: Manifest; error?: string } {
  if (data.length > MAX_MANIFEST_BYTES) return { error: `package.json is ${data.length} bytes (limit ${MAX_MANIFEST_BYTES})` };
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (!isRecord(raw)) return { error: 'package.json is not a JSON object' };
  const depth = nestingDepth(raw);
  if (depth > MAX_MANIFEST_DEPTH) return { error: `package.json nests ${depth}+ levels deep (real manifests stay under 10); refusing to use it` };
  const m: Manifest = Object.create(null);
  for (const [k, v] of Object.entries(raw)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    m[k] = v;
  }
  m.name = typeof raw.name === 'string' ? raw.name : undefined;
  m.version = typeof raw.version === 'string' ? raw.version : undefined;
  m.main = typeof raw.main === 'string' ? raw.main : undefined;
  m.scripts = stringMap(raw.scripts);
  if (typeof raw.bin === 'string') m.bin = raw.bin;
  else m.bin = stringMap(raw.bin);
  m.gypfile = raw.gypfile === true;
  return { manifest: m };
}
