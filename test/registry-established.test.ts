import { expect, test } from 'vitest';
import { registryMetadata } from '../src/registry/metadata.js';
import type { Packument } from '../src/registry/packument.js';

const DAY = 24 * 3600 * 1000;
const START = Date.parse('2020-01-01T00:00:00Z');

/** A packument with `releases` versions, one every `everyDays` days from START. */
function history(releases: number, everyDays: number): { p: Packument; last: string; now: number } {
  const versions: Record<string, { name: string; version: string }> = {};
  const time: Record<string, string> = { created: new Date(START).toISOString() };
  let last = '';
  for (let i = 0; i < releases; i++) {
    last = `1.${i}.0`;
    versions[last] = { name: 'cloud-tool', version: last };
    time[last] = new Date(START + i * everyDays * DAY).toISOString();
  }
  return { p: { name: 'cloud-tool', versions, time } as unknown as Packument, last, now: START + releases * everyDays * DAY };
}

function established(releases: number, everyDays: number) {
  const { p, last, now } = history(releases, everyDays);
  return registryMetadata({ packument: p, version: last, meta: p.versions[last]!, files: ['README.md'], now }).filter((f) => f.signals?.includes('registry:established'));
}

test('a name with years of releases before this one is established', () => {
  const found = established(30, 60); // 29 releases over ~4.8 years before the last
  expect(found).toEqual([expect.objectContaining({ severity: 'info', message: expect.stringMatching(/^established name: first published 2020-01-01, 29 releases before this one$/) })]);
});

test('a young name, or an old one with few releases, is not', () => {
  expect(established(30, 10)).toEqual([]); // 29 releases in under a year
  expect(established(5, 400)).toEqual([]); // over four years, 4 releases before
});
