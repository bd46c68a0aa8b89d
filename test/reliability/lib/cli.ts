import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The real `talkbatch` command in child processes (`node bin/talkbatch.cjs …`), against the bundle that
 * `npm run build:node` makes; rebuilt first when any source it is made from is newer.
 */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(ROOT, 'bin', 'talkbatch.cjs');
const CLI = path.join(ROOT, 'dist', 'electron', 'cli.cjs');

function newestSource(): number {
  let newest = 0;
  const visit = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, f.name);
      if (f.isDirectory()) visit(abs);
      else if (/\.(ts|mjs|json)$/.test(f.name)) newest = Math.max(newest, statSync(abs).mtimeMs);
    }
  };
  for (const d of ['electron', 'shared', 'test/fakes']) visit(path.join(ROOT, d));
  return Math.max(newest, statSync(path.join(ROOT, 'scripts', 'build-node.mjs')).mtimeMs);
}

export function ensureCliBuilt(): void {
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < newestSource()) execFileSync('npm', ['run', '--silent', 'build:node'], { cwd: ROOT, stdio: 'pipe' });
}

/** The environment without the machine's own TALKBATCH_* variables (keys, data dir, base URLs). */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TALKBATCH_'))), ...extra };
}

export type Exit = Readonly<{ code: number | null; signal: NodeJS.Signals | null }>;

export type CliRun = Readonly<{
  child: ChildProcess;
  /** stdout and stderr as they arrive. */
  stdout: () => string;
  stderr: () => string;
  output: () => string;
  exited: Promise<Exit>;
  alive: () => boolean;
  /** SIGKILL now (no cleanup of any kind can run); resolves when the process is gone. */
  kill: () => Promise<Exit>;
}>;

const running = new Set<ChildProcess>();

export function talkbatch(args: readonly string[], o: Readonly<{ cwd: string; env: NodeJS.ProcessEnv; stdin?: string }>): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  let all = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    all += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    all += c.toString();
  });
  child.stdin!.end(o.stdin ?? '');
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => all,
    exited,
    alive,
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      return await exited;
    },
  };
}

/** Kills every child this module started that is still running (afterAll). */
export function killAll(): void {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Resolves when `check` holds, re-checked every 10 ms; rejects after `timeoutMs` (with the CLI output if given). */
export async function until(check: () => boolean, what: string, timeoutMs: number, run?: CliRun): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${run ? `\n--- talkbatch output ---\n${run.output().slice(-4000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for the process to exit, or kills it and fails after `timeoutMs`. */
export async function exitOf(run: CliRun, timeoutMs: number, what: string): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void run.kill();
      reject(new Error(`${what} did not finish within ${timeoutMs} ms\n--- talkbatch output ---\n${run.output().slice(-4000)}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
