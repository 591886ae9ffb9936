// Process lifecycle (issue 19, finding 8): the CLI re-executes itself with a heap limit; whatever
// happens to the process a user or supervisor started, the re-executed child must not outlive it,
// and Ctrl-C exits 130. Runs the built CLI (dist/) against a registry on 127.0.0.1 that accepts
// connections and never answers, so the scan is still running when the signal comes.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/feed/sqlite-store.js';

const BIN = path.resolve('dist/src/cli/bin.js');
let server: net.Server;
let port = 0;
const sockets = new Set<net.Socket>();
const every = new Set<net.Socket>();
let cacheDir: string;

beforeAll(async () => {
  server = net.createServer((s) => {
    sockets.add(s); // hold it open, answer nothing
    every.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-lifecycle-'));
});

afterAll(async () => {
  for (const s of every) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

function startScan(): ChildProcess {
  const env = { ...process.env, TOLLGATE_CACHE_DIR: cacheDir, NODE_OPTIONS: '' };
  delete env.TOLLGATE_CHILD;
  delete env.TOLLGATE_HEAP_MB;
  return spawn(process.execPath, [BIN, 'scan', 'left-pad@1.3.0', '--registry', `http://127.0.0.1:${port}/`, '--no-registry-signals', '--no-cache', '--cache', path.join(cacheDir, 'dl'), '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Poll `cond` every 50 ms; false after `ms` (a generous bound: these happen within milliseconds). */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** Wait until the scan is connected to the silent registry (so it is mid-run). */
const connected = () => until(() => sockets.size > 0, 30_000);

describe.runIf(process.platform === 'linux' && fs.existsSync(BIN))('CLI process lifecycle', () => {
  it('kill -9 of the parent: the re-executed child exits too', async () => {
    sockets.clear();
    const parent = startScan();
    expect(await connected()).toBe(true);
    const [child] = childrenOf(parent.pid!);
    expect(child).toBeDefined();
    parent.kill('SIGKILL');
    expect(await until(() => !alive(child!), 15_000)).toBe(true);
  }, 60_000);

  it('Ctrl-C (SIGINT) exits 130 with a terminated last line', async () => {
    sockets.clear();
    const parent = startScan();
    let stderr = '';
    parent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await connected()).toBe(true);
    const children = childrenOf(parent.pid!);
    const code = new Promise<number | null>((resolve) => parent.on('exit', (c) => resolve(c)));
    parent.kill('SIGINT');
    expect(await code).toBe(130);
    expect(stderr).toMatch(/tollgate: interrupted\n$/);
    for (const c of children) expect(await until(() => !alive(c), 15_000)).toBe(true);
  }, 60_000);

  it('kill -9 of a watch parent: the child stops and the store can be taken over', async () => {
    sockets.clear();
    const store = path.join(cacheDir, 'watch.sqlite');
    const env = { ...process.env, TOLLGATE_CACHE_DIR: cacheDir, NODE_OPTIONS: '' };
    delete env.TOLLGATE_CHILD;
    // The feed is the silent server: the watch is mid-poll, holding the store, when its parent dies.
    const parent = spawn(process.execPath, [BIN, 'watch', '--changes-url', `http://127.0.0.1:${port}/`, '--registry', `http://127.0.0.1:${port}/`, '--store', store, '--since', '0', '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(await connected()).toBe(true);
    const [child] = childrenOf(parent.pid!);
    expect(child).toBeDefined();
    parent.kill('SIGKILL');
    expect(await until(() => !alive(child!), 40_000)).toBe(true);
    const next = SqliteStore.open(store);
    try {
      expect(() => next.acquire()).not.toThrow();
    } finally {
      await next.close();
    }
  }, 90_000);
});
