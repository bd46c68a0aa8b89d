import { afterAll, describe, expect, it } from 'vitest';
import { killAll } from './lib/cli';
import { runCrashSoak } from './lib/crash-soak';

/**
 * The "Crashes" case at full size: 300 jobs over all six providers, the real `talkbatch`
 * process killed with SIGKILL at 10 seeded moments (held creates, half-done downloads, random) and
 * started again each time. A fresh seed every run (printed, and in any failure); TALKBATCH_SEED reruns one.
 */
const SEED = Number(process.env.TALKBATCH_SEED ?? Math.floor(Math.random() * 2 ** 31));

afterAll(killAll);

describe('SIGKILL soak', () => {
  it('300 jobs, 10 kills: every job finished, one render per job, the providers’ bytes, no temp files, an intact database', async () => {
    console.log(`crash soak seed ${SEED}`);
    const r = await runCrashSoak({ seed: SEED, jobs: 300, kills: 10, maxKillDelayMs: 4_000, finishMs: 10 * 60_000, log: (l) => console.log(l) });
    console.log(JSON.stringify({ ...r, decisions: r.decisions.map((d) => ({ provider: d.provider, action: d.action, renderFound: d.renderId !== null })) }, null, 1));
    expect(r.jobs).toBe(300);
    expect(r.kills).toHaveLength(10);
    expect(r.completed + r.decisions.filter((d) => d.action === 'mark_failed').length).toBe(300);
  });
});
