import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProviderId } from '../../../shared/providers';
import type { JobInternal } from '../../../electron/core/db/jobs';
import { sampleMp4, type Fault, type RequestLogEntry } from '../../fakes/base';
import { openHarness, rendersAt, type CloudProvider, type Harness, type HarnessOptions } from '../../helpers/engine-harness';

/**
 * Faults the fakes inject, survived through the real scheduler: rate limits (both Retry-After forms)
 * on creates and polls, server errors on polls, connections reset before and after a create, an
 * unreadable create answer, an expired output link, a rejected render, and a provider that fails hard.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(o: HarnessOptions = {}): Promise<Harness> {
  h = await openHarness(o);
  return h;
}

/** Admits one row per provider given and waits until all are finished. */
async function runRows(hh: Harness, providers: readonly ProviderId[], timeoutMs = 15_000): Promise<JobInternal[]> {
  const { jobIds } = await hh.admit(providers.map((p, i) => hh.row(p, `Fault ${i + 1} ${p}`)));
  return await hh.waitForStatus(jobIds, ['completed', 'failed', 'canceled'], timeoutMs);
}

function expectCompletedWithSample(hh: Harness, j: JobInternal): void {
  expect({ status: j.status, error: j.error }).toEqual({ status: 'completed', error: null });
  const out = hh.core.outputs.get(j.outputId!)!;
  expect(readFileSync(path.join(hh.core.library.dir, out.file)).equals(sampleMp4())).toBe(true);
}

function eventCodes(hh: Harness, id: string): (string | null)[] {
  return hh.core.jobs.events(id).map((e) => e.errorCode);
}

/** Virtual ms between a faulted request and the next request on the same route. */
function gapAfterFault(log: readonly RequestLogEntry[]): number {
  const i = log.findIndex((e) => e.fault);
  expect(i, 'the fault fired').toBeGreaterThanOrEqual(0);
  const next = log[i + 1];
  expect(next, 'a request followed the fault').toBeDefined();
  return next!.at - log[i]!.at;
}

