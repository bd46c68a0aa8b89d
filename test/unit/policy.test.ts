import { describe, expect, it } from 'vitest';
import { backoffMs, clamp, firstPollDelayMs, isStalled, MIN_POLL_MS, nextPollDelayMs } from '../../electron/core/queue/policy';

const fixed = (v: number) => () => v;

describe('backoffMs', () => {
  it('doubles from the base per attempt, with ±50% jitter from rand', () => {
    expect(backoffMs(1, 2000, 600_000, fixed(0.5))).toBe(2000);
    expect(backoffMs(2, 2000, 600_000, fixed(0.5))).toBe(4000);
    expect(backoffMs(5, 2000, 600_000, fixed(0.5))).toBe(32_000);
    expect(backoffMs(1, 2000, 600_000, fixed(0))).toBe(1000);
    expect(backoffMs(1, 2000, 600_000, fixed(0.999999))).toBe(3000);
  });

  it('stays within [0.5, 1.5) × min(cap, base·2^(n-1)) for every attempt', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const raw = Math.min(600_000, 2000 * 2 ** (attempt - 1));
      for (const r of [0, 0.25, 0.5, 0.75, 0.999]) {
        const ms = backoffMs(attempt, 2000, 600_000, fixed(r));
        expect(ms).toBeGreaterThanOrEqual(Math.round(raw * 0.5));
        expect(ms).toBeLessThanOrEqual(Math.round(raw * 1.5));
        expect(Number.isFinite(ms)).toBe(true);
      }
    }
  });

  it('is capped for huge attempt numbers (no Infinity or NaN)', () => {
    expect(backoffMs(10_000, 2000, 600_000, fixed(0.5))).toBe(600_000);
    expect(backoffMs(10_000, 2000, 600_000, fixed(0))).toBe(300_000);
  });

  it('treats attempt 0 or below as the first attempt', () => {
    expect(backoffMs(0, 2000, 600_000, fixed(0.5))).toBe(2000);
    expect(backoffMs(-3, 2000, 600_000, fixed(0.5))).toBe(2000);
  });

  it('uses Math.random by default, inside the bounds', () => {
    for (let i = 0; i < 50; i++) {
      const ms = backoffMs(3);
      expect(ms).toBeGreaterThanOrEqual(4000);
      expect(ms).toBeLessThanOrEqual(12_000);
    }
  });
});

describe('firstPollDelayMs', () => {
  it('is a quarter of the typical render time, clamped to [MIN_POLL_MS, pollCap]', () => {
    expect(firstPollDelayMs({ typicalRenderSec: 180, pollCapSec: 60 })).toBe(45_000);
    expect(firstPollDelayMs({ typicalRenderSec: 1000, pollCapSec: 60 })).toBe(60_000);
    expect(firstPollDelayMs({ typicalRenderSec: 2, pollCapSec: 60 })).toBe(MIN_POLL_MS);
  });
});

describe('nextPollDelayMs', () => {
  const spec = { pollCapSec: 60 };

  it('polls at 20% of the elapsed time, at least MIN_POLL_MS, at most the cap', () => {
    expect(nextPollDelayMs({ elapsedMs: 100_000, spec })).toBe(20_000);
    expect(nextPollDelayMs({ elapsedMs: 1000, spec })).toBe(MIN_POLL_MS);
    expect(nextPollDelayMs({ elapsedMs: 10 * 3600_000, spec })).toBe(60_000);
  });

  it("follows the provider's own hint first (clamped to 250 ms … cap)", () => {
    expect(nextPollDelayMs({ elapsedMs: 100_000, providerHintMs: 5000, spec })).toBe(5000);
    expect(nextPollDelayMs({ elapsedMs: 100_000, providerHintMs: 0, spec })).toBe(250);
    expect(nextPollDelayMs({ elapsedMs: 100_000, providerHintMs: 999_999, spec })).toBe(60_000);
    expect(nextPollDelayMs({ elapsedMs: 100_000, providerHintMs: 5000, etaSec: 1, progress: 0.9, spec })).toBe(5000);
  });

  it('ignores a negative or missing hint', () => {
    expect(nextPollDelayMs({ elapsedMs: 100_000, providerHintMs: -1, spec })).toBe(20_000);
    expect(nextPollDelayMs({ elapsedMs: 100_000, providerHintMs: null, spec })).toBe(20_000);
  });

  it('polls when the provider expects to be done, but never later than the geometric gap', () => {
    expect(nextPollDelayMs({ elapsedMs: 100_000, etaSec: 5, spec })).toBe(5000);
    expect(nextPollDelayMs({ elapsedMs: 100_000, etaSec: 500, spec })).toBe(20_000);
    expect(nextPollDelayMs({ elapsedMs: 100_000, etaSec: 0, spec })).toBe(MIN_POLL_MS);
  });

  it('estimates the remaining time from progress between 5% and 100%', () => {
    // 80% after 100 s: 25 s left; the geometric gap (20 s) is shorter.
    expect(nextPollDelayMs({ elapsedMs: 100_000, progress: 0.8, spec })).toBe(20_000);
    // 95% after 100 s: ~5.3 s left.
    expect(nextPollDelayMs({ elapsedMs: 100_000, progress: 0.95, spec })).toBeCloseTo(5263, -1);
    // Too early to extrapolate, or finished: the geometric gap.
    expect(nextPollDelayMs({ elapsedMs: 100_000, progress: 0.01, spec })).toBe(20_000);
    expect(nextPollDelayMs({ elapsedMs: 100_000, progress: 1, spec })).toBe(20_000);
    // The ETA wins over progress.
    expect(nextPollDelayMs({ elapsedMs: 100_000, progress: 0.95, etaSec: 3, spec })).toBe(3000);
  });

  it('never returns less than MIN_POLL_MS without a provider hint', () => {
    for (const elapsedMs of [0, 1, 500, 10_000]) {
      for (const etaSec of [undefined, 0, 0.1, 1]) {
        expect(nextPollDelayMs({ elapsedMs, etaSec: etaSec ?? null, progress: 0.99, spec })).toBeGreaterThanOrEqual(MIN_POLL_MS);
      }
    }
  });
});

describe('isStalled', () => {
  const stallMs = 45 * 60_000;

  it('measures from the last progress, else from the submission', () => {
    expect(isStalled({ now: 100 + stallMs + 1, lastProgressAt: 100, submittedAt: 0, stallMs })).toBe(true);
    expect(isStalled({ now: 100 + stallMs, lastProgressAt: 100, submittedAt: 0, stallMs })).toBe(false);
    expect(isStalled({ now: stallMs + 1, lastProgressAt: null, submittedAt: 0, stallMs })).toBe(true);
    expect(isStalled({ now: stallMs + 1, lastProgressAt: stallMs, submittedAt: 0, stallMs })).toBe(false);
  });

  it('is never stalled without a start time', () => {
    expect(isStalled({ now: Number.MAX_SAFE_INTEGER, lastProgressAt: null, submittedAt: null, stallMs })).toBe(false);
  });
});

describe('clamp', () => {
  it('bounds a value', () => {
    expect(clamp(5, 1, 10)).toBe(5);
    expect(clamp(-5, 1, 10)).toBe(1);
    expect(clamp(50, 1, 10)).toBe(10);
  });
});
