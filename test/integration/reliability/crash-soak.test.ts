import { afterAll, describe, expect, it } from 'vitest';
import { killAll } from '../../reliability/lib/cli';
import { runCrashSoak } from '../../reliability/lib/crash-soak';

/**
 * The "Crashes" case, short (`npm run soak` runs it at full size: 300 jobs, 10 kills):
 * 24 jobs over all six providers, the real `talkbatch` process killed with SIGKILL three times —
 * while creates are held at the providers, with a download half on disk, and at a seeded moment —
 * and started again each time. See test/reliability/lib/crash-soak.ts for what is checked.
 */
const SEED = Number(process.env.TALKBATCH_SEED ?? 7);

afterAll(killAll);

describe('SIGKILL soak (short)', () => {
  it('24 jobs, 3 kills: every job finished, one render per job, the providers’ bytes, no temp files, an intact database', async () => {
    const r = await runCrashSoak({ seed: SEED, jobs: 24, kills: 3, timeScale: 0.02, maxKillDelayMs: 1_500, log: (l) => console.log(l) });
    console.log(JSON.stringify({ ...r, decisions: r.decisions.map((d) => `${d.provider}: ${d.action}`) }));
    expect(r.kills.map((k) => k.happened)).toEqual([expect.stringMatching(/^held creates at /), 'a download half on disk', expect.any(String)]);
    expect(r.caughtMidSend).toBeGreaterThanOrEqual(1);
    expect(r.resumedDownloads).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
