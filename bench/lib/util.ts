import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** The fakes' seeded PRNG (mulberry32): the same run draws the same render times. */
export { seededRandom as rng } from '../../test/fakes/base';

export function median(xs: readonly number[]): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

/**
 * The provider clock of a compressed-time run: real time from `t0` on, sped up `1 / timeScale` times.
 * The fakes and the adapters read it (as a provider and its client share one clock); the engine keeps
 * real time and scales its own waits by timeScale.
 */
export function providerClock(t0: number, timeScale: number): () => number {
  return timeScale === 1 ? Date.now : () => t0 + (Date.now() - t0) / timeScale;
}

/** A real (engine) time on the provider clock of `providerClock(t0, timeScale)`. */
export function toProviderTime(t: number, t0: number, timeScale: number): number {
  return t0 + (t - t0) / timeScale;
}

export const MiB = 1024 * 1024;

export function fmtBytes(n: number): string {
  if (Math.abs(n) >= 1024 * MiB) return `${(n / 1024 / MiB).toFixed(2)} GiB`;
  if (Math.abs(n) >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / 1024).toFixed(0)} KiB`;
}

export function fmtRate(bytesPerSec: number): string {
  return `${(bytesPerSec / MiB).toFixed(0)} MiB/s`;
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

export function fmtNum(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

export function fmtPct(frac: number, digits = 1): string {
  return Number.isFinite(frac) ? `${(frac * 100).toFixed(digits)}%` : '–';
}

const liveTempDirs = new Set<string>();
let exitHook = false;

/** A temp folder removed by `cleanup`, or when the process exits (an interrupted run leaves no GiB files behind). */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `tb-bench-${prefix}-`));
  liveTempDirs.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of liveTempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      liveTempDirs.delete(dir);
    },
  };
}

export const CURL = '/usr/bin/curl';
export const CHROMIUM = process.env.TALKBATCH_CHROMIUM ?? '/usr/bin/chromium';

export function hasCurl(): boolean {
  return existsSync(CURL);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
