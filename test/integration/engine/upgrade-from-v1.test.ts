import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { availableActions } from '../../../shared/actions';
import type { JobStatus } from '../../../shared/lifecycle';
import { SCHEMA_VERSION } from '../../../electron/core/db/migrate';
import { FIXTURES } from '../../fakes/base';
import { openHarness, type Harness } from '../../helpers/engine-harness';

/**
 * A database written by the first release (test/fixtures/v1-database: made by its code, stopped in the
 * middle of its work) opens with today's code, migrates, and its jobs finish against the fakes, or wait
 * in the decision the user owes them. Nothing is sent twice and nothing is forgotten.
 */

const V1_DB = path.join(FIXTURES, 'v1-database', 'talkbatch.db');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('upgrade from release 1', () => {
  it('migrates a queue stopped mid-work and finishes it', async () => {
    const hh = (h = await openHarness({ database: V1_DB, start: false }));
    const { core } = hh;
    expect(core.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const byTitle = new Map(core.jobs.list().map((j) => [j.input.title, j]));
    const id = (title: string): string => byTitle.get(title)!.id;
    expect(byTitle.size).toBe(14);

    // The control state release 1 kept in the timeline is in the columns now.
    expect(byTitle.get('Request sent, no answer')).toMatchObject({ status: 'submitting', requestSentAt: expect.any(Number) });
    expect(byTitle.get('Stopped before sending')).toMatchObject({ status: 'submitting', requestSentAt: null });
    expect(byTitle.get('Retried twice')).toMatchObject({ status: 'queued', submitTries: 2 });
    expect(byTitle.get('Reconcile pending')).toMatchObject({ status: 'submit_unknown', reconcileTries: 1, lostAnswers: 1, awaiting: 'none' });
    expect(byTitle.get('Needs a decision')).toMatchObject({ status: 'submit_unknown', awaiting: 'user', nextActionAt: null });
    expect(byTitle.get('Could not check')).toMatchObject({ status: 'submit_unknown', awaiting: 'user', nextActionAt: null });
    expect(byTitle.get('Preview waiting')).toMatchObject({ status: 'awaiting_approval', preview: { kind: 'page' } });

    // The inputs' files were in the old data folder: the same bytes give the same asset ids.
    for (const f of ['avatar.png', 'voice.wav', 'voice.mp3']) await core.assets.importFile(path.join(FIXTURES, f));
    hh.start();

    const finishing = ['Queued before the upgrade', 'Rendering locally', 'Request sent, no answer', 'Stopped before sending', 'Retried twice', 'Reconcile pending', 'Test row'];
    await hh.waitForStatus(finishing.map(id), 'completed', 60_000);
    const expectStatus: Readonly<Record<string, JobStatus>> = {
      'Needs a decision': 'submit_unknown',
      'Could not check': 'submit_unknown',
      'Preview waiting': 'awaiting_approval',
      Stalled: 'stalled',
      Done: 'completed',
      'Download failed': 'failed',
      'Held draft': 'draft',
    };
    for (const [title, status] of Object.entries(expectStatus)) expect({ title, status: hh.job(id(title)).status }).toEqual({ title, status });
    // The decisions wait for the user, with the choices the app offers.
    for (const title of ['Needs a decision', 'Could not check']) {
      expect(hh.job(id(title)).nextActionAt).toBeNull();
      expect(availableActions(hh.job(id(title))).map((a) => a.action)).toEqual(['reconcile', 'mark_failed', 'resubmit']);
    }
    expect(availableActions(hh.job(id('Download failed')))).toEqual([{ action: 'retry', label: 'Download again', weighty: false }]);
    expect(availableActions(hh.job(id('Preview waiting'))).map((a) => a.action)).toEqual(['approve']);

    // The request whose answer was lost was looked up before it was sent again.
    const lost = core.jobs.events(id('Request sent, no answer')).map((e) => e.message);
    expect(lost.some((m) => /Checking with the provider before anything is sent again/.test(m))).toBe(true);
    expect(lost.some((m) => /^Not at aisa\.one.*: No aisa\.one video .*Safe to send again\.$/.test(m)), lost.join('\n')).toBe(true);

    // The user decides; the rest finishes.
    expect(await core.engine.act([id('Needs a decision')], 'resubmit')).toEqual({ changed: 1, skipped: [] });
    expect(await core.engine.act([id('Could not check')], 'reconcile')).toEqual({ changed: 1, skipped: [] });
    expect(await core.engine.act([id('Held draft')], 'release')).toEqual({ changed: 1, skipped: [] });
    await hh.waitForStatus([id('Needs a decision'), id('Could not check'), id('Held draft')], 'completed', 60_000);

    // One create per aisa job that had to be sent; none twice.
    const aisaTitles = ['Request sent, no answer', 'Stopped before sending', 'Retried twice', 'Reconcile pending', 'Needs a decision', 'Could not check'];
    const creates = hh.creates('aisa').map((r) => JSON.stringify(r.body ?? ''));
    expect(creates).toHaveLength(aisaTitles.length);
    for (const t of aisaTitles) expect({ t, n: creates.filter((b) => b.includes(t)).length }).toEqual({ t, n: 1 });
  });
});
