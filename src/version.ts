import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The tool's own package.json, found by walking up from this module (works from src/ and dist/). */
function readOwnManifest(): { name: string; version: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      const m = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (m.name === 'tollgate') return { name: m.name, version: m.version ?? '0.0.0' };
    }
    dir = path.dirname(dir);
  }
  return { name: 'tollgate', version: '0.0.0' };
}

export const TOOL = readOwnManifest();
