// Throwaway Redis and PostgreSQL servers for the distributed-mode tests and `npm run bench:feed`:
// a fresh temp folder, a free loopback port, no persistence, nothing outside the temp folder.
// Shared by test/helpers/services.ts and scripts/bench-feed.ts (scripts cannot import test/).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface Service {
  /** redis://127.0.0.1:PORT or postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Stop the server (fast shutdown, then SIGKILL after a few seconds) and delete its folder. */
  stop(): Promise<void>;
}

/** Why a service cannot be started here (binary missing), or undefined when it can. */
export function redisMissing(): string | undefined {
  return findRedis() ? undefined : 'redis-server not found (PATH, /usr/bin, /usr/local/bin, or REDIS_SERVER): apt-get install redis-server';
}
export function postgresMissing(): string | undefined {
  return findPostgresBin() ? undefined : 'PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin or PG_BIN): apt-get install postgresql';
}

function findRedis(): string | undefined {
  const candidates = [process.env.REDIS_SERVER, ...(process.env.PATH ?? '').split(path.delimiter).map((d) => d && path.join(d, 'redis-server')), '/usr/bin/redis-server', '/usr/local/bin/redis-server'];
  return candidates.find((c): c is string => !!c && isExecutable(c));
}

function findPostgresBin(): string | undefined {
  if (process.env.PG_BIN && isExecutable(path.join(process.env.PG_BIN, 'postgres'))) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  return versions.map((v) => path.join(root, v, 'bin')).find((d) => isExecutable(path.join(d, 'postgres')) && isExecutable(path.join(d, 'initdb')));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A port the kernel just handed out on 127.0.0.1 (tiny race with other processes; callers retry). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collect a child's output (bounded) so a failed start can say why. */
function captureOutput(child: ChildProcess): () => string {
  let out = '';
  const add = (d: Buffer) => {
    if (out.length < 16_000) out += d.toString('utf8');
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out.trim().slice(-4000);
}

async function waitFor(what: string, deadlineMs: number, child: ChildProcess, output: () => string, probe: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${output()}`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready within ${deadlineMs} ms:\n${output()}`);
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * A server still running when this process exits (crash, forgotten stop, Ctrl-C turned into
 * process.exit) is killed with it and its folder removed.
 */
const running = new Map<ChildProcess, string>();
let exitHook = false;
function track(child: ChildProcess, dir: string): void {
  running.set(child, dir);
  child.once('exit', () => running.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const [c, d] of running) {
        c.kill('SIGKILL');
        fs.rmSync(d, { recursive: true, force: true });
      }
    });
  }
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.setTimeout(1000, () => sock.destroy());
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n')) sock.end();
    });
    sock.on('close', () => resolve(got.startsWith('+PONG')));
    sock.on('error', () => resolve(false));
  });
}

interface Launch {
  what: string;
  child: ChildProcess;
  url: string;
  ready: () => Promise<boolean>;
  timeoutMs: number;
  stop: { signal: NodeJS.Signals; ms: number };
}

/**
 * Start a server on a free port and wait until it answers; on failure (typically the port taken
 * between probing and binding) try again on another port, three times. `dir` is removed on stop.
 */
async function startOnFreePort(dir: string, launch: (port: number) => Launch): Promise<Service> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const l = launch(port);
    track(l.child, dir);
    const output = captureOutput(l.child);
    try {
      await waitFor(l.what, l.timeoutMs, l.child, output, l.ready);
      return {
        url: l.url,
        port,
        stop: async () => {
          await stopChild(l.child, l.stop.signal, l.stop.ms);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
      await stopChild(l.child, 'SIGKILL', 1000);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** A Redis server on 127.0.0.1 with no RDB/AOF persistence, its working dir a fresh temp folder. */
export async function startRedis(options: { startTimeoutMs?: number } = {}): Promise<Service> {
  const bin = findRedis();
  if (!bin) throw new Error(redisMissing());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-redis-'));
  return startOnFreePort(dir, (port) => ({
    what: `redis-server on port ${port}`,
    // Every setting on the command line: no config file is read, nothing is written outside `dir`.
    child: spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', ''], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    url: `redis://127.0.0.1:${port}`,
    ready: () => redisPing(port),
    timeoutMs: options.startTimeoutMs ?? 15_000,
    stop: { signal: 'SIGTERM', ms: 5000 },
  }));
}

/** uid/gid of the `postgres` OS user (created by Debian's package), from /etc/passwd. */
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    const [, , uid, gid] = line?.split(':') ?? [];
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
  } catch {
    return undefined;
  }
}

function runToEnd(cmd: string, args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv }, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = captureOutput(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${output()}`));
    });
  });
}

/**
 * A PostgreSQL cluster in a fresh temp folder, listening on 127.0.0.1 only, trust auth, fsync off
 * (throwaway data). PostgreSQL refuses to run as root, so as root it runs as the `postgres` user
 * (spawn's uid/gid: the pid we hold is the postmaster itself, so stop() signals the right process).
 */
export async function startPostgres(options: { startTimeoutMs?: number } = {}): Promise<Service> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresMissing());
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? postgresUser() : undefined;
  if (asRoot && !user) throw new Error('running as root and there is no `postgres` OS user to run PostgreSQL as (PostgreSQL refuses root): install the postgresql package, which creates it');
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-pg-'));
  const data = path.join(dir, 'data');
  if (user) fs.chownSync(dir, user.uid, user.gid);
  // LC_ALL=C: initdb needs a locale that exists; C always does.
  const env = { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  try {
    await runToEnd(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...ids, env }, 60_000);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return startOnFreePort(dir, (port) => {
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      what: `postgres on port ${port}`,
      child: spawn(
        path.join(bin, 'postgres'),
        ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
        { ...ids, env, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
      url,
      ready: async () => {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      timeoutMs: options.startTimeoutMs ?? 30_000,
      // SIGINT = "fast" shutdown: disconnect clients, stop now.
      stop: { signal: 'SIGINT', ms: 10_000 },
    };
  });
}
