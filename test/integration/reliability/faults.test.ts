import { describe, expect, it } from 'vitest';
import { expectAllKinds, runFaultBatch } from '../../reliability/lib/fault-run';

/**
 * The "Faults" case, short: 50 jobs over the five cloud fakes with ~20% of requests faulted
 * (`npm run soak` runs a longer one). See test/reliability/lib/fault-run.ts for what is checked.
 */
const SEED = Number(process.env.TALKBATCH_SEED ?? 20261122);

describe('20% injected faults', () => {
  it('every job that can complete does, none is paid twice, each failure carries the provider’s reason', async () => {
    const r = await runFaultBatch({ seed: SEED, perProvider: 10 });
    expectAllKinds(r.counts);
    expect(r.jobs.filter((j) => j.status === 'completed').length).toBeGreaterThan(40);
  }, 90_000);
});