describe('rate limits are honoured', () => {
  it('429 with Retry-After in seconds on a create: waits, sends again, one render', async () => {
    const hh = await harness();
    hh.fakes.oshara.server.inject({ kind: '429', method: 'POST', path: /^\/api\/video-only\/$/, retryAfterSec: 30 });
    const [j] = await runRows(hh, ['oshara']);
    expectCompletedWithSample(hh, j!);
    const creates = hh.creates('oshara');
    expect(creates.map((c) => c.fault ?? c.status)).toEqual(['429', 201]);
    expect(gapAfterFault(creates)).toBeGreaterThanOrEqual(30_000);
    expect(rendersAt(hh.fakes, 'oshara')).toBe(1);
    expect(eventCodes(hh, j!.id)).toContain('submit_retry');
  });

  it('429 with Retry-After as an HTTP-date on a create: waits, sends again, one render', async () => {
    const hh = await harness();
    hh.fakes.aisa.server.inject({ kind: '429-date', method: 'POST', path: /^\/v1\/videos$/, retryAfterSec: 20 });
    const [j] = await runRows(hh, ['aisa']);
    expectCompletedWithSample(hh, j!);
    const creates = hh.creates('aisa');
    expect(creates.map((c) => c.fault ?? c.status)).toEqual(['429-date', 200]);
    // An HTTP-date has whole seconds: at least 19 of the 20 s are waited.
    expect(gapAfterFault(creates)).toBeGreaterThanOrEqual(19_000);
    expect(rendersAt(hh.fakes, 'aisa')).toBe(1);
  });

  it('429 on polls (seconds and HTTP-date): polling waits and resumes, nothing is sent twice', async () => {
    const hh = await harness();
    hh.fakes.techforge.server.inject({ kind: '429', method: 'GET', path: /^\/jobs\//, retryAfterSec: 40 });
    hh.fakes.creatify.server.inject({ kind: '429-date', method: 'GET', path: /^\/api\/aurora\/[^/]+\/$/, retryAfterSec: 20 });
    const jobs = await runRows(hh, ['techforge', 'creatify']);
    for (const j of jobs) expectCompletedWithSample(hh, j);
    expect(gapAfterFault(hh.fakes.techforge.server.requests('GET', /^\/jobs\//))).toBeGreaterThanOrEqual(40_000);
    expect(gapAfterFault(hh.fakes.creatify.server.requests('GET', /^\/api\/aurora\/[^/]+\/$/))).toBeGreaterThanOrEqual(19_000);
    for (const p of ['techforge', 'creatify'] as const) {
      expect(hh.creates(p)).toHaveLength(1);
      expect(rendersAt(hh.fakes, p)).toBe(1);
    }
  });
});

describe('server errors on polls', () => {
  it('500 and 503 answers to polls are retried with backoff until the render is found done', async () => {
    const hh = await harness();
    hh.fakes.sync.server.inject({ kind: '500', method: 'GET', path: /^\/v2\/generat/, times: 2 });
    hh.fakes.aisa.server.inject({ kind: '503', method: 'GET', path: /^\/v1\/videos/, times: 2, retryAfterSec: 5 });
    const jobs = await runRows(hh, ['sync', 'aisa']);
    for (const j of jobs) {
      expectCompletedWithSample(hh, j);
      expect(hh.creates(j.provider as CloudProvider)).toHaveLength(1);
      expect(hh.core.jobs.events(j.id).filter((e) => e.kind === 'error' && /Checking status/.test(e.message))).toHaveLength(2);
    }
    expect(hh.fakes.sync.server.log.filter((e) => e.fault === '500')).toHaveLength(2);
    expect(hh.fakes.aisa.server.log.filter((e) => e.fault === '503')).toHaveLength(2);
  });
});

describe('lost connections around a create', () => {
  it('reset before a create is handled: nothing was created, so reconcile proves it absent and it is sent again', async () => {
    const hh = await harness();
    hh.fakes.oshara.server.inject({ kind: 'reset', method: 'POST', path: /^\/api\/video-only\/$/ });
    hh.fakes.aisa.server.inject({ kind: 'reset', method: 'POST', path: /^\/v1\/videos$/ });
    const jobs = await runRows(hh, ['oshara', 'aisa']);
    for (const j of jobs) {
      expectCompletedWithSample(hh, j);
      const p = j.provider as CloudProvider;
      expect(hh.creates(p).map((c) => c.fault ?? 'ok')).toEqual(['reset', 'ok']);
      expect(rendersAt(hh.fakes, p)).toBe(1);
      const statuses = hh.core.jobs.events(j.id).map((e) => e.toStatus);
      expect(statuses).toContain('submit_unknown');
      expect(eventCodes(hh, j.id)).toContain('reconcile_absent');
    }
  });

  it.each([
    ['reset-after', 'oshara'],
    ['reset-after', 'aisa'],
    ['reset-after', 'sync'],
    ['reset-after', 'creatify'],
    ['malformed', 'sync'],
    ['malformed', 'aisa'],
  ] as const)('%s on a %s create: the job was created, reconcile finds it, exactly one render', async (kind, provider) => {
    const hh = await harness();
    // Creatify can only find a job through a list; its Aurora list is [UNCONFIRMED], so the fake offers one here.
    hh.fakes.creatify.auroraList = 'available';
    const createPath = { oshara: /^\/api\/video-only\/$/, aisa: /^\/v1\/videos$/, sync: /^\/v2\/generate$/, creatify: /^\/api\/aurora\/$/ }[provider];
    hh.fakes[provider].server.inject({ kind, method: 'POST', path: createPath } satisfies Fault);
    const [j] = await runRows(hh, [provider]);
    expectCompletedWithSample(hh, j!);
    expect(rendersAt(hh.fakes, provider), 'renders at the provider').toBe(1);
    const events = hh.core.jobs.events(j!.id);
    expect(events.map((e) => e.toStatus)).toContain('submit_unknown');
    expect(events.some((e) => /^Found at .* Nothing was sent twice/.test(e.message))).toBe(true);
    const creates = hh.creates(provider);
    if (provider === 'sync') {
      // Sync's reconcile re-sends the same request under the same Idempotency-Key: the fake replays it.
      expect(creates).toHaveLength(2);
      expect(new Set(creates.map((c) => c.headers['idempotency-key'])).size).toBe(1);
    } else expect(creates).toHaveLength(1);
  });

  it('TechForge cannot reconcile: a lost create answer waits for the user, and "resubmit" sends it again', async () => {
    const hh = await harness();
    hh.fakes.techforge.server.inject({ kind: 'reset-after', method: 'POST', path: /^\/jobs\/v2$/ });
    const { jobIds } = await hh.admit([hh.row('techforge', 'Lost answer')]);
    const id = jobIds[0]!;
    const waiting = await hh.waitFor(() => {
      const j = hh.job(id);
      return j.status === 'submit_unknown' && j.nextActionAt === null && eventCodes(hh, id).includes('reconcile_unknown') ? j : undefined;
    });
    expect(waiting.providerJobId).toBeNull();
    await hh.waitForNotice(/needs a decision/);
    expect(rendersAt(hh.fakes, 'techforge')).toBe(1);
    expect(hh.creates('techforge')).toHaveLength(1);
    expect(hh.core.engine.idle).toBe(true);

    // A restart does not take the decision away: the job keeps waiting (while other work runs).
    const eventsBefore = hh.core.jobs.events(id).length;
    await hh.restart();
    const other = await hh.admit([hh.row('aisa', 'After restart')]);
    await hh.waitForStatus(other.jobIds, 'completed');
    expect(hh.job(id)).toMatchObject({ status: 'submit_unknown', nextActionAt: null });
    expect(hh.core.jobs.events(id)).toHaveLength(eventsBefore);
    expect(hh.creates('techforge')).toHaveLength(1);

    const res = await hh.core.engine.act([id], 'resubmit');
    expect(res).toEqual({ changed: 1, skipped: [] });
    const [done] = await hh.waitForStatus([id], ['completed', 'failed']);
    expectCompletedWithSample(hh, done!);
    expect(done!.attempt).toBe(2);
    expect(done!.idempotencyKey).not.toBe(waiting.idempotencyKey);
    // The user accepted the risk: TechForge now holds two renders, the second one is this job's.
    expect(hh.creates('techforge')).toHaveLength(2);
    expect(rendersAt(hh.fakes, 'techforge')).toBe(2);
    expect(hh.fakes.techforge.jobs.has(done!.providerJobId!)).toBe(true);
  });
});

describe('outputs and provider verdicts', () => {
  it('an expired output link is refreshed through the adapter; the render is not repeated', async () => {
    const hh = await harness();
    const tf = hh.fakes.techforge;
    // The first signed link expires at once; the adapter is asked again and the second one works.
    tf.signedUrlTtlMs = 1;
    let signed = 0;
    tf.server.intercept((req) => {
      if ((req.url ?? '').startsWith('/storage/generate-signed-path') && ++signed === 2) tf.signedUrlTtlMs = 3_600_000;
      return false;
    });
    const [j] = await runRows(hh, ['techforge']);
    expectCompletedWithSample(hh, j!);
    expect(tf.server.requests('GET', '/storage/generate-signed-path')).toHaveLength(2);
    expect(tf.server.requests('GET', /^\/_files\//)).toHaveLength(2);
    expect(eventCodes(hh, j!.id)).toContain('download_expired');
    expect(hh.creates('techforge')).toHaveLength(1);
    expect(rendersAt(hh.fakes, 'techforge')).toBe(1);
  });

  it("a rejected or failed render fails the job with the provider's own reason", async () => {
    const hh = await harness();
    hh.fakes.sync.rejectNext('generation_audio_length_exceeded', 'Audio is longer than the 300 s limit');
    hh.fakes.aisa.failNext('moderation_blocked', 'Your request was blocked by our moderation system.');
    const jobs = await runRows(hh, ['sync', 'aisa']);
    const sync = jobs.find((j) => j.provider === 'sync')!;
    const aisa = jobs.find((j) => j.provider === 'aisa')!;
    expect(sync.status).toBe('failed');
    expect(sync.error?.message).toContain('Audio is longer than the 300 s limit');
    expect(aisa.status).toBe('failed');
    expect(aisa.error?.message).toContain('blocked by our moderation system');
    for (const j of jobs) {
      expect(j.outputId).toBeNull();
      expect(hh.creates(j.provider as CloudProvider)).toHaveLength(1);
    }
    expect(hh.libraryFiles().filter((f) => f.endsWith('.mp4'))).toEqual([]);
  });

  it('one provider failing hard never blocks the others', async () => {
    const hh = await harness();
    hh.fakes.oshara.server.inject({ kind: '500', times: 100_000 });
    const { jobIds } = await hh.admit([hh.row('oshara', 'Broken 1'), hh.row('oshara', 'Broken 2'), hh.row('sync', 'Fine 1'), hh.row('aisa', 'Fine 2'), hh.row('techforge', 'Fine 3')]);
    const fine = await hh.waitForStatus(jobIds.slice(2), 'completed');
    for (const j of fine) expectCompletedWithSample(hh, j);
    const broken = jobIds.slice(0, 2).map((id) => hh.job(id));
    for (const j of broken) expect(['queued', 'submitting', 'submit_unknown', 'failed']).toContain(j.status);
    expect(rendersAt(hh.fakes, 'oshara')).toBe(0);
    expect(hh.fakes.oshara.server.log.length).toBeGreaterThan(0);
  });
});
