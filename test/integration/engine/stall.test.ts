import { afterEach, describe, expect, it } from 'vitest';
import type { SimJob } from '../../fakes/base';
import { openHarness, rendersAt, type Harness } from '../../helpers/engine-harness';

/** Jobs that stop moving at the provider, and jobs the provider forgot. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const STALL_MINUTES = 5;

/** Admits TechForge rows, waits until each is accepted, then pins its status at the fake. */
async function stuckTechforgeJobs(hh: Harness, titles: readonly string[]): Promise<string[]> {
  const { jobIds } = await hh.admit(titles.map((t) => hh.row('techforge', t)));
  const running = await hh.waitForStatus(jobIds, 'running');
  for (const j of running) hh.fakes.techforge.forceStatus(j.providerJobId!, 'IN_PROGRESS');
  // A poll has seen the pinned word: from now on nothing moves.
  await hh.waitFor(() => jobIds.every((id) => hh.job(id).providerStatus === 'IN_PROGRESS'), { what: 'a poll of the pinned status' });
  return jobIds;
}

describe('stalled jobs', () => {
  it("a job whose provider status never changes is marked stalled; 'keep_waiting' resumes polling, 'mark_failed' fails it", async () => {
    const hh = (h = await openHarness({ settings: { stallMinutes: STALL_MINUTES } }));
    const [keep, give] = await stuckTechforgeJobs(hh, ['Keep waiting', 'Give up']);
    expect(hh.job(keep!).status).toBe('running');

    hh.clock.advance((STALL_MINUTES + 1) * 60_000);
    const stalled = await hh.waitForStatus([keep!, give!], 'stalled');
    for (const j of stalled) {
      expect(j.nextActionAt).toBeNull();
      expect(hh.core.jobs.events(j.id).at(-1)!.message).toMatch(/No progress from TechForge Innovate for \d+ min \(status "IN_PROGRESS"\)/);
    }
    await hh.waitForNotice(/"Keep waiting" looks stuck at TechForge Innovate/);
    // Stalled jobs are not polled: a whole other job runs meanwhile, and TechForge hears nothing.
    const polls = () => hh.fakes.techforge.server.requests('GET', /^\/jobs\//).length;
    const pollsWhileStalled = polls();
    const other = await hh.admit([hh.row('sync', 'Meanwhile')]);
    hh.clock.advance(10 * 60_000);
    await hh.waitForStatus(other.jobIds, 'completed');
    expect(polls()).toBe(pollsWhileStalled);
    expect(hh.job(keep!).status).toBe('stalled');

    expect(await hh.core.engine.act([keep!], 'keep_waiting')).toEqual({ changed: 1, skipped: [] });
    expect(hh.job(keep!).status).toBe('running');
    await hh.waitFor(() => polls() > pollsWhileStalled, { what: 'polling to resume' });
    expect(hh.job(keep!).status).toBe('running');
    hh.fakes.techforge.forceStatus(hh.job(keep!).providerJobId!, undefined);
    const [done] = await hh.waitForStatus([keep!], ['completed', 'failed']);
    expect(done!.status).toBe('completed');

    expect(await hh.core.engine.act([give!], 'mark_failed')).toEqual({ changed: 1, skipped: [] });
    const failed = hh.job(give!);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 'marked_failed', message: 'Marked failed by you' });

    // Neither was sent twice.
    expect(hh.creates('techforge')).toHaveLength(2);
    expect(rendersAt(hh.fakes, 'techforge')).toBe(2);
    // Actions that do not apply say why.
    expect((await hh.core.engine.act([done!.id], 'keep_waiting')).skipped).toEqual([{ id: done!.id, reason: 'not stalled' }]);
  });

  it('a provider answering that the job does not exist fails it with that reason', async () => {
    const hh = (h = await openHarness());
    const { jobIds } = await hh.admit([hh.row('techforge', 'Forgotten at TFI'), hh.row('sync', 'Forgotten at Sync')]);
    const running = await hh.waitForStatus(jobIds, 'running');
    // The provider loses them (TFI answers HTTP 200 {"message":"Job not found"}; Sync answers 404).
    for (const j of running) (hh.fakes[j.provider as 'techforge' | 'sync'].jobs as Map<string, SimJob>).delete(j.providerJobId!);
    const failed = await hh.waitForStatus(jobIds, ['failed', 'completed']);
    for (const j of failed) {
      expect(j.status).toBe('failed');
      expect(j.error?.code).toBe('provider_not_found');
      expect(j.error?.message).toContain(`says job ${j.providerJobId} does not exist`);
    }
    expect(failed.find((j) => j.provider === 'techforge')!.error!.message).toContain('Job not found');
    expect(failed.find((j) => j.provider === 'sync')!.error!.message).toMatch(/not found/i);
    // A cloud render is never sent again on its own.
    expect(hh.creates('techforge')).toHaveLength(1);
    expect(hh.creates('sync')).toHaveLength(1);
  });
});
