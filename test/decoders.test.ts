// Decoders the folding rules do not know (issue 18, item 1): each malicious fixture hides its sink
// behind a routine of its own (XOR with a key, rot-N, reversed or chunked base64, code point
// arithmetic, a lookup table, a rotated string array, variation selectors) and must come out
// `malicious`, with the decoded sink shown; its benign twin runs the same kind of decoder to get
// a UI string (or, for variation selectors, shows emoji) and must be `clean`.
//
// The fixtures are inert (collector.invalid, 203.0.113.7) and only read, never run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { scanFiles } from './helpers/analyze.js';

const ROOT = fileURLToPath(new URL('../fixtures/decoders/', import.meta.url));

/** What the scan must show for each malicious fixture: the decoded sink or destination. */
const SHOWN: Record<string, RegExp> = {
  '01-xor-key': /curl -s https:\/\/collector\.invalid\/p\.sh/,
  '02-rot-n': /curl -s https:\/\/collector\.invalid\/r\.sh/,
  '03-reversed-base64': /collector\.invalid|decoded and analyzed/,
  '04-chunked-base64': /curl -s https:\/\/collector\.invalid\/x\.sh/,
  '05-codepoint-arithmetic': /203\.0\.113\.7|NPM_TOKEN/,
  '06-table-lookup': /curl -s https:\/\/collector\.invalid\/t\.sh/,
  '07-string-array-rotation': /curl -s https:\/\/collector\.invalid\/y\.sh/,
  '08-variation-selectors': /collector\.invalid|decoded and analyzed/,
  '09-tag-characters': /collector\.invalid|decoded and analyzed/,
};

function load(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of fs.readdirSync(dir)) out[f] = fs.readFileSync(path.join(dir, f));
  return out;
}

const cases = fs.readdirSync(ROOT).filter((d) => fs.statSync(path.join(ROOT, d)).isDirectory()).sort();

describe('decoder fixtures', () => {
  test('every shape has a malicious fixture, a benign twin and an expectation', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
    for (const c of cases) {
      expect(fs.existsSync(path.join(ROOT, c, 'malicious', 'index.js')), c).toBe(true);
      expect(fs.existsSync(path.join(ROOT, c, 'benign', 'index.js')), c).toBe(true);
      expect(SHOWN[c], c).toBeDefined();
    }
  });

  describe.each(cases)('%s', (c) => {
    test('malicious, with the decoded sink shown', () => {
      const r = scanFiles(load(path.join(ROOT, c, 'malicious')));
      const text = [...r.reasons, ...r.findings.map((f) => `${f.message} ${f.evidence ?? ''}`)].join('\n');
      const dump = `${r.verdict} ${r.score}\n${r.findings.map((f) => `${f.severity} ${f.rule}: ${f.message}`).join('\n')}`;
      expect(r.verdict, dump).toBe('malicious');
      expect(text, dump).toMatch(SHOWN[c]!);
    });

    test('benign twin is clean', () => {
      const r = scanFiles(load(path.join(ROOT, c, 'benign')));
      expect(r.verdict, r.findings.map((f) => `${f.severity} ${f.rule}: ${f.message}`).join('\n')).toBe('clean');
    });
  });
});
