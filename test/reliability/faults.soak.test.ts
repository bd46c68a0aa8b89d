import { describe, expect, it } from 'vitest';
import { expectAllKinds, runFaultBatch } from './lib/fault-run';

/**
 * The "Faults" case at full size: 60 jobs per cloud provider (300) with ~20% of requests,
 * signed URLs and downloads faulted. A fresh seed every run (in any failure); TALKBATCH_SEED reruns one.
 */
const SEED = Number(process.env.TALKBATCH_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('20% injected faults (soak)', () => {
  it('300 jobs: every job that can complete does, none is paid twice, each failure carries the provider’s reason', async () => {
    console.log(`faults soak seed ${SEED}`);
    const r = await runFaultBatch({ seed: SEED, perProvider: 60, timeoutMs: 10 * 60_000 });
    console.log(JSON.stringify({ counts: r.counts, requests: r.requests, statuses: tally(r.jobs.map((j) => j.status)), decisions: r.decisions.map((d) => d.action) }));
    expectAllKinds(r.counts);
    expect(r.jobs).toHaveLength(300);
  });
});

function tally(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
