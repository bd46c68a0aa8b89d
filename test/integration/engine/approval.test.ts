import { afterEach, describe, expect, it } from 'vitest';
import { openHarness, type Harness } from '../../helpers/engine-harness';

/**
 * A Creatify custom template renders a preview first and the paid video only after the user approves
 * it: `awaiting_approval` is a lifecycle state (not a provider word the engine compares), nothing is
 * checked while it waits, and a restart leaves it waiting.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TEMPLATE_ID = '0b5e7c1a-3f55-4c8e-9d2a-6a1b2c3d4e5f';

describe('preview approval', () => {
  it('waits in awaiting_approval, survives a restart without being polled, and completes once approved', async () => {
    const hh = (h = await openHarness());
    const { jobIds } = await hh.admit([
      {
        title: 'Template row',
        provider: 'creatify',
        script: 'Our best product yet.',
        avatar: 'avatar.png',
        params: { product: 'template', template_id: TEMPLATE_ID, variables: { headline: 'Sale' }, script_variable: 'script', avatar_variable: 'product_image' },
      },
    ]);
    const [waiting] = await hh.waitForStatus(jobIds, 'awaiting_approval');
    expect(waiting!.nextActionAt).toBeNull();
    expect(waiting!.preview).toMatchObject({ kind: 'page' });
    await hh.waitForNotice(/waits for your approval/);
    // Other actions are refused with the table's words; approve is what it offers.
    expect(await hh.core.engine.act(jobIds, 'keep_waiting')).toEqual({ changed: 0, skipped: [{ id: jobIds[0], reason: 'not stalled' }] });

    await hh.restart();
    const polls = hh.fakes.creatify.server.log.filter((e) => e.method === 'GET').length;
    // A few scheduler turns: nothing asks Creatify about a preview that waits for the user.
    await new Promise((r) => setTimeout(r, 600));
    expect(hh.job(jobIds[0]!).status).toBe('awaiting_approval');
    expect(hh.fakes.creatify.server.log.filter((e) => e.method === 'GET').length).toBe(polls);

    expect(await hh.core.engine.act(jobIds, 'approve')).toEqual({ changed: 1, skipped: [] });
    const [done] = await hh.waitForStatus(jobIds, 'completed');
    expect(done!.outputId).not.toBeNull();
    expect(hh.fakes.creatify.server.requests('POST', `/api/custom_template_jobs/${waiting!.providerJobId}/render/`)).toHaveLength(1);
    expect(await hh.core.engine.act(jobIds, 'approve')).toEqual({ changed: 0, skipped: [{ id: jobIds[0], reason: 'no preview is waiting for approval' }] });
  });
});
