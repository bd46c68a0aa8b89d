import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../electron/core/providers/http';
import { Pools } from '../../electron/core/queue/pools';

/** Per-provider pools: request spacing, backoff after a rate limit, a lower cap after a concurrency refusal. */

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never;

function pools(rpm: Readonly<Record<string, number>>, clock: { t: number }, scale = 1) {
  return new Pools({ rpm: (p) => rpm[p] ?? 60, now: () => clock.t, rand: () => 0.5, wait: (ms) => ms * scale, log: silent });
}

describe('Pools', () => {
  it('spaces requests by each provider’s rate, and one provider’s spacing never delays another', () => {
    const clock = { t: 1_000 };
    const p = pools({ sync: 6, aisa: 60 }, clock);
    expect(p.requestSlot('sync', 1_000)).toBe(1_000);
    // 6 per minute: the next slot is 10 s later; asking does not take it.
    expect(p.requestSlot('sync', 1_000)).toBe(11_000);
    expect(p.requestSlot('sync', 2_000)).toBe(11_000);
    expect(p.nextFreeAt('sync')).toBe(11_000);
    expect(p.requestSlot('aisa', 1_000)).toBe(1_000);
    expect(p.requestSlot('aisa', 2_000)).toBe(2_000);
    expect(p.requestSlot('sync', 11_000)).toBe(11_000);
    expect(p.nextFreeAt('sync')).toBe(21_000);
  });

  it('holds a provider back until its Retry-After after a rate limit', () => {
    const clock = { t: 5_000 };
    const p = pools({}, clock);
    p.backOff('oshara', new ProviderError('rate_limit', 'slow down', { retryAfterMs: 30_000 }), 1);
    expect(p.nextFreeAt('oshara')).toBe(35_000);
    expect(p.requestSlot('oshara', 6_000)).toBe(35_000);
    expect(p.requestSlot('sync', 6_000)).toBe(6_000);
    // A shorter later backoff never shortens the one in force.
    p.backOff('oshara', new ProviderError('rate_limit', 'slow down', { retryAfterMs: 1_000 }), 2);
    expect(p.nextFreeAt('oshara')).toBe(35_000);
  });

  it('backs off on the engine’s time scale when the provider gives no Retry-After', () => {
    const clock = { t: 0 };
    const real = pools({}, clock);
    const compressed = pools({}, clock, 0.01);
    real.backOff('sync', new ProviderError('rate_limit', 'slow down'), 1);
    compressed.backOff('sync', new ProviderError('rate_limit', 'slow down'), 1);
    expect(real.nextFreeAt('sync')).toBeGreaterThanOrEqual(2_500);
    expect(compressed.nextFreeAt('sync')).toBeCloseTo(real.nextFreeAt('sync') * 0.01, 5);
  });

  it('lowers a provider’s cap for five minutes after a concurrency refusal, never below one', () => {
    const clock = { t: 0 };
    const p = pools({}, clock);
    expect(p.capOf('techforge', 4, 0)).toBe(4);
    p.reduceCap('techforge', 2, 0);
    expect(p.capOf('techforge', 4, 1_000)).toBe(2);
    expect(p.capOf('techforge', 1, 1_000)).toBe(1);
    expect(p.capOf('sync', 4, 1_000)).toBe(4);
    expect(p.capOf('techforge', 4, 5 * 60_000 + 1)).toBe(4);
    p.reduceCap('techforge', 0, 0);
    expect(p.capOf('techforge', 4, 1)).toBe(1);
  });
});
