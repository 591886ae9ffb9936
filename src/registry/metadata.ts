// Small registry signals: each is common among throwaway malicious packages and also among honest
// new ones, so each weighs little on its own (the scorer lets them raise code evidence, never decide).
import type { Finding, Severity, Signal } from '../types.js';
import type { Packument, Person, VersionMeta } from './packument.js';

/** Throwaway-mailbox domains seen on npm maintainer accounts of malicious packages. */
export const DISPOSABLE_EMAIL_DOMAINS = new Set([
  'mailinator.com', 'guerrillamail.com', 'guerrillamail.net', 'sharklasers.com', 'grr.la', '10minutemail.com', '10minutemail.net', 'temp-mail.org',
  'tempmail.com', 'tempmail.net', 'tempmailo.com', 'yopmail.com', 'yopmail.net', 'getnada.com', 'nada.email', 'dispostable.com', 'maildrop.cc',
  'mailnesia.com', 'trashmail.com', 'throwawaymail.com', 'fakeinbox.com', 'mohmal.com', 'emailondeck.com', 'tempr.email', 'mintemail.com',
  'mail.tm', 'inboxkitten.com', 'burnermail.io', 'spamgourmet.com', 'moakt.com', 'tmpmail.org', 'tmail.ws', 'emltmp.com', 'dropmail.me',
  'mailpoof.com', 'mytemp.email', 'tempail.com', 'byom.de', 'cock.li', 'bugfoo.com', 'wuuvo.com', 'dcctb.com', 'kvhrs.com', 'mailto.plus',
]);

const DAY = 24 * 3600 * 1000;
/** How long a name must have been publishing, and how many releases, to count as established. */
const ESTABLISHED_YEARS = 2;
const ESTABLISHED_RELEASES = 10;

export interface MetadataInput {
  packument: Packument;
  version: string;
  /** The version's registry manifest. */
  meta: VersionMeta;
  /** Files in the tarball (for the readme). */
  files: Iterable<string>;
  /** package.json from the tarball. */
  tarballRepository?: unknown;
  now: number;
}

/** When the package first appeared: `time.created`, else its oldest version (some mirrors omit created). */
export function firstPublished(p: Packument): number | undefined {
  const created = p.time.created ? Date.parse(p.time.created) : NaN;
  if (Number.isFinite(created)) return created;
  const times = Object.keys(p.versions).map((v) => Date.parse(p.time[v] ?? '')).filter(Number.isFinite);
  return times.length ? Math.min(...times) : undefined;
}

export function registryMetadata(input: MetadataInput): Finding[] {
  const { packument: p, meta, now } = input;
  const out: Finding[] = [];
  const add = (severity: Severity, message: string, evidence: string, signals?: Signal[]) => out.push({ rule: 'registry-metadata', severity, message, evidence, ...(signals ? { signals } : {}) });

  const first = firstPublished(p);
  if (first !== undefined && now - first < 7 * DAY && now >= first) {
    const days = Math.max(0, Math.floor((now - first) / DAY));
    add('low', `package first published ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} ago`, `created ${new Date(first).toISOString()}`, ['registry:new-package']);
  }
  const count = Object.keys(p.versions).length;
  if (count === 1) add('info', 'the only version ever published', `${count} version`);
  // A typosquat is a new name made to be mistaken for another. A name with years of releases
  // before this version has a history of its own; a takeover of it is the release diff's to judge.
  const published = Date.parse(p.time[input.version] ?? '');
  const before = Object.keys(p.versions).filter((v) => Date.parse(p.time[v] ?? '') < published).length;
  if (first !== undefined && Number.isFinite(published) && published - first >= ESTABLISHED_YEARS * 365 * DAY && before >= ESTABLISHED_RELEASES) {
    add('info', `established name: first published ${new Date(first).toISOString().slice(0, 10)}, ${before} releases before this one`, `created ${new Date(first).toISOString()}; ${before} earlier versions`, ['registry:established']);
  }

  const hasRepo = !!(meta.repository ?? input.tarballRepository ?? p.repository);
  const hasReadme = [...input.files].some((f) => /^readme(\.|$)/i.test(f)) || p.hasReadme === true;
  if (!hasRepo && !hasReadme) add('info', 'no source repository and no readme', 'repository: none; README: none');
  else if (!hasRepo) add('info', 'no source repository in the metadata', 'repository: none');

  const people: Person[] = [...(meta.maintainers ?? []), ...(meta._npmUser ? [meta._npmUser] : []), ...(p.maintainers ?? [])];
  const disposable = [...new Set(people.map((m) => (m.email ?? '').toLowerCase().split('@')[1] ?? '').filter((d) => DISPOSABLE_EMAIL_DOMAINS.has(d)))];
  if (disposable.length) add('medium', `maintainer or publisher uses a disposable email address (${disposable.join(', ')})`, disposable.join(', '), ['registry:new-publisher']);

  if (meta.deprecated) add('info', `this version is deprecated: ${String(meta.deprecated).slice(0, 160)}`, 'deprecated');
  return out;
}
