import type { ProviderSpec } from '../../../shared/provider-spec';

/** Pure timing rules of the scheduler, unit-tested on their own. */

export const MIN_POLL_MS = 2_000;

/** Exponential backoff with jitter (±50%), capped: attempt 1 → ~base. */
export function backoffMs(attempt: number, baseMs = 2_000, capMs = 10 * 60_000, rand: () => number = Math.random): number {
  const raw = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.5 + rand()));
}

/**
 * The first poll comes at a quarter of the provider's typical render time: polling earlier only
 * asks "still running?" Providers that long-poll (Sync) are asked sooner, the wait is on their side.
 */
export function firstPollDelayMs(spec: Pick<ProviderSpec, 'typicalRenderSec' | 'pollCapSec'>): number {
  return clamp(spec.typicalRenderSec * 250, MIN_POLL_MS, spec.pollCapSec * 1000);
}

/**
 * Geometric polling: the gap grows with the time already spent (20% of elapsed), so a job that
 * finishes is noticed within ~20% of its render time (~10% on average, less where list polling or
 * the provider's ETA helps: the benchmark measures the median) while a long render costs only
 * O(log t) requests. A provider's own ETA or progress sharpens the guess; its Retry-After wins.
 */
export const POLL_GROWTH = 0.2;

export function nextPollDelayMs(
  o: Readonly<{ elapsedMs: number; progress?: number | null; etaSec?: number | null; providerHintMs?: number | null; spec: Pick<ProviderSpec, 'pollCapSec'> }>,
): number {
  const cap = o.spec.pollCapSec * 1000;
  if (o.providerHintMs !== undefined && o.providerHintMs !== null && o.providerHintMs >= 0) return clamp(o.providerHintMs, 250, cap);
  const geometric = clamp(o.elapsedMs * POLL_GROWTH, MIN_POLL_MS, cap);
  let remaining: number | undefined;
  if (o.etaSec !== undefined && o.etaSec !== null && o.etaSec >= 0) remaining = o.etaSec * 1000;
  else if (o.progress !== undefined && o.progress !== null && o.progress > 0.05 && o.progress < 1) remaining = (o.elapsedMs * (1 - o.progress)) / o.progress;
  if (remaining === undefined) return geometric;
  // Poll when the provider expects to be done, but never wait longer than the geometric gap.
  return clamp(Math.min(remaining, geometric), MIN_POLL_MS, cap);
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** A running job shows no progress when neither its status word nor its progress changed. */
export function isStalled(o: Readonly<{ now: number; lastProgressAt: number | null; submittedAt: number | null; stallMs: number }>): boolean {
  const since = o.lastProgressAt ?? o.submittedAt;
  return since !== null && o.now - since > o.stallMs;
}
