import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * Benchmark workers: each measured piece runs in its own Node process, so the harness never pollutes
 * a CPU or memory figure. The parent calls the worker's methods over IPC.
 *
 * A worker is bundled with esbuild first, the way scripts/build-node.mjs bundles the app (runtime
 * dependencies external), and runs in plain Node: no TypeScript loader in the measured process.
 * A worker file ends with `export type Api = typeof api; serve(api);` and the parent imports only
 * that type, so loading the parent never starts a worker.
 */

export const ROOT = path.resolve(__dirname, '..', '..');
/**
 * Bundles go to bench/results/ (git-ignored): two levels below the root, like dist/electron/, so the
 * fakes find test/fixtures the way the bundled demo fakes do.
 */
const BUNDLE_DIR = path.join(ROOT, 'bench', 'results');

const bundles = new Map<string, Promise<string>>();
const built = new Set<string>();

/** Removes the worker bundles this process built (also done at exit; test runners may skip exit hooks). */
export function removeBundles(): void {
  for (const f of built) rmSync(f, { force: true });
  built.clear();
  bundles.clear();
}

function bundle(name: string): Promise<string> {
  let p = bundles.get(name);
  if (!p) {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> };
    // One file per bench process (a smoke test may run beside a full run), removed when it exits.
    const outfile = path.join(BUNDLE_DIR, `.worker-${name}-${process.pid}.cjs`);
    if (!built.size) process.once('exit', removeBundles);
    built.add(outfile);
    p = build({
      entryPoints: [path.join(ROOT, 'bench', 'workers', `${name}.ts`)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'warning',
      external: ['electron', 'esbuild', '@playwright/test', 'playwright-core', ...Object.keys(pkg.dependencies ?? {})],
      define: { __TALKBATCH_VERSION__: JSON.stringify(pkg.version) },
    }).then(() => outfile);
    bundles.set(name, p);
  }
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- method tables of any shape
type AnyApi = Record<string, (params: any) => unknown>;

type Request = { id: number; method: string; params: unknown };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export type ProcStats = Readonly<{
  /** Cumulative CPU time of the process (user + system), µs. */
  cpuMicros: number;
  rss: number;
  /** Peak resident set size of the process so far, bytes. */
  maxRss: number;
  heapUsed: number;
}>;

export function procStats(): ProcStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, rss: mem.rss, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: mem.heapUsed };
}

/**
 * Runs `fn` and reports this process's resident size before it and at its peak during it: sampled
 * every 10 ms, and the kernel's lifetime peak counts only when it rose during `fn`.
 */
export async function withMemory<T>(fn: () => Promise<T>): Promise<{ value: T; rssBefore: number; peakRss: number }> {
  const before = procStats();
  let peak = before.rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const value = await fn();
    const after = procStats();
    peak = Math.max(peak, after.rss, after.maxRss > before.maxRss ? after.maxRss : 0);
    return { value, rssBefore: before.rss, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}

/** Worker side: answers the parent's calls; exits when the parent goes away. */
export function serve(api: AnyApi): void {
  if (!process.send) throw new Error('A bench worker must be started by the bench (it talks over IPC)');
  const send = (m: Reply | { ready: true }) => process.send?.(m);
  process.on('message', (m: Request) => {
    void (async () => {
      try {
        let value: unknown;
        if (m.method === '__stats') value = procStats();
        else if (m.method === '__exit') {
          send({ id: m.id, ok: true, value: null });
          setImmediate(() => process.exit(0));
          return;
        } else {
          const fn = api[m.method];
          if (!fn) throw new Error(`no method ${m.method}`);
          value = await fn(m.params);
        }
        send({ id: m.id, ok: true, value });
      } catch (e) {
        send({ id: m.id, ok: false, error: String((e as Error)?.stack ?? e) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  send({ ready: true });
}

export type Worker<A extends AnyApi> = Readonly<{
  pid: number;
  call<K extends keyof A & string>(method: K, ...params: Parameters<A[K]>): Promise<Awaited<ReturnType<A[K]>>>;
  stats(): Promise<ProcStats>;
  /** Everything the worker printed (for error messages). */
  output(): string;
  close(): Promise<void>;
}>;

/** Starts `bench/workers/<name>.ts` (bundled) in a fresh Node process. */
export async function startWorker<A extends AnyApi>(name: string, o: Readonly<{ env?: NodeJS.ProcessEnv; execArgv?: readonly string[] }> = {}): Promise<Worker<A>> {
  const file = await bundle(name);
  // TALKBATCH_BENCH_CPU_PROF=<dir>: every worker writes a V8 CPU profile there (to see where time goes).
  const prof = process.env.TALKBATCH_BENCH_CPU_PROF;
  const child: ChildProcess = fork(file, [], {
    cwd: ROOT,
    execArgv: [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), ...(o.execArgv ?? [])],
    env: { ...process.env, ...(o.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  let out = '';
  const keep = (c: Buffer) => {
    out = (out + c.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`bench worker ${name} exited (${signal ?? code}) during a call:\n${out}`));
      pending.clear();
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean }) => {
      if (m.ready) {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`bench worker ${name} exited (${code}) before it was ready:\n${out}`)));
  });
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`bench worker ${name}: ${m.error}`));
  });
  let seq = 0;
  const rawCall = (method: string, params: unknown): Promise<unknown> => {
    if (exited) return Promise.reject(new Error(`bench worker ${name} has exited:\n${out}`));
    const id = ++seq;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ id, method, params } satisfies Request);
    });
  };
  return {
    pid: child.pid!,
    call: (method, ...params) => rawCall(method, params[0]) as never,
    stats: () => rawCall('__stats', null) as Promise<ProcStats>,
    output: () => out,
    close: async () => {
      if (exited) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        await Promise.race([rawCall('__exit', null), exitedPromise]);
      } catch {
        // already gone
      }
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
