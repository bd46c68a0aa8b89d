import { describe, expect, it } from 'vitest';
import { batchProgress, expectedLengthSec, expectedRenderSec, jobTimeLeft, type Expected, type RenderSample } from '../../shared/eta';
import type { JobRecord } from '../../shared/model';

const NOW = 1_000_000_000;

function job(over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: over.id ?? 'j',
    batchId: 'b',
    row: 1,
    provider: 'sync',
    status: 'running',
    input: { title: 't', script: 'one two three four five six seven eight nine ten', params: {} },
    priority: 0,
    attempt: 1,
    providerJobId: 'p',
    providerStatus: 'PROCESSING',
    progress: null,
    etaSec: null,
    costEstimate: null,
    costUsed: null,
    error: null,
    outputId: null,
    preview: null,
    createdAt: NOW - 600_000,
    updatedAt: NOW,
    submittedAt: NOW - 60_000,
    finishedAt: null,
    ...over,
  };
}

const typical = (sec: number): Expected => ({ sec, source: 'typical', samples: 0 });

describe('expectedRenderSec', () => {
  const h = (provider: RenderSample['provider'], model: string | null, lengthSec: number | null, renderSec: number): RenderSample => ({ provider, model, lengthSec, renderSec });

  it('uses the provider’s typical time with no history', () => {
    expect(expectedRenderSec({ provider: 'sync', model: null, lengthSec: 10 }, [], 150)).toEqual({ sec: 150, source: 'typical', samples: 0 });
  });

  it('uses the median of the same provider and model, preferring similar lengths', () => {
    const history = [h('sync', 'lipsync-2', 10, 100), h('sync', 'lipsync-2', 12, 120), h('sync', 'lipsync-2', 60, 600), h('sync', 'lipsync-2', 70, 700), h('sync', 'lipsync-2', 65, 650), h('aisa', null, 10, 5)];
    expect(expectedRenderSec({ provider: 'sync', model: 'lipsync-2', lengthSec: 11 }, history, 150)).toEqual({ sec: 110, source: 'history', samples: 2 });
    expect(expectedRenderSec({ provider: 'sync', model: 'lipsync-2', lengthSec: 64 }, history, 150)).toEqual({ sec: 650, source: 'history', samples: 3 });
    // Unknown length: every sample of the model.
    expect(expectedRenderSec({ provider: 'sync', model: 'lipsync-2', lengthSec: null }, history, 150).sec).toBe(600);
  });

  it('falls back to the provider’s other models, then to the typical time', () => {
    const history = [h('sync', 'a', 10, 40), h('sync', 'b', 10, 60)];
    expect(expectedRenderSec({ provider: 'sync', model: 'c', lengthSec: 10 }, history, 150)).toEqual({ sec: 50, source: 'history', samples: 2 });
    expect(expectedRenderSec({ provider: 'aisa', model: null, lengthSec: 10 }, history, 120)).toEqual({ sec: 120, source: 'typical', samples: 0 });
  });

  it('reads the length from a seconds parameter, else the script', () => {
    expect(expectedLengthSec(job({ input: { title: 't', params: { seconds: '8' } } }))).toBe(8);
    expect(expectedLengthSec(job())).toBe(4);
    expect(expectedLengthSec(job({ input: { title: 't', params: {} } }))).toBeNull();
  });
});

describe('jobTimeLeft', () => {
  it('takes the provider’s own time left as is (not "about")', () => {
    const t = jobTimeLeft(job({ etaSec: 42, progress: 0.5 }), typical(150), NOW);
    expect(t).toMatchObject({ sec: 42, approx: false, source: 'provider', fraction: 0.5 });
  });

  it('derives time left from the provider’s progress', () => {
    const t = jobTimeLeft(job({ progress: 0.25 }), typical(150), NOW);
    // 60 s for 25% → 180 s for the rest.
    expect(t).toMatchObject({ sec: 180, approx: true, source: 'progress', fraction: 0.25 });
  });

  it('without progress: elapsed against expected, never 0% while rendering', () => {
    const t = jobTimeLeft(job({ progress: 0 }), typical(240), NOW);
    expect(t).toMatchObject({ sec: 180, approx: true, source: 'typical', elapsedSec: 60, expectedSec: 240, overdue: false });
    expect(t.fraction).toBeCloseTo(0.25);
    const justSent = jobTimeLeft(job({ submittedAt: NOW }), typical(240), NOW);
    expect(justSent.fraction).toBeGreaterThan(0);
  });

  it('past the expected time: overdue, no made-up time left, the bar not full', () => {
    const t = jobTimeLeft(job({ submittedAt: NOW - 600_000 }), typical(150), NOW);
    expect(t).toMatchObject({ sec: null, overdue: true, approx: true });
    expect(t.fraction).toBeLessThan(1);
  });

  it('has none for queued, finished and preview-waiting jobs', () => {
    for (const status of ['queued', 'completed', 'failed', 'paused'] as const) expect(jobTimeLeft(job({ status }), typical(100), NOW).sec).toBeNull();
    expect(jobTimeLeft(job({ status: 'awaiting_approval' }), typical(100), NOW).source).toBe('none');
  });
});

describe('batchProgress', () => {
  const ctx = (conc: number, exp = 100) => ({ now: NOW, expectedOf: () => typical(exp), concurrencyOf: () => conc });

  it('the bar means done/total, not "anything happening"', () => {
    const p = batchProgress([job({ id: 'a' }), job({ id: 'b', status: 'queued' }), job({ id: 'c', status: 'queued' })], ctx(1));
    expect(p).toMatchObject({ total: 3, done: 0, fraction: 0, running: 1, waiting: 2, finished: false });
  });

  it('queued jobs wait for a free slot of their provider', () => {
    // One slot: 40 s left on the running job, then 2 × 100 s.
    expect(batchProgress([job({ id: 'a' }), job({ id: 'b', status: 'queued' }), job({ id: 'c', status: 'queued' })], ctx(1)).leftSec).toBe(240);
    // Two slots: 40 + 100 in one, 100 in the other.
    expect(batchProgress([job({ id: 'a' }), job({ id: 'b', status: 'queued' }), job({ id: 'c', status: 'queued' })], ctx(2)).leftSec).toBe(140);
  });

  it('providers run side by side: the slowest one decides', () => {
    const jobs = [job({ id: 'a', provider: 'sync', etaSec: 30 }), job({ id: 'b', provider: 'aisa', etaSec: 90 })];
    const p = batchProgress(jobs, ctx(1));
    expect(p.leftSec).toBe(90);
    expect(p.approx).toBe(false);
  });

  it('finished: nothing left, failures counted', () => {
    const p = batchProgress([job({ id: 'a', status: 'completed' }), job({ id: 'b', status: 'failed' })], ctx(1));
    expect(p).toMatchObject({ done: 1, failed: 1, leftSec: null, finished: true, fraction: 0.5 });
  });

  it('paused and needs-you jobs are not counted as time left', () => {
    const p = batchProgress([job({ id: 'a', status: 'paused' }), job({ id: 'b', status: 'stalled' }), job({ id: 'c', status: 'awaiting_approval' })], ctx(1));
    expect(p).toMatchObject({ paused: 1, needsYou: 2, running: 0, leftSec: null, finished: false });
  });
});
