// The adversarial table (scripts/hostile): every case in its own process, so its time and peak
// memory are its own. `npm test` builds dist/ first; run the table by hand with
// `node dist/scripts/hostile/run.js`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import type { Row } from '../scripts/hostile/run.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNNER = path.join(ROOT, 'dist/scripts/hostile/run.js');

test.skipIf(!fs.existsSync(RUNNER))('every hostile case: expected outcome, under 60 s and 1.5 GB', () => {
  const rows = JSON.parse(execFileSync(process.execPath, [RUNNER, '--json'], { encoding: 'utf8', timeout: 600_000, maxBuffer: 16 * 1024 * 1024 })) as Row[];
  expect(rows.length).toBeGreaterThanOrEqual(25);
  for (const r of rows) {
    expect.soft(r.ok, `${r.name}: ${r.outcome}`).toBe(true);
    expect.soft(r.ms, `${r.name} time`).toBeLessThan(60_000);
    expect.soft(r.peakRssMB, `${r.name} memory`).toBeLessThan(1536);
  }
}, 600_000);
