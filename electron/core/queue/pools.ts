import type { ProviderId } from '../../../shared/providers';
import type { Logger } from '../log';
import type { ProviderError } from '../providers/http';
import { backoffMs } from './policy';

/**
 * One pool per provider: its request spacing (requests per minute), its backoff after a rate limit, a
 * lower concurrency cap after a concurrency refusal, and the creates in flight. One provider's trouble
 * never slows another's work. In memory only: a restart starts every pool fresh.
 */

type Pool = {
  backoffUntil: number;
  nextRequestAt: number;
  /** After a provider's concurrency 429: a lower cap until `until`. */
  reducedCap: { cap: number; until: number } | null;
  inflightSubmits: number;
  /** The reason last told for holding the provider's jobs (told again only when it changes). */
  heldNotice: string | null;
};

export type PoolsDeps = Readonly<{
  rpm: (provider: ProviderId) => number;
  now: () => number;
  rand: () => number;
  /** A wait chosen by the engine, on its time scale. */
  wait: (ms: number) => number;
  log: Logger;
}>;

export class Pools {
  private readonly pools = new Map<ProviderId, Pool>();

  constructor(private readonly d: PoolsDeps) {}

  of(provider: ProviderId): Pool {
    let p = this.pools.get(provider);
    if (!p) {
      p = { backoffUntil: 0, nextRequestAt: 0, reducedCap: null, inflightSubmits: 0, heldNotice: null };
      this.pools.set(provider, p);
    }
    return p;
  }

  /** The concurrency a provider may use now: the configured cap, or less after a concurrency refusal. */
  capOf(provider: ProviderId, configured: number, now: number): number {
    const p = this.of(provider);
    if (p.reducedCap && p.reducedCap.until > now) return Math.min(configured, p.reducedCap.cap);
    p.reducedCap = null;
    return configured;
  }

  /** After the provider said it runs too many of our jobs: at most `cap` for five minutes. */
  reduceCap(provider: ProviderId, cap: number, now: number): void {
    this.of(provider).reducedCap = { cap: Math.max(1, cap), until: now + 5 * 60_000 };
  }

  /** When the provider may next be sent a request (its spacing and its backoff). */
  nextFreeAt(provider: ProviderId): number {
    const p = this.of(provider);
    return Math.max(p.nextRequestAt, p.backoffUntil);
  }

  /**
   * Takes one request slot of a provider's rate limit if one is free now (returns `now`), or returns
   * when the next slot frees up without taking it (the caller postpones the work until then).
   */
  requestSlot(provider: ProviderId, now: number): number {
    const p = this.of(provider);
    const at = Math.max(now, p.nextRequestAt, p.backoffUntil);
    if (at > now + 5) return at;
    p.nextRequestAt = Math.max(now, p.nextRequestAt) + 60_000 / Math.max(1, this.d.rpm(provider));
    return now;
  }

  /** A rate limit: nothing goes to the provider until its Retry-After (or a growing backoff) has passed. */
  backOff(provider: ProviderId, err: ProviderError, tries: number): void {
    const p = this.of(provider);
    const wait = err.retryAfterMs ?? this.d.wait(backoffMs(tries, 5_000, 5 * 60_000, this.d.rand));
    p.backoffUntil = Math.max(p.backoffUntil, this.d.now() + wait);
    this.d.log.warn('Provider asked us to slow down', { provider, waitMs: wait, code: err.code });
  }
}
