import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventName } from '../../shared/contract';
import { AppError } from '../../shared/result';
import { openCore, type Core } from '../../electron/core/app-core';
import { createHandlers, dispatch } from '../../electron/core/handlers';
import { fileKeyCipher } from '../../electron/core/secrets/cipher';

/**
 * The services behind thin handlers, on a real core (real SQLite, real admission, the engine not
 * started so jobs stay where the services put them): "render again" admits like any row, and the
 * queue control wakes exactly the jobs a change concerns.
 */
const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

let dataDir: string;
let core: Core;
let events: { name: EventName; payload: unknown }[];

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tb-services-'));
  core = openCore({ dataDir, mode: 'cli', cipher: (p) => fileKeyCipher(p.root), env: {}, credentialsFromEnv: false });
  events = [];
  core.events.on((name, payload) => void events.push({ name, payload }));
});

afterEach(async () => {
  await core.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A finished local render in the library (its output row written as the library does). */
async function finishedVideo(params: Record<string, unknown> = { aspect_ratio: '16:9' }): Promise<{ outputId: string; jobId: string; batchId: string }> {
  const { batchId, jobIds } = await core.admission.admit({
    name: 'Spring',
    rows: [{ title: 'Hello', provider: 'local', script: 'Hello there, this is a draft.', avatar: path.join(FIXTURES, 'avatar.png'), params }],
  });
  const jobId = jobIds[0]!;
  const outputId = `out-${jobId}`;
  core.outputs.insert({ id: outputId, jobId, file: 'Spring/1-Hello-local.mp4', thumbnail: null, sidecar: 'Spring/1-Hello-local.json', sha256: '0'.repeat(64), size: 1, durationSec: 2, createdAt: Date.now() });
  return { outputId, jobId, batchId };
}

async function refused(fn: () => unknown): Promise<AppError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected an AppError');
}

describe('admission: render again', () => {
  it('queues the same inputs again as a new batch of one, keeping the parameters for the same provider', async () => {
    const { outputId, jobId } = await finishedVideo();
    const before = core.jobs.get(jobId)!;
    const again = core.admission.renderAgain({ outputId, provider: 'local' });
    expect(again.jobIds).toHaveLength(1);
    const job = core.jobs.get(again.jobIds[0]!)!;
    expect(job).toMatchObject({ status: 'queued', provider: 'local', batchId: again.batchId, row: before.row });
    expect(job.input).toEqual(before.input);
    expect(core.batches.get(again.batchId)).toMatchObject({ name: 'Spring — again with Local draft', budget: null });
    expect(core.db.prepare('SELECT source FROM batches WHERE id = ?').get(again.batchId)).toEqual({ source: `rerender:${outputId}` });
  });

  it('takes the parameters given for another provider, and refuses what that provider cannot render, storing nothing', async () => {
    const { outputId } = await finishedVideo();
    const batches = core.batches.summaries().length;
    // TechForge animates an image with audio: a script alone, with no project, is not a job it takes.
    const e = await refused(() => core.admission.renderAgain({ outputId, provider: 'techforge' }));
    expect(e.code).toBe('invalid_batch');
    expect(e.message).toBe('TechForge Innovate cannot render this row as it is');
    expect(e.issues?.length).toBeGreaterThan(0);
    expect(core.batches.summaries()).toHaveLength(batches);

    const again = core.admission.renderAgain({ outputId, provider: 'local', params: { aspect_ratio: '1:1' } });
    expect(core.jobs.get(again.jobIds[0]!)!.input.params).toEqual({ aspect_ratio: '1:1' });
  });

  it('says why a switched-off provider cannot take it (the spec’s words), and "not found" for a video that is gone', async () => {
    const { outputId } = await finishedVideo();
    const off = await refused(() => core.admission.renderAgain({ outputId, provider: 'aisa' }));
    expect(off.issues).toContainEqual({ field: 'provider', message: expect.stringMatching(/^aisa\.one is turned off: OpenAI retired the Sora 2 API/) });
    const gone = await refused(() => core.admission.renderAgain({ outputId: 'no-such-output', provider: 'local' }));
    expect(gone).toMatchObject({ code: 'not_found', message: 'That video is no longer in the library' });
  });

  it('is what the library:rerender channel runs', async () => {
    const { outputId } = await finishedVideo();
    const handlers = createHandlers(core, { version: 'test', mode: 'server' });
    const res = await dispatch(handlers, 'library:rerender', { id: outputId, provider: 'local' });
    expect(res.ok).toBe(true);
    const { jobIds } = (res as { value: { jobIds: string[] } }).value;
    expect(core.jobs.get(jobIds[0]!)?.status).toBe('queued');
    const bad = await dispatch(handlers, 'library:rerender', { id: outputId, provider: 'techforge' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_batch' } });
  });
});

describe('queue control', () => {
  /** Two queued jobs, one local and one Sync, both held (waiting for something, no next action time). */
  async function heldJobs(): Promise<{ local: string; sync: string; batchId: string }> {
    core.settings.set({ aisaEnabled: false });
    const { batchId, jobIds } = await core.admission.admit({
      name: 'Held',
      rows: [
        { title: 'A', provider: 'local', script: 'Hello there.', avatar: path.join(FIXTURES, 'avatar.png'), params: {} },
        { title: 'B', provider: 'sync', video: path.join(FIXTURES, 'sample.mp4'), audio: path.join(FIXTURES, 'voice.wav'), params: {} },
      ],
    });
    core.jobs.setNextAction(jobIds, null);
    return { local: jobIds[0]!, sync: jobIds[1]!, batchId };
  }
  const due = (id: string) => core.jobs.get(id)!.nextActionAt;

  it('retryWaiting wakes only the jobs of the provider (or batch) the change concerns', async () => {
    const { local, sync, batchId } = await heldJobs();
    const t0 = Date.now();
    core.queue.retryWaiting({ provider: 'sync' });
    expect(due(sync)).toBeGreaterThanOrEqual(t0);
    expect(due(local)).toBeNull();
    core.queue.retryWaiting({ batchId });
    expect(due(local)).toBeGreaterThanOrEqual(t0);
  });

  it('a saved key wakes that provider’s jobs through credentials:set; the asset host’s key wakes none of them', async () => {
    const { local, sync } = await heldJobs();
    const handlers = createHandlers(core, { version: 'test', mode: 'server' });
    expect((await dispatch(handlers, 'credentials:set', { provider: 'assethost', label: 'bucket', values: { accessKeyId: 'AKIA-test-0001', secretAccessKey: 'secret-test-0001' } })).ok).toBe(true);
    expect(due(sync)).toBeNull();
    expect((await dispatch(handlers, 'credentials:set', { provider: 'sync', label: 'main', values: { apiKey: 'sk-sync-test-0001' } })).ok).toBe(true);
    expect(due(sync)).not.toBeNull();
    expect(due(local)).toBeNull();
  });

  it('pausing and resuming: stored, pushed as queue:changed, and resuming wakes every held job', async () => {
    const { local, sync } = await heldJobs();
    expect(core.queue.setPaused(true)).toMatchObject({ paused: true });
    expect(core.settings.get().queuePaused).toBe(true);
    expect(due(local)).toBeNull();
    const resumed = core.queue.setPaused(false);
    expect(resumed).toMatchObject({ paused: false, counts: { queued: 2 } });
    expect(due(local)).not.toBeNull();
    expect(due(sync)).not.toBeNull();
    expect(events.filter((e) => e.name === 'queue:changed').map((e) => (e.payload as { paused: boolean }).paused)).toEqual([true, false]);
  });

  it('settings: a provider switched on (a spec’s switch) or a concurrency change wakes held jobs; an unrelated setting does not', async () => {
    const { local } = await heldJobs();
    const before = core.settings.get();
    const stall = core.settings.set({ stallMinutes: 50 });
    core.queue.settingsChanged(before, stall, { stallMinutes: 50 });
    expect(due(local)).toBeNull();
    expect(events.some((e) => e.name === 'queue:changed')).toBe(false);
    const on = core.settings.set({ aisaEnabled: true });
    core.queue.settingsChanged(stall, on, { aisaEnabled: true });
    expect(due(local)).not.toBeNull();
    expect(events.filter((e) => e.name === 'queue:changed')).toHaveLength(1);
    core.jobs.setNextAction([local], null);
    core.queue.settingsChanged(on, core.settings.set({ concurrency: { local: 2 } }), { concurrency: { local: 2 } });
    expect(due(local)).not.toBeNull();
  });
});
