// Which guarded commands download past the proxy, and what the guard does about it. yarn 1 fetches
// the `resolved` URL a yarn.lock records as written, whatever registry is configured (verified with
// yarn 1.22: the proxy saw no request); bun does the same with the tarball URL a bun.lock records
// for a package from a registry other than npm's (verified with bun 1.4: it went to the recorded
// host). So the guard checks those tarballs itself before the command starts (preflight.ts).
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

const bare = (p: string): string => path.basename(p).replace(/\.(?:c?js|cmd|exe)$/i, '');

/**
 * Whether `argv` runs yarn: `yarn`, `yarnpkg`, or node running a yarn script (a project's
 * `yarnPath` release such as `.yarn/releases/yarn-1.22.22.cjs`, or `.../yarn/bin/yarn.js`).
 */
export function runsYarn(argv: readonly string[]): boolean {
  const tool = bare(argv[0] ?? '');
  if (tool === 'yarn' || tool === 'yarnpkg') return true;
  if (tool !== 'node' && tool !== 'nodejs') return false;
  const script = argv.slice(1).find((a) => !a.startsWith('-'));
  return !!script && /^yarn(?:-\d[\w.-]*)?\.c?js$/i.test(path.basename(script));
}

/** Whether `argv` runs bun (a native binary: `bun` or `bunx`). */
export function runsBun(argv: readonly string[]): boolean {
  const tool = bare(argv[0] ?? '');
  return tool === 'bun' || tool === 'bunx';
}

/** A lockfile whose recorded tarball URLs the command downloads as written, past the proxy. */
export interface DirectLockfile {
  file: string;
  manager: 'yarn 1' | 'bun';
}

/** The lockfile that `argv` run from `cwd` would install from past the proxy, if any. */
export function lockfileFetchedDirectly(argv: readonly string[], cwd: string): DirectLockfile | undefined {
  if (runsYarn(argv)) {
    const file = path.join(cwd, 'yarn.lock');
    return head(file, 200).includes(YARN1_HEADER) ? { file, manager: 'yarn 1' } : undefined;
  }
  if (runsBun(argv)) {
    const file = path.join(cwd, 'bun.lock');
    return head(file, 1).length ? { file, manager: 'bun' } : undefined;
  }
  return undefined;
}
