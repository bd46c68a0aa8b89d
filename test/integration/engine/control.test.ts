import { afterEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../../../electron/core/handlers';
import { openHarness, rendersAt, type Harness } from '../../helpers/engine-harness';

/** What a user does to a running queue: cancel, pause and resume, retry, spending caps. */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const handlersOf = (hh: Harness) => createHandlers(hh.core, { version: 'test', mode: 'server' });

describe('cancel', () => {
  it('a queued job is canceled without anything being sent', async () => {
    const hh = (h = await openHarness({ settings: { queuePaused: true } }));
    const { jobIds } = await hh.admit([hh.row('aisa', 'Cancel me'), hh.row('aisa', 'Keep me')]);
    expect(await hh.core.engine.act([jobIds[0]!], 'cancel')).toEqual({ changed: 1, skipped: [] });
    expect(hh.job(jobIds[0]!).status).toBe('canceled');
    await handlersOf(hh)['queue:set-paused']({ paused: false });
    const [kept] = await hh.waitForStatus([jobIds[1]!], 'completed');
    expect(kept!.status).toBe('completed');
    expect(hh.job(jobIds[0]!).status).toBe('canceled');
    expect(hh.creates('aisa')).toHaveLength(1);
    expect(hh.fakes.aisa.server.log.some((e) => JSON.stringify(e.body ?? '').includes('Cancel me'))).toBe(false);
  });

  it('a running job at a provider that can cancel (Sync) is canceled there too', async () => {
    const hh = (h = await openHarness());
    // A long render, so the generation is still PENDING (the only state Sync cancels) when the user cancels.
    hh.fakes.sync.server.opts.timeScale = 2;
    const { jobIds } = await hh.admit([hh.row('sync', 'Cancel at Sync')]);
    const [running] = await hh.waitForStatus(jobIds, 'running');
    const res = await hh.core.engine.act(jobIds, 'cancel');
    expect(res).toEqual({ changed: 1, skipped: [] });
    const job = hh.job(jobIds[0]!);
    expect(job.status).toBe('canceled');
    expect(hh.core.jobs.events(job.id).at(-1)!.message).toBe('Canceled by you, and at Sync.so.');
    expect(hh.fakes.sync.server.requests('POST', `/v2/generate/${running!.providerJobId}/cancel`)).toHaveLength(1);
    expect(hh.fakes.sync.generation(running!.providerJobId!).status).toBe('CANCELED');
    // Nothing is polled or downloaded for it afterwards.
    const after = hh.fakes.sync.server.log.length;
    const other = await hh.admit([hh.row('aisa', 'Meanwhile')]);
    await hh.waitForStatus(other.jobIds, 'completed');
    expect(hh.fakes.sync.server.log.length).toBe(after);
    expect(hh.job(job.id).outputId).toBeNull();
  });
});

describe('pause and resume', () => {
  it('pausing the queue holds new submissions (renders in flight go on); resuming lets them go', async () => {
    const hh = (h = await openHarness());
    hh.fakes.sync.server.opts.timeScale = 0.2;
    const handlers = handlersOf(hh);
    const first = await hh.admit([hh.row('sync', 'Already rendering')]);
    await hh.waitForStatus(first.jobIds, 'running');
    expect((await handlers['queue:set-paused']({ paused: true })).paused).toBe(true);
    const { jobIds } = await hh.admit([hh.row('oshara', 'Paused 1'), hh.row('aisa', 'Paused 2')]);
    // The render already at Sync is still polled and downloaded while the queue is paused.
    await hh.waitForStatus(first.jobIds, 'completed');
    for (const id of jobIds) expect(hh.job(id).status).toBe('queued');
    expect(hh.creates('oshara')).toHaveLength(0);
    expect(hh.creates('aisa')).toHaveLength(0);

    expect((await handlers['queue:set-paused']({ paused: false })).paused).toBe(false);
    const done = await hh.waitForStatus(jobIds, 'completed');
    expect(done).toHaveLength(2);
    expect(hh.creates('oshara')).toHaveLength(1);
    expect(hh.creates('aisa')).toHaveLength(1);
    expect(hh.events.filter((e) => e.name === 'queue:changed').map((e) => (e.payload as { paused: boolean }).paused)).toEqual(expect.arrayContaining([true, false]));
  });

  it('a paused job is neither sent nor polled until resumed', async () => {
    const hh = (h = await openHarness());
    hh.fakes.techforge.server.opts.timeScale = 1;
    const { jobIds } = await hh.admit([hh.row('techforge', 'Pause while rendering'), hh.row('techforge', 'Pause while queued')], { testFirst: 1 });
    const [rendering, queued] = jobIds as [string, string];
    // The second row is a draft (test first 1): released, then paused by the user before it is sent.
    await hh.core.engine.act([queued], 'release');
    await hh.core.engine.act([queued], 'pause');
    expect(hh.job(queued).status).toBe('paused');

    await hh.waitForStatus([rendering], 'running');
    expect(await hh.core.engine.act([rendering], 'pause')).toEqual({ changed: 1, skipped: [] });
    expect(hh.job(rendering).status).toBe('paused');
    hh.fakes.techforge.server.opts.timeScale = 0.05;
    const polls = () => hh.fakes.techforge.server.requests('GET', /^\/jobs\//).length;
    const before = polls();
    // Meanwhile another provider's job runs from start to finish; the paused ones are left alone.
    const other = await hh.admit([hh.row('aisa', 'Meanwhile')]);
    hh.clock.advance(5 * 60_000);
    await hh.waitForStatus(other.jobIds, 'completed');
    expect(polls()).toBe(before);
    expect(hh.creates('techforge')).toHaveLength(1);
    expect(hh.job(rendering).status).toBe('paused');
    expect(hh.job(queued).status).toBe('paused');

    await hh.core.engine.act([rendering, queued], 'resume');
    expect(hh.job(rendering).status).toBe('running');
    expect(hh.job(queued).status).toBe('queued');
    const done = await hh.waitForStatus([rendering, queued], 'completed');
    expect(done[0]!.providerJobId).toBe(hh.core.jobs.events(rendering).find((e) => e.toStatus === 'running')!.providerJobId);
    expect(hh.creates('techforge')).toHaveLength(2);
    expect(rendersAt(hh.fakes, 'techforge')).toBe(2);
  });
});

describe('retry', () => {
  it('a failed job is retried as a new attempt with a new idempotency key', async () => {
    const hh = (h = await openHarness());
    hh.fakes.sync.failNext('generation_pipeline_failed', 'The generation pipeline failed');
    const { jobIds } = await hh.admit([hh.row('sync', 'Try again')]);
    const [failed] = await hh.waitForStatus(jobIds, ['failed', 'completed']);
    expect(failed!.status).toBe('failed');
    expect(failed!.error?.message).toContain('The generation pipeline failed');

    expect(await hh.core.engine.act(jobIds, 'retry')).toEqual({ changed: 1, skipped: [] });
    const retried = hh.job(jobIds[0]!);
    expect(retried).toMatchObject({ status: 'queued', attempt: 2, providerJobId: null, error: null });
    expect(retried.idempotencyKey).not.toBe(failed!.idempotencyKey);
    const [done] = await hh.waitForStatus(jobIds, ['completed', 'failed']);
    expect(done!.status).toBe('completed');
    expect(done!.providerJobId).not.toBe(failed!.providerJobId);

    const creates = hh.creates('sync');
    expect(creates).toHaveLength(2);
    const keys = creates.map((c) => c.headers['idempotency-key']);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBeTruthy();
    expect(keys[0]).not.toBe(keys[1]);
    expect(rendersAt(hh.fakes, 'sync')).toBe(2);
    // Only failed or canceled jobs are retried.
    expect((await hh.core.engine.act(jobIds, 'retry')).skipped[0]!.reason).toMatch(/only failed or canceled jobs can be retried/);
  });
});

describe('spending cap', () => {
  it('a batch over its budget sends only what fits, says so, and continues when the cap is raised', async () => {
    const hh = (h = await openHarness());
    // sora-2, 4 s: $0.40 each at the list price; $1.00 covers two of three.
    const { batchId, jobIds } = await hh.admit([hh.row('aisa', 'Budget 1'), hh.row('aisa', 'Budget 2'), hh.row('aisa', 'Budget 3')], { budget: { amount: 1, unit: 'USD' } });
    expect(hh.job(jobIds[0]!).costEstimate).toEqual({ amount: 0.4, unit: 'USD' });
    const notice = await hh.waitForNotice(/spending cap/);
    expect(notice).toMatch(/reached its spending cap of \$1\.00: no new jobs are sent\. Raise the cap to continue\./);
    await hh.waitForStatus(jobIds.slice(0, 2), 'completed');
    const held = hh.job(jobIds[2]!);
    expect(held.status).toBe('queued');
    expect(held.nextActionAt).toBeNull();
    expect(hh.core.jobs.events(held.id).find((e) => e.errorCode === 'budget_cap')!.message).toMatch(/spending cap of \$1\.00 would be exceeded \(\$0\.80 committed, this job ~\$0\.40\)/);
    expect(hh.creates('aisa')).toHaveLength(2);

    await handlersOf(hh)['batches:set-budget']({ batchId, budget: { amount: 2, unit: 'USD' } });
    const [third] = await hh.waitForStatus([jobIds[2]!], 'completed');
    expect(third!.status).toBe('completed');
    expect(hh.creates('aisa')).toHaveLength(3);
  });
});
