// What a guarded command may install past the proxy, said before it runs. yarn 1 fetches the
// `resolved` URL a yarn.lock records as written, whatever registry is configured (verified with
// yarn 1.22: the proxy saw no request), so its lockfile installs are not guarded.
import fs from 'node:fs';
import path from 'node:path';

const YARN1_HEADER = '# yarn lockfile v1';

/** The first bytes of a file, or '' (missing, unreadable, not a regular file). */
function head(file: string, bytes: number): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    if (!fs.fstatSync(fd).isFile()) return '';
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, fs.readSync(fd, buf, 0, bytes, 0)).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Warnings for `argv` run from `cwd`: empty when everything it downloads from the registry goes through the proxy. */
export function coverageWarnings(argv: readonly string[], cwd: string): string[] {
  const tool = path.basename(argv[0] ?? '').replace(/\.(?:c?js|cmd|exe)$/i, '');
  if (tool !== 'yarn' && tool !== 'yarnpkg') return [];
  if (!head(path.join(cwd, 'yarn.lock'), 200).includes(YARN1_HEADER)) return [];
  return [
    `yarn.lock here is a yarn 1 lockfile: if yarn 1 runs, it downloads the URLs recorded in it directly, past the guard. Run \`tollgate audit\` on it, or install once with a fresh lockfile through the guard.`,
  ];
}
