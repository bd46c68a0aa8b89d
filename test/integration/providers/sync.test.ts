import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncAdapter, syncIdempotencyKey } from '../../../electron/core/providers/sync';
import { signedUrlExpiry } from '../../../electron/core/providers/kit';
import type { AdapterJob, PollResult } from '../../../electron/core/providers/types';
import { SYNC_MODELS } from '../../../shared/providers/sync';
import { sampleMp4 } from '../../fakes/base';
import { SYNC_FAKE_KEY, startSyncFake, type SyncFake } from '../../fakes/sync';
import { pollUntilDone, testAssets, testContext, testJob, type TestAssets, type TestContext } from '../../helpers/context';

type Fake = Awaited<ReturnType<typeof startSyncFake>>;
type FakeOpts = Parameters<typeof startSyncFake>[0];

const VIDEO_URL = 'https://cdn.example.com/talk.mp4';
const AUDIO_URL = 'https://cdn.example.com/voice.mp3';

let fake: SyncFake;
let assets: TestAssets;
let ctx: TestContext;
const extraFakes: Fake[] = [];

/** `apiKey: null` = no key configured. */
function makeCtx(f: Fake = fake, apiKey: string | null = SYNC_FAKE_KEY): TestContext {
  return testContext({ baseUrl: f.url, credentials: apiKey === null ? {} : { apiKey }, assets });
}

async function otherFake(opts: FakeOpts): Promise<{ f: Fake; c: TestContext }> {
  const f = await startSyncFake(opts);
  extraFakes.push(f);
  return { f, c: makeCtx(f) };
}

beforeEach(async () => {
  fake = await startSyncFake({ timeScale: 0.001 });
  assets = await testAssets();
  ctx = makeCtx();
});

afterEach(async () => {
  await fake.close();
  for (const f of extraFakes.splice(0)) await f.close();
  await assets.publicHost.close();
});

const urlJob = (over: Partial<AdapterJob['input']> = {}, jobOver: Partial<AdapterJob> = {}): AdapterJob =>
  testJob({ title: 'Launch promo #1', video: { url: VIDEO_URL }, audio: { url: AUDIO_URL }, params: {}, ...over }, jobOver);

async function submitted(job: AdapterJob, c: TestContext = ctx): Promise<AdapterJob> {
  const res = await syncAdapter.submit(job, c);
  return { ...job, providerJobId: res.providerJobId, providerState: { ...job.providerState, ...(res.providerState ?? {}) } };
}

async function pollOnce(job: AdapterJob, c: TestContext = ctx): Promise<PollResult> {
  const r = (await syncAdapter.poll([job], c)).get(job.id);
  if (!r) throw new Error('no poll result');
  return r;
}

