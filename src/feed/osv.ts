// OSV records for malicious versions, in the shape of the OpenSSF malicious-packages repository
// (github.com/ossf/malicious-packages, osv/malicious/npm/<name>/MAL-*.json). Records contributed
// by a source before the repository assigns a MAL-YYYY-N id are named
// `MAL-0000-<source>-<first 16 hex of a sha256>` and list the source under
// database_specific["malicious-packages-origins"]; ours use the source name `tollgate`, so --osv-dir
// can point at a checkout of that repository and the files land where a pull request wants them.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { WatchResult } from './types.js';
import { TOOL } from '../version.js';

export const OSV_SCHEMA_VERSION = '1.7.4';
export const OSV_SOURCE = 'tollgate';

export interface OsvRecord {
  modified: string;
  published: string;
  schema_version: string;
  id: string;
  summary: string;
  details: string;
  affected: {
    package: { ecosystem: 'npm'; name: string; purl: string };
    versions: string[];
    database_specific: { cwes: { cweId: string; name: string; description: string }[] };
  }[];
  references: { type: 'PACKAGE'; url: string }[];
  credits: { name: string; type: 'FINDER' }[];
  database_specific: {
    'malicious-packages-origins': { source: string; sha256: string; modified_time: string; versions: string[] }[];
    tollgate: { version: string; score: number; integrity: string | null; findings: { rule: string; severity: string; message: string; file: string | null; line: number | null }[] };
  };
}

/**
 * npm names the record can be filed under: a lowercase-ish name, optionally scoped, no path tricks.
 * A feed is untrusted input, and the name becomes a folder.
 */
export function safePackageName(name: string): boolean {
  return name.length <= 214 && /^(?:@[a-zA-Z0-9~-][a-zA-Z0-9._~-]*\/)?[a-zA-Z0-9~-][a-zA-Z0-9._~-]*$/.test(name);
}

/** purl of an npm package (the scope's @ encoded, as the purl spec says). */
export function npmPurl(name: string): string {
  return `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}`;
}

/** The origin hash: one per name, version and tarball, so a re-published tarball gets its own record. */
export function originSha256(r: Pick<WatchResult, 'name' | 'version' | 'integrity'>): string {
  return createHash('sha256').update(`npm\0${r.name}\0${r.version}\0${r.integrity ?? ''}`).digest('hex');
}

/** `2025-11-24T22:41:42Z`: the repository's records use whole seconds. */
const osvTime = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function osvRecord(r: WatchResult): OsvRecord {
  const sha = originSha256(r);
  const id = `MAL-0000-${OSV_SOURCE}-${sha.slice(0, 16)}`;
  const at = osvTime(r.scannedAt);
  const strong = r.findings.filter((f) => f.severity === 'critical' || f.severity === 'high');
  const shown = (strong.length ? strong : r.findings).slice(0, 12);
  const details = [
    `Tollgate static analysis identified '${r.name}' @ ${r.version} (npm) as malicious (score ${r.score}/100)${r.integrity ? `, tarball ${r.integrity}` : ''}.`,
    '',
    'It is considered malicious because:',
    '',
    ...(r.reasons.length ? r.reasons : ['see the findings below']).map((x) => `- ${x}`),
    '',
    'Findings:',
    '',
    ...shown.map((f) => `- [${f.severity}] ${f.rule}: ${f.message}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}`),
    '',
    'The package was analyzed statically; none of its code was run.',
  ].join('\n');
  return {
    modified: at,
    published: at,
    schema_version: OSV_SCHEMA_VERSION,
    id,
    summary: `Malicious code in ${r.name} (npm)`,
    details,
    affected: [
      {
        package: { ecosystem: 'npm', name: r.name, purl: npmPurl(r.name) },
        versions: [r.version],
        database_specific: {
          cwes: [{ cweId: 'CWE-506', name: 'Embedded Malicious Code', description: 'The product contains code that appears to be malicious in nature.' }],
        },
      },
    ],
    references: [{ type: 'PACKAGE', url: `https://www.npmjs.com/package/${r.name}/v/${encodeURIComponent(r.version)}` }],
    credits: [{ name: `Tollgate ${TOOL.version}`, type: 'FINDER' }],
    database_specific: {
      'malicious-packages-origins': [{ source: OSV_SOURCE, sha256: sha, modified_time: at, versions: [r.version] }],
      tollgate: {
        version: TOOL.version,
        score: r.score,
        integrity: r.integrity,
        findings: shown.map((f) => ({ rule: f.rule, severity: f.severity, message: f.message, file: f.file, line: f.line })),
      },
    },
  };
}

/** Where the record goes under --osv-dir, mirroring the repository: osv/malicious/npm/<name>/<id>.json. */
export function osvRecordPath(dir: string, record: OsvRecord): string {
  const name = record.affected[0]!.package.name;
  if (!safePackageName(name)) throw new Error(`package name ${JSON.stringify(name)} cannot be used as a folder name; no OSV record written`);
  return path.join(dir, 'osv', 'malicious', 'npm', ...name.split('/'), `${record.id}.json`);
}