/** Polls until `pred` holds (state-based wait, no fixed sleeps). */
async function pollUntil(job: AdapterJob, pred: (r: PollResult) => boolean, c: TestContext = ctx): Promise<PollResult> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await pollOnce(job, c);
    if (pred(r)) return r;
    if (Date.now() > deadline) throw new Error(`still ${r.rawStatus}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function fetchBytes(url: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await request(url);
  return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) };
}

const creates = (f: Fake = fake) => f.server.requests('POST', '/v2/generate');

describe('describe / validate / estimate', () => {
  it('delegates to the pure spec', () => {
    expect(syncAdapter.id).toBe('sync');
    expect(syncAdapter.describe().defaultBaseUrl).toBe('https://api.sync.so');
    const input = { title: 't', params: {}, video: assets.resolved('sample.mp4'), audio: assets.resolved('voice.wav') };
    expect(syncAdapter.validate(input)).toEqual([]);
    expect(syncAdapter.estimateCost(input)).toMatchObject({ amount: 0.399, unit: 'USD' });
  });

  it('lists the models', async () => {
    const models = await syncAdapter.listOptions!('models', ctx);
    expect(models.map((m) => m.value)).toEqual([...SYNC_MODELS]);
    expect(models.find((m) => m.value === 'react-1')?.detail).toContain('assumed');
    expect(await syncAdapter.listOptions!('voices', ctx)).toEqual([]);
  });
});

describe('submit', () => {
  it('sends URL inputs as JSON with the key, the Idempotency-Key and a clean outputFileName', async () => {
    const job = urlJob({ params: { model: 'lipsync-2' } });
    const res = await syncAdapter.submit(job, ctx);
    const [create] = creates();
    expect(create!.headers['x-api-key']).toBe(SYNC_FAKE_KEY);
    expect(create!.headers['idempotency-key']).toBe(job.idempotencyKey);
    expect(create!.headers['content-type']).toContain('application/json');
    expect(create!.body).toEqual({
      model: 'lipsync-2',
      input: [
        { type: 'video', url: VIDEO_URL },
        { type: 'audio', url: AUDIO_URL },
      ],
      options: { temperature: 0.5 },
      outputFileName: 'Launch_promo_1',
    });
    expect(create!.status).toBe(201);
    expect(fake.jobs.has(res.providerJobId)).toBe(true);
    expect(res.initial).toMatchObject({ state: 'queued', rawStatus: 'PENDING' });
    expect(res.providerState).toMatchObject({ idempotencyKey: job.idempotencyKey });
  });

  it('uploads local files as multipart: one file part per type, nested values as JSON strings', async () => {
    const v = assets.add('sample.mp4');
    const a = assets.add('voice.wav');
    const job = testJob({ title: 'Local', video: v.ref, audio: a.ref, params: { sync_mode: 'cut_off' } });
    const res = await syncAdapter.submit(job, ctx);
    const [create] = creates();
    expect(create!.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(create!.headers['idempotency-key']).toBe(job.idempotencyKey);
    expect(create!.files).toEqual({
      video: { filename: 'sample.mp4', size: v.info.size, mimeType: 'video/mp4' },
      audio: { filename: 'voice.wav', size: a.info.size, mimeType: 'audio/wav' },
    });
    const fields = create!.body as Record<string, string>;
    expect(fields.model).toBe('sync-3');
    expect(JSON.parse(fields.input!)).toEqual([{ type: 'video' }, { type: 'audio' }]);
    expect(JSON.parse(fields.options!)).toEqual({ sync_mode: 'cut_off', temperature: 0.5 });
    expect(fields.outputFileName).toBe('Local');
    // The fake stored the uploads as assets and filled the inputs with them.
    const stored = fake.jobs.get(res.providerJobId)!.data.input as { type: string; assetId?: string }[];
    expect(stored.map((i) => fake.assets.get(i.assetId!)?.name)).toEqual(['sample.mp4', 'voice.wav']);
    expect(res.providerState).toMatchObject({ requestMode: 'multipart' });
  });

  it('sends a photo avatar as the image file (sync-3)', async () => {
    const img = assets.add('avatar.png');
    const a = assets.add('voice.mp3');
    await syncAdapter.submit(testJob({ title: 'Photo', avatar: img.ref, audio: a.ref, params: {} }), ctx);
    const [create] = creates();
    expect(Object.keys(create!.files).sort()).toEqual(['audio', 'image']);
    expect(JSON.parse((create!.body as Record<string, string>).input!)).toEqual([{ type: 'image' }, { type: 'audio' }]);
  });

  it('turns a script into an ElevenLabs text input', async () => {
    await syncAdapter.submit(urlJob({ audio: undefined, script: 'Hello world', params: { voice_id: '21m00Tcm4TlvDq8ikWAM', model: 'lipsync-2' } }), ctx);
    expect((creates()[0]!.body as { input: unknown[] }).input).toEqual([
      { type: 'video', url: VIDEO_URL },
      { type: 'text', provider: { name: 'elevenlabs', voiceId: '21m00Tcm4TlvDq8ikWAM', script: 'Hello world' } },
    ]);
  });

  it('maps options, react-1 settings and segments', async () => {
    await syncAdapter.submit(
      urlJob({
        title: 'Segments',
        audio: undefined,
        params: {
          model: 'react-1',
          sync_mode: 'bounce',
          temperature: 0.8,
          active_speaker_detection: true,
          occlusion_detection_enabled: false,
          model_mode: 'head',
          emotion: 'happy',
          segments: [
            { startTime: 0, endTime: 2, audio: 'https://cdn.example.com/a.mp3' },
            { startTime: 2, endTime: 4, audio: 'https://cdn.example.com/b.mp3', audioStartTime: 1, audioEndTime: 3 },
          ],
        },
      }),
      ctx,
    );
    const [create] = creates();
    expect(create!.status).toBe(201);
    expect(create!.body).toEqual({
      model: 'react-1',
      input: [
        { type: 'video', url: VIDEO_URL },
        { type: 'audio', url: 'https://cdn.example.com/a.mp3', refId: 'segment-1' },
        { type: 'audio', url: 'https://cdn.example.com/b.mp3', refId: 'segment-2' },
      ],
      options: { sync_mode: 'bounce', temperature: 0.8, active_speaker_detection: { auto_detect: true }, occlusion_detection_enabled: false, model_mode: 'head', prompt: 'happy' },
      segments: [
        { startTime: 0, endTime: 2, audioInput: { refId: 'segment-1' } },
        { startTime: 2, endTime: 4, audioInput: { refId: 'segment-2', startTime: 1, endTime: 3 } },
      ],
      outputFileName: 'Segments',
    });
  });

  it('refuses an invalid job before sending anything', async () => {
    await expect(syncAdapter.submit(urlJob({ video: undefined }), ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'invalid_input', message: expect.stringContaining('video') });
    expect(creates()).toHaveLength(0);
  });

  it('upload_mode assets: uploads each file once (PUT without the key), registers it, and reuses the id across rows', async () => {
    const v = assets.add('sample.mp4');
    const a = assets.add('voice.wav');
    const params = { upload_mode: 'assets' };
    const r1 = await syncAdapter.submit(testJob({ title: 'A', video: v.ref, audio: a.ref, params }), ctx);
    const r2 = await syncAdapter.submit(testJob({ title: 'B', video: v.ref, audio: a.ref, params }), ctx);
    expect(r1.providerJobId).not.toBe(r2.providerJobId);

    const slots = fake.server.requests('POST', '/v2/assets/upload');
    expect(slots.map((s) => s.body)).toEqual([
      { fileName: 'sample.mp4', contentType: 'video/mp4', size: v.info.size },
      { fileName: 'voice.wav', contentType: 'audio/wav', size: a.info.size },
    ]);
    const puts = fake.server.requests('PUT', /^\/_uploads\//);
    expect(puts).toHaveLength(2);
    for (const put of puts) {
      expect(put.status).toBe(200);
      expect(put.headers['x-api-key']).toBeUndefined();
    }
    expect(puts.map((p) => p.headers['content-type'])).toEqual(['video/mp4', 'audio/wav']);
    const registers = fake.server.requests('POST', '/v2/assets');
    expect(registers).toHaveLength(2);
    expect((registers[0]!.body as { url: string }).url).toMatch(/\/_assets\/.+\/sample\.mp4$/);

    const videoAsset = assets.remembered(`sync:asset:${v.info.id}`);
    const audioAsset = assets.remembered(`sync:asset:${a.info.id}`);
    expect(fake.assets.get(videoAsset!)?.name).toBe('sample.mp4');
    const bodies = creates().map((c) => c.body as { input: unknown[] });
    for (const b of bodies) {
      expect(b.input).toEqual([
        { type: 'video', assetId: videoAsset },
        { type: 'audio', assetId: audioAsset },
      ]);
    }
    expect(creates()[0]!.headers['content-type']).toContain('application/json');
  });
});

describe('idempotency and reconcile', () => {
  it('the same key and body return the same generation', async () => {
    const job = urlJob();
    const a = await syncAdapter.submit(job, ctx);
    const b = await syncAdapter.submit(job, ctx);
    expect(b.providerJobId).toBe(a.providerJobId);
    expect(fake.jobs.size).toBe(1);
    expect(creates().map((c) => c.status)).toEqual([201, 200]);
  });

  it('sanitizes a key Sync would refuse, deterministically', async () => {
    const raw = 'job 7/attempt #2';
    const key = syncIdempotencyKey(raw);
    expect(key).toMatch(/^[A-Za-z0-9._~-]{1,128}$/);
    expect(syncIdempotencyKey(raw)).toBe(key);
    expect(syncIdempotencyKey('job-7/attempt-#2')).not.toBe(key);
    expect(syncIdempotencyKey('x'.repeat(300))).toMatch(/^[A-Za-z0-9._~-]{1,128}$/);
    expect(syncIdempotencyKey('tb-job-1-a1')).toBe('tb-job-1-a1');
    await syncAdapter.submit(urlJob({}, { idempotencyKey: raw }), ctx);
    expect(creates()[0]!.headers['idempotency-key']).toBe(key);
    expect(creates()[0]!.status).toBe(201);
  });

  it('the fake refuses an invalid key and a reused key with another body', async () => {
    const res = await request(`${fake.url}/v2/generate`, {
      method: 'POST',
      headers: { 'x-api-key': SYNC_FAKE_KEY, 'idempotency-key': 'has space', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sync-3', input: [] }),
    });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toMatchObject({ errorCode: 'INVALID_IDEMPOTENCY_KEY', statusCode: 400 });

    const job = urlJob();
    await syncAdapter.submit(job, ctx);
    const changed = { ...job, input: { ...job.input, title: 'Another title' } };
    await expect(syncAdapter.submit(changed, ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'IDEMPOTENCY_KEY_REUSED' });
    const r = await syncAdapter.reconcile(changed, ctx);
    expect(r).toMatchObject({ outcome: 'unknown', evidence: expect.stringContaining('different request') });
  });

  it('connection reset after the create: unknown_outcome, then reconcile finds the one generation', async () => {
    const job = urlJob();
    fake.server.inject({ kind: 'reset-after', method: 'POST', path: /^\/v2\/generate$/ });
    await expect(syncAdapter.submit(job, ctx)).rejects.toMatchObject({ kind: 'unknown_outcome' });
    expect(fake.jobs.size).toBe(1);
    const r = await syncAdapter.reconcile(job, ctx);
    const [only] = [...fake.jobs.keys()];
    expect(r).toMatchObject({ outcome: 'found', providerJobId: only, evidence: expect.stringContaining(job.idempotencyKey) });
    expect(fake.jobs.size).toBe(1);
    const [first, again] = creates();
    expect(again!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    expect(again!.body).toEqual(first!.body);
    expect(again!.status).toBe(200);
  });

  it('reset after a multipart create: reconcile re-sends the same parts under the same key', async () => {
    const job = testJob({ title: 'Local', video: assets.add('sample.mp4').ref, audio: assets.add('voice.wav').ref, params: {} });
    fake.server.inject({ kind: 'reset-after', method: 'POST', path: /^\/v2\/generate$/ });
    await expect(syncAdapter.submit(job, ctx)).rejects.toMatchObject({ kind: 'unknown_outcome' });
    const r = await syncAdapter.reconcile(job, ctx);
    expect(r).toMatchObject({ outcome: 'found', providerJobId: [...fake.jobs.keys()][0] });
    expect(fake.jobs.size).toBe(1);
    const [first, again] = creates();
    expect(again!.body).toEqual(first!.body);
    expect(again!.files).toEqual(first!.files);
    expect(again!.status).toBe(200);
  });

  it('a reset before Sync handled it: reconcile creates it now, exactly once', async () => {
    const job = urlJob();
    fake.server.inject({ kind: 'reset', method: 'POST', path: /^\/v2\/generate$/ });
    await expect(syncAdapter.submit(job, ctx)).rejects.toMatchObject({ kind: 'unknown_outcome' });
    expect(fake.jobs.size).toBe(0);
    const r = await syncAdapter.reconcile(job, ctx);
    expect(r.outcome).toBe('found');
    expect(fake.jobs.size).toBe(1);
  });

  it('malformed JSON after the create: unknown_outcome, then reconcile finds it', async () => {
    const job = urlJob();
    fake.server.inject({ kind: 'malformed', method: 'POST', path: /^\/v2\/generate$/ });
    await expect(syncAdapter.submit(job, ctx)).rejects.toMatchObject({ kind: 'unknown_outcome', code: 'malformed_response' });
    expect(fake.jobs.size).toBe(1);
    const r = await syncAdapter.reconcile(job, ctx);
    expect(r).toMatchObject({ outcome: 'found', providerJobId: [...fake.jobs.keys()][0] });
  });

  it('503 IDEMPOTENCY_OUTCOME_UNKNOWN with a generationId is that generation', async () => {
    fake.outcomeUnknownNext(true);
    const res = await syncAdapter.submit(urlJob(), ctx);
    expect(creates()[0]!.status).toBe(503);
    expect(res.providerJobId).toBe([...fake.jobs.keys()][0]);
  });

  it('503 IDEMPOTENCY_OUTCOME_UNKNOWN without an id stays unknown; reconcile (same key) finds it', async () => {
    fake.outcomeUnknownNext(false);
    const job = urlJob();
    await expect(syncAdapter.submit(job, ctx)).rejects.toMatchObject({ kind: 'unknown_outcome', code: 'IDEMPOTENCY_OUTCOME_UNKNOWN' });
    const r = await syncAdapter.reconcile(job, ctx);
    expect(r).toMatchObject({ outcome: 'found', providerJobId: [...fake.jobs.keys()][0] });
    expect(new Set(creates().map((c) => c.headers['idempotency-key']))).toEqual(new Set([job.idempotencyKey]));
  });

  it('a recorded id needs no request', async () => {
    const r = await syncAdapter.reconcile(urlJob({}, { providerJobId: 'gen-1' }), ctx);
    expect(r).toMatchObject({ outcome: 'found', providerJobId: 'gen-1' });
    expect(fake.server.log).toHaveLength(0);
  });
});

describe('errors', () => {
  it('401: auth, naming the credential, never its value', async () => {
    const c = makeCtx(fake, 'sk-wrong-secret');
    const e = await syncAdapter.submit(urlJob(), c).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'auth', status: 401 });
    expect((e as Error).message).toContain('API key');
    expect((e as Error).message).toContain('Invalid API key');
    expect((e as Error).message).not.toContain('sk-wrong-secret');
    expect(creates()[0]!.status).toBe(401);
    await expect(syncAdapter.submit(urlJob(), makeCtx(fake, null))).rejects.toMatchObject({ kind: 'auth', code: 'missing_credentials' });
    expect(creates()).toHaveLength(1);
  });

  it('400 with field errors: permanent, with Sync’s messages', async () => {
    const v = assets.add('sample.mp4');
    assets.remember(`sync:asset:${v.info.id}`, 'asset-that-was-deleted');
    const job = testJob({ title: 'x', video: v.ref, audio: { url: AUDIO_URL }, params: { upload_mode: 'assets' } });
    const e = await syncAdapter.submit(job, ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'permanent', status: 400 });
    expect((e as Error).message).toBe('Sync.so rejected the job: input.0.assetId asset-that-was-deleted does not exist');
    expect(fake.jobs.size).toBe(0);
  });

  it('402 billing, 409 and 400 INVALID_IDEMPOTENCY_KEY: permanent with the provider code', async () => {
    fake.errorNext(402, 'insufficient_credits', 'Free generations used up');
    const e = await syncAdapter.submit(urlJob(), ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'permanent', status: 402, code: 'insufficient_credits' });
    expect((e as Error).message).toContain('Sync.so billing: Free generations used up (insufficient_credits)');

    fake.errorNext(409, undefined, 'Conflict');
    await expect(syncAdapter.submit(urlJob(), ctx)).rejects.toMatchObject({ kind: 'permanent', status: 409 });

    fake.errorNext(400, 'INVALID_IDEMPOTENCY_KEY', ['Idempotency-Key is invalid']);
    await expect(syncAdapter.submit(urlJob(), ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'INVALID_IDEMPOTENCY_KEY', message: expect.stringContaining('Idempotency-Key is invalid') });
    expect(fake.jobs.size).toBe(0);
  });

  it('413 over the parser limit and 422 over the plan limit', async () => {
    const job = () => testJob({ title: 'big', video: assets.add('sample.mp4').ref, audio: assets.add('voice.wav').ref, params: {} });
    fake.settings.maxFileBytes = 1000;
    await expect(syncAdapter.submit(job(), ctx)).rejects.toMatchObject({ kind: 'permanent', status: 413, code: 'generation_input_validation_failed', message: expect.stringContaining('too large') });
    fake.settings.maxFileBytes = 5 * 1024 ** 3;
    fake.settings.planFileLimitBytes = 1000;
    await expect(syncAdapter.submit(job(), ctx)).rejects.toMatchObject({ kind: 'permanent', status: 422, code: 'file_size_exceeds_plan_limit', message: expect.stringContaining('plan') });
    expect(fake.jobs.size).toBe(0);
  });

  it('429 rate_limit_exceeded with Retry-After seconds and as an HTTP-date', async () => {
    const body = { statusCode: 429, errorCode: 'rate_limit_exceeded', message: 'Too many requests', error: 'Too Many Requests' };
    fake.server.inject({ kind: '429', method: 'POST', path: /^\/v2\/generate$/, retryAfterSec: 3, body });
    await expect(syncAdapter.submit(urlJob(), ctx)).rejects.toMatchObject({ kind: 'rate_limit', code: 'rate_limit_exceeded', retryAfterMs: 3000 });
    fake.server.inject({ kind: '429-date', method: 'POST', path: /^\/v2\/generate$/, retryAfterSec: 4, body });
    const e = await syncAdapter.submit(urlJob(), ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'rate_limit', code: 'rate_limit_exceeded' });
    const ms = (e as { retryAfterMs: number }).retryAfterMs;
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(4000);
    expect(fake.jobs.size).toBe(0);
  });

  it('429 concurrency_limit_reached → concurrency_limit (from the plan limit and as a body)', async () => {
    const { f, c } = await otherFake({ timeScale: 0.001, renderSec: 100_000, concurrencyLimit: 1 });
    await syncAdapter.submit(urlJob(), c);
    await expect(syncAdapter.submit(urlJob(), c)).rejects.toMatchObject({ kind: 'concurrency_limit', code: 'concurrency_limit_reached', status: 429 });
    expect(f.jobs.size).toBe(1);
    fake.server.inject({ kind: '429', method: 'POST', retryAfterSec: 5, body: { statusCode: 429, errorCode: 'concurrency_limit_reached', message: 'Concurrency limit reached' } });
    await expect(syncAdapter.submit(urlJob(), ctx)).rejects.toMatchObject({ kind: 'concurrency_limit', retryAfterMs: 5000 });
  });

  it('5xx on create: 503 is transient, 500 (with requestId) may hide a created job', async () => {
    fake.server.inject({ kind: '503', method: 'POST', path: /^\/v2\/generate$/, body: { statusCode: 503, errorCode: 'elevenlabs_service_unavailable', message: 'TTS unavailable' } });
    await expect(syncAdapter.submit(urlJob(), ctx)).rejects.toMatchObject({ kind: 'transient', code: 'elevenlabs_service_unavailable', retryAfterMs: 1000 });
    fake.errorNext(500, 'generation_unhandled_error', 'Internal server error');
    const e = await syncAdapter.submit(urlJob(), ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'unknown_outcome', status: 500 });
    expect((e as Error).message).toMatch(/request id [0-9a-f-]{36}/);
  });

  it('5xx and malformed answers on polls are transient', async () => {
    const job = await submitted(urlJob());
    fake.server.inject({ kind: '502', method: 'GET', path: /^\/v2\/generate\// });
    await expect(syncAdapter.poll([job], ctx)).rejects.toMatchObject({ kind: 'transient', status: 502 });
    fake.server.inject({ kind: 'malformed', method: 'GET', path: /^\/v2\/generate\// });
    await expect(syncAdapter.poll([job], ctx)).rejects.toMatchObject({ kind: 'transient', code: 'malformed_response' });
    fake.server.inject({ kind: '429', method: 'GET', retryAfterSec: 2 });
    await expect(syncAdapter.poll([job], ctx)).rejects.toMatchObject({ kind: 'rate_limit', retryAfterMs: 2000 });
    expect((await pollUntilDone(syncAdapter, job, ctx)).state).toBe('succeeded');
  });
});

describe('poll', () => {
  it('long-polls one job with wait=true&timeout=10 and honours Retry-After: 2', async () => {
    const { f, c } = await otherFake({ timeScale: 0.001, renderSec: 100_000 });
    const job = await submitted(urlJob(), c);
    const r = await pollOnce(job, c);
    expect(r).toMatchObject({ state: 'queued', rawStatus: 'PENDING', nextPollMs: 2000 });
    const [get] = f.server.requests('GET', `/v2/generate/${job.providerJobId}`);
    expect(get!.query).toEqual({ wait: 'true', timeout: '10' });
    expect(get!.headers['x-api-key']).toBe(SYNC_FAKE_KEY);
  });

  it('a long-poll answers as soon as the job finishes', async () => {
    // Wait cap: 10 s × 0.1 = 1 s; the render takes 2 s × 0.1 = 0.2 s.
    const { f, c } = await otherFake({ timeScale: 0.1, renderSec: 2 });
    const job = await submitted(urlJob(), c);
    const r = await pollOnce(job, c);
    expect(r).toMatchObject({ state: 'succeeded', rawStatus: 'COMPLETED', progress: 1 });
    expect(r.nextPollMs).toBeUndefined();
    expect(f.server.requests('GET', /^\/v2\/generate\//)).toHaveLength(1);
  });

  it('runs to success and reports the cost of the output length', async () => {
    const job = await submitted(urlJob({ params: { model: 'lipsync-2' } }));
    const r = await pollUntilDone(syncAdapter, job, ctx);
    expect(r).toMatchObject({ state: 'succeeded', costUsed: { amount: 0.1, unit: 'USD' }, providerState: { outputDuration: 2 } });
  });

  const words: [string, Record<string, unknown> | undefined, PollResult['state'], Record<string, unknown>?][] = [
    ['PENDING', undefined, 'queued'],
    ['PROCESSING', undefined, 'running'],
    ['Processing', undefined, 'running'],
    ['COMPLETED', undefined, 'succeeded'],
    ['completed', undefined, 'succeeded'],
    ['FAILED', { error: 'Pipeline crashed', error_code: 'generation_pipeline_failed' }, 'failed', { code: 'generation_pipeline_failed', message: 'Sync.so could not render the job: Pipeline crashed (generation_pipeline_failed)' }],
    ['REJECTED', { error: 'Audio too long', errorCode: 'generation_audio_length_exceeded' }, 'failed', { code: 'generation_audio_length_exceeded', message: 'Sync.so rejected the job: Audio too long (generation_audio_length_exceeded)' }],
    ['TIMED_OUT', {}, 'failed', { code: 'sync_timed_out', message: 'Sync.so timed out rendering the job: no reason given (sync_timed_out)' }],
    ['CANCELED', undefined, 'canceled'],
  ];
  for (const [word, extra, state, error] of words) {
    it(`maps status ${word} → ${state}`, async () => {
      const job = await submitted(urlJob());
      fake.forceStatus(job.providerJobId!, word, extra);
      const r = await pollOnce(job);
      expect(r.state).toBe(state);
      expect(r.rawStatus).toBe(word);
      if (error) expect(r.error).toEqual(error);
      else expect(r.error).toBeUndefined();
      expect(ctx.logs.filter((l) => l.level === 'warn')).toEqual([]);
    });
  }

  it('an unknown status is running and logged, never an outcome', async () => {
    const job = await submitted(urlJob());
    fake.forceStatus(job.providerJobId!, 'UPSCALING');
    const r = await pollOnce(job);
    expect(r).toMatchObject({ state: 'running', rawStatus: 'UPSCALING' });
    expect(ctx.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringContaining('UPSCALING') })]);
  });

  it('rejectNext / failNext / timeoutNext end the job failed with the provider message and code', async () => {
    fake.rejectNext('generation_audio_length_exceeded', 'Audio is longer than the 300 s limit');
    const rejected = await pollUntilDone(syncAdapter, await submitted(urlJob()), ctx);
    expect(rejected).toMatchObject({
      state: 'failed',
      rawStatus: 'REJECTED',
      error: { code: 'generation_audio_length_exceeded', message: 'Sync.so rejected the job: Audio is longer than the 300 s limit (generation_audio_length_exceeded)' },
    });
    fake.settings.errorCodeField = 'errorCode';
    fake.failNext('generation_media_metadata_missing', 'No duration in the video');
    const failed = await pollUntilDone(syncAdapter, await submitted(urlJob()), ctx);
    expect(failed).toMatchObject({ state: 'failed', rawStatus: 'FAILED', error: { code: 'generation_media_metadata_missing' } });
    fake.timeoutNext();
    const timedOut = await pollUntilDone(syncAdapter, await submitted(urlJob()), ctx);
    expect(timedOut).toMatchObject({ state: 'failed', rawStatus: 'TIMED_OUT', error: { code: 'generation_timeout', message: expect.stringContaining('timed out') } });
  });

  it('reads outputMediaUrl or outputUrl, whichever is there', async () => {
    for (const field of ['outputMediaUrl', 'outputUrl'] as const) {
      fake.settings.outputField = field;
      const job = await submitted(urlJob());
      expect((await pollUntilDone(syncAdapter, job, ctx)).state).toBe('succeeded');
      const spec = await syncAdapter.output(job, ctx);
      expect((await fetchBytes(spec.url)).bytes.equals(sampleMp4())).toBe(true);
    }
  });

  it('COMPLETED without an output URL is not success', async () => {
    fake.completeWithoutOutputNext();
    const job = await submitted(urlJob());
    const r = await pollUntil(job, (x) => x.rawStatus === 'COMPLETED');
    expect(r.state).toBe('running');
    expect(ctx.logs.some((l) => l.level === 'warn' && l.message.includes('without an output URL'))).toBe(true);
  });

  for (const shape of ['array', 'data', 'items'] as const) {
    it(`polls several jobs through one list request (${shape} shape)`, async () => {
      fake.settings.listShape = shape;
      const jobs = [await submitted(urlJob()), await submitted(urlJob()), await submitted(urlJob())];
      const deadline = Date.now() + 10_000;
      let results: ReadonlyMap<string, PollResult>;
      let rounds = 0;
      do {
        results = await syncAdapter.poll(jobs, ctx);
        rounds++;
        if (Date.now() > deadline) throw new Error('not done');
      } while ([...results.values()].some((r) => r.state !== 'succeeded'));
      expect(results.size).toBe(3);
      expect(fake.server.requests('GET', '/v2/generations')).toHaveLength(rounds);
      expect(fake.server.requests('GET', /^\/v2\/generate\//)).toHaveLength(0);
    });
  }

  it('falls back to single GETs (without waiting) for jobs the list misses or shows without a URL', async () => {
    fake.settings.listOmitsOutputUrl = true;
    const a = await submitted(urlJob());
    const b = await submitted(urlJob());
    const ghost: AdapterJob = { ...urlJob(), providerJobId: 'gen-that-does-not-exist' };
    await pollUntilDone(syncAdapter, a, ctx);
    await pollUntilDone(syncAdapter, b, ctx);
    const before = fake.server.requests('GET', /^\/v2\/generate\//).length;
    const results = await syncAdapter.poll([a, b, ghost], ctx);
    expect(results.get(a.id)?.state).toBe('succeeded');
    expect(results.get(b.id)?.state).toBe('succeeded');
    expect(results.get(ghost.id)).toMatchObject({ state: 'not_found', error: { code: 'generation_not_found' } });
    const singles = fake.server.requests('GET', /^\/v2\/generate\//).slice(before);
    expect(singles.map((s) => s.path).sort()).toEqual([`/v2/generate/${a.providerJobId}`, `/v2/generate/${b.providerJobId}`, '/v2/generate/gen-that-does-not-exist'].sort());
    for (const s of singles) expect(s.query.wait).toBeUndefined();
  });

  it('falls back to single GETs when the list endpoint is missing', async () => {
    fake.settings.listEndpoint = false;
    const jobs = [await submitted(urlJob()), await submitted(urlJob())];
    const results = await syncAdapter.poll(jobs, ctx);
    expect(results.size).toBe(2);
    expect(fake.server.requests('GET', /^\/v2\/generate\//)).toHaveLength(2);
    expect(ctx.logs.some((l) => l.level === 'warn' && l.message.includes('/v2/generations'))).toBe(true);
  });

  it('a single unknown id is not_found', async () => {
    const r = await pollOnce({ ...urlJob(), providerJobId: 'nope' });
    expect(r.state).toBe('not_found');
  });
});

describe('output', () => {
  it('gives the signed URL from a fresh GET; the bytes are the video; no API key goes to storage', async () => {
    const job = await submitted(urlJob());
    await pollUntilDone(syncAdapter, job, ctx);
    const spec = await syncAdapter.output(job, ctx);
    expect(spec.headers).toBeUndefined();
    expect(spec.extension).toBe('mp4');
    const got = await fetchBytes(spec.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(sampleMp4())).toBe(true);
    const lastGet = fake.server.requests('GET', `/v2/generate/${job.providerJobId}`).at(-1)!;
    expect(lastGet.query.wait).toBeUndefined();
  });

  it('refreshes an expired URL by asking again', async () => {
    const { f, c } = await otherFake({ timeScale: 0.001, urlTtlMs: 60_000 });
    const job = await submitted(urlJob(), c);
    await pollUntilDone(syncAdapter, job, c);
    const first = await syncAdapter.output(job, c);
    f.advance(120_000);
    expect((await fetchBytes(first.url)).status).toBe(403);
    const second = await syncAdapter.output(job, c);
    expect(second.url).not.toBe(first.url);
    const got = await fetchBytes(second.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(sampleMp4())).toBe(true);
  });

  it('falls back to the text/plain download endpoint, fetched without the key', async () => {
    fake.completeWithoutOutputNext();
    const job = await submitted(urlJob());
    await pollUntil(job, (x) => x.rawStatus === 'COMPLETED');
    const spec = await syncAdapter.output(job, ctx);
    const [dl] = fake.server.requests('GET', `/v2/generations/${job.providerJobId}/download`);
    expect(dl!.status).toBe(200);
    expect(dl!.headers['x-api-key']).toBe(SYNC_FAKE_KEY);
    expect(spec.headers).toBeUndefined();
    const got = await fetchBytes(spec.url);
    expect(got.bytes.equals(sampleMp4())).toBe(true);
    const fileGets = fake.server.requests('GET', /^\/_files\//);
    expect(fileGets.length).toBeGreaterThan(0);
    for (const g of fileGets) expect(g.headers['x-api-key']).toBeUndefined();
  });

  it('a failed generation has no output', async () => {
    const job = await submitted(urlJob());
    fake.forceStatus(job.providerJobId!, 'FAILED', { error: 'boom', error_code: 'generation_pipeline_failed' });
    await expect(syncAdapter.output(job, ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'generation_pipeline_failed' });
  });

  it('reads the expiry a signed URL carries', () => {
    expect(signedUrlExpiry('https://s3.test/o.mp4?X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=x')).toBe(Date.UTC(2025, 0, 1, 1));
    expect(signedUrlExpiry('https://storage.googleapis.com/o.mp4?X-Goog-Date=20250101T000000Z&X-Goog-Expires=60')).toBe(Date.UTC(2025, 0, 1, 0, 1));
    expect(signedUrlExpiry('https://cdn.test/o.mp4?Expires=1700000000&Signature=x')).toBe(1_700_000_000_000);
    expect(signedUrlExpiry('https://cdn.test/o.mp4')).toBeUndefined();
  });
});

describe('cancel', () => {
  it('cancels a pending generation', async () => {
    const { f, c } = await otherFake({ timeScale: 0.001, renderSec: 100_000 });
    const job = await submitted(urlJob(), c);
    await syncAdapter.cancel!(job, c);
    const [req] = f.server.requests('POST', `/v2/generate/${job.providerJobId}/cancel`);
    expect(req!.status).toBe(200);
    expect(req!.headers['x-api-key']).toBe(SYNC_FAKE_KEY);
    expect(await pollOnce(job, c)).toMatchObject({ state: 'canceled', rawStatus: 'CANCELED' });
  });

  it('a generation already processing cannot be canceled', async () => {
    const job = await submitted(urlJob());
    fake.forceStatus(job.providerJobId!, 'PROCESSING');
    await expect(syncAdapter.cancel!(job, ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'generation_not_cancelable', message: expect.stringContaining('not started') });
  });

  it('a 404 means the API no longer supports cancel', async () => {
    fake.settings.cancelSupported = false;
    const job = await submitted(urlJob());
    await expect(syncAdapter.cancel!(job, ctx)).rejects.toMatchObject({ kind: 'permanent', code: 'cancel_not_supported', message: expect.stringContaining('does not support canceling') });
  });
});

describe('testCredentials', () => {
  it('a cheap authenticated list call', async () => {
    expect(await syncAdapter.testCredentials(ctx)).toEqual({ ok: true, message: 'Sync.so accepted the API key' });
    const [req] = fake.server.requests('GET', '/v2/generations');
    expect(req!.query).toEqual({ limit: '1' });
    expect(req!.headers['x-api-key']).toBe(SYNC_FAKE_KEY);
  });

  it('a wrong or missing key', async () => {
    const bad = await syncAdapter.testCredentials(makeCtx(fake, 'sk-nope-123'));
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain('API key');
    expect(bad.message).not.toContain('sk-nope-123');
    expect((await syncAdapter.testCredentials(makeCtx(fake, null))).ok).toBe(false);
  });
});

describe('fake extras', () => {
  it('serves the error catalogue without a key', async () => {
    const res = await request(`${fake.url}/v2/errors`);
    expect(res.statusCode).toBe(200);
    const list = (await res.body.json()) as { code: string }[];
    expect(list.map((e) => e.code)).toEqual(expect.arrayContaining(['generation_audio_length_exceeded', 'concurrency_limit_reached', 'IDEMPOTENCY_OUTCOME_UNKNOWN']));
  });

  it('validates create bodies like the API (400 with a message list)', async () => {
    const res = await request(`${fake.url}/v2/generate`, {
      method: 'POST',
      headers: { 'x-api-key': SYNC_FAKE_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'lipsync-2', input: [{ type: 'image', url: 'https://x.test/a.png' }], options: { temperature: 3 }, outputFileName: 'bad name' }),
    });
    expect(res.statusCode).toBe(400);
    const body = (await res.body.json()) as { message: string[]; errorCode?: string };
    expect(body.message).toEqual(
      expect.arrayContaining([
        'input must include at least one audio or text item',
        'image inputs are only supported by sync-3',
        'options.temperature must not be greater than 1 or less than 0',
        expect.stringContaining('outputFileName'),
      ]),
    );
    expect(body.errorCode).toBe('generation_audio_missing');
  });
});
