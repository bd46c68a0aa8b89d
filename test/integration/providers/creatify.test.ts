import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../electron/core/providers/http';
import { creatifyAdapter, creatifyMarker, creatifyProgress } from '../../../electron/core/providers/creatify';
import type { AdapterJob, PollResult, SubmitResult } from '../../../electron/core/providers/types';
import type { JobInput } from '../../../shared/model';
import { creatifySpec } from '../../../shared/providers/creatify';
import { sampleMp4 } from '../../fakes/base';
import { startCreatifyFake } from '../../fakes/creatify';
import type { CreatifyFake, CreatifyFakeOptions } from '../../fakes/creatify';
import { pollUntilDone, testAssets, testContext, testJob } from '../../helpers/context';
import type { TestAssets, TestContext } from '../../helpers/context';

const CREDS = { apiId: 'test-api-id', apiKey: 'test-api-key' };
const TEMPLATE_ID = '0b5e7c1a-3f55-4c8e-9d2a-6a1b2c3d4e5f';

let assets: TestAssets;
let fake: CreatifyFake;
let ctx: TestContext;

beforeAll(async () => {
  assets = await testAssets();
});
afterAll(async () => {
  await assets.publicHost.close();
});

async function start(opts: CreatifyFakeOptions = {}, credentials: Record<string, string> = CREDS): Promise<void> {
  fake = await startCreatifyFake({ timeScale: 0.002, ...opts });
  ctx = testContext({ baseUrl: fake.url, credentials, assets });
}
beforeEach(async () => {
  await start();
});
afterEach(async () => {
  await fake.close();
});

function auroraInput(over: Partial<JobInput> = {}): JobInput {
  return { title: 'Spring promo', avatar: assets.add('avatar.png').ref, audio: assets.add('voice.mp3').ref, params: {}, ...over };
}
function lipsyncInput(over: Partial<JobInput> = {}, params: Record<string, unknown> = {}): JobInput {
  return { title: 'Avatar row', script: 'Welcome to the spring sale.', params: { product: 'lipsync', aspect_ratio: '9x16', ...params }, ...over };
}
function templateInput(params: Record<string, unknown> = {}): JobInput {
  return {
    title: 'Template row',
    script: 'Our best product yet.',
    avatar: assets.add('avatar.png').ref,
    params: { product: 'template', template_id: TEMPLATE_ID, variables: { headline: 'Sale' }, script_variable: 'script', avatar_variable: 'product_image', ...params },
  };
}

function after(job: AdapterJob, res: SubmitResult): AdapterJob {
  return { ...job, providerJobId: res.providerJobId, providerState: { ...(res.providerState ?? {}) }, submittedAt: Date.now() };
}

async function pollOnce(job: AdapterJob): Promise<PollResult> {
  const res = (await creatifyAdapter.poll([job], ctx)).get(job.id);
  if (!res) throw new Error('no poll result');
  return res;
}

/** Polls until the state is one of `states`, carrying providerState along like the engine does. */
async function pollTo(job: AdapterJob, states: readonly PollResult['state'][], timeoutMs = 10_000): Promise<{ res: PollResult; job: AdapterJob }> {
  const deadline = Date.now() + timeoutMs;
  let cur = job;
  for (;;) {
    const res = await pollOnce(cur);
    if (res.providerState) cur = { ...cur, providerState: { ...cur.providerState, ...res.providerState } };
    if (states.includes(res.state)) return { res, job: cur };
    if (Date.now() > deadline) throw new Error(`still ${res.state} (${res.rawStatus})`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected a rejection');
}

async function download(url: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await request(url);
  return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) };
}

const warnings = () => ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message);

describe('spec and credentials', () => {
  it('describes itself with the pure spec', () => {
    expect(creatifyAdapter.id).toBe('creatify');
    expect(creatifyAdapter.describe()).toBe(creatifySpec);
    expect(creatifyAdapter.validate({ title: 't', params: { product: 'lipsync' } }).map((i) => i.field)).toEqual(['param.aspect_ratio', 'script']);
  });

  it('tests the key against remaining_credits and reports the balance', async () => {
    fake.setCredits(321.5);
    const res = await creatifyAdapter.testCredentials(ctx);
    expect(res).toMatchObject({ ok: true, balance: { amount: 321.5, unit: 'credits' } });
    const [req] = fake.server.requests('GET', '/api/remaining_credits/');
    expect(req?.headers['x-api-id']).toBe('test-api-id');
    expect(req?.headers['x-api-key']).toBe('test-api-key');
  });

  it('reports a refused key naming both headers, never the key itself', async () => {
    fake.setKeys('test-api-id', 'another-key');
    const res = await creatifyAdapter.testCredentials(ctx);
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/X-API-ID/);
    expect(res.message).toMatch(/X-API-KEY/);
    expect(res.message).toMatch(/Incorrect authentication credentials/);
    expect(res.message).not.toContain('test-api-key');
  });

  it('refuses to send anything without both credential fields', async () => {
    await fake.close();
    await start({}, { apiId: 'only-the-id' });
    const res = await creatifyAdapter.testCredentials(ctx);
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/API key \(X-API-KEY\)/);
    const e = await rejection(creatifyAdapter.submit(testJob(auroraInput()), ctx));
    expect(e.kind).toBe('auth');
    expect(fake.server.log).toHaveLength(0);
  });
});

describe('aurora', () => {
  it('sends local assets as public links, polls to success and downloads the video', async () => {
    const job = testJob(auroraInput());
    const res = await creatifyAdapter.submit(job, ctx);
    expect(res.initial).toMatchObject({ state: 'queued', rawStatus: 'pending' });
    const [create] = fake.server.requests('POST', '/api/aurora/');
    const avatarUrl = await assets.publicUrl(assets.add('avatar.png').info.id);
    const audioUrl = await assets.publicUrl(assets.add('voice.mp3').info.id);
    expect(create?.body).toEqual({ image: avatarUrl, audio: audioUrl, name: creatifyMarker('Spring promo', job.idempotencyKey), model_version: 'aurora_v1' });
    expect(create?.headers['x-api-id']).toBe('test-api-id');
    expect(res.providerState).toMatchObject({ product: 'aurora', marker: creatifyMarker('Spring promo', job.idempotencyKey) });

    const seen = new Set<string>();
    const cur = after(job, res);
    let last: PollResult;
    for (;;) {
      last = await pollOnce(cur);
      seen.add(last.state);
      if (last.progress !== undefined) expect(last.progress).toBeGreaterThanOrEqual(0);
      if (last.progress !== undefined) expect(last.progress).toBeLessThanOrEqual(1);
      if (last.state !== 'queued' && last.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toContain('running');
    expect(last).toMatchObject({ state: 'succeeded', rawStatus: 'done', progress: 1, costUsed: { amount: 3, unit: 'credits' } });
    expect(fake.server.requests('GET', `/api/aurora/${res.providerJobId}/`).length).toBeGreaterThan(0);

    const dl = await creatifyAdapter.output(cur, ctx);
    expect(dl.extension).toBe('mp4');
    expect(dl.headers).toBeUndefined();
    expect(dl.expiresAt).toBeGreaterThan(Date.now());
    const file = await download(dl.url);
    expect(file.status).toBe(200);
    expect(file.bytes.equals(sampleMp4())).toBe(true);
    expect(fake.credits()).toBe(497);
  });

  it('passes link inputs as given, with the prompt, model and resolution', async () => {
    const job = testJob({
      title: 'Linked',
      avatar: { url: 'https://cdn.example.com/face.webp' },
      audio: { url: 'https://cdn.example.com/voice.wav' },
      prompt: 'nods gently',
      params: { model_version: 'aurora_v2', resolution: '1080p', prompt_guidance_scale: 4, ttl_days: 14, webhook_url: 'https://hooks.example.com/c' },
    });
    const before = assets.uploads;
    await creatifyAdapter.submit(job, ctx);
    expect(fake.server.requests('POST', '/api/aurora/')[0]?.body).toEqual({
      image: 'https://cdn.example.com/face.webp',
      audio: 'https://cdn.example.com/voice.wav',
      name: creatifyMarker('Linked', job.idempotencyKey),
      model_version: 'aurora_v2',
      text_prompt: 'nods gently',
      prompt_guidance_scale: 4,
      resolution: '1080p',
      ttl_days: 14,
      webhook_url: 'https://hooks.example.com/c',
    });
    expect(assets.uploads).toBe(before);
  });

  it('lets the asset host error through and sends nothing', async () => {
    const failing = { ...assets, publicUrl: async () => Promise.reject(new ProviderError('permanent', 'No asset host is configured', { code: 'no_asset_host' })) };
    const c = testContext({ baseUrl: fake.url, credentials: CREDS, assets: failing });
    const e = await rejection(creatifyAdapter.submit(testJob(auroraInput()), c));
    expect(e).toMatchObject({ kind: 'permanent', code: 'no_asset_host' });
    expect(fake.server.requests('POST', '/api/aurora/')).toHaveLength(0);
  });
});

describe('AI avatar (lipsync)', () => {
  it('speaks the script with the chosen avatar and voice; the video is in `output`', async () => {
    const job = testJob(lipsyncInput({}, { creator: 'persona-1', accent: 'accent-1', no_caption: true, caption_offset_y: -0.2 }));
    const res = await creatifyAdapter.submit(job, ctx);
    expect(fake.server.requests('POST', '/api/lipsyncs/')[0]?.body).toEqual({
      aspect_ratio: '9x16',
      text: 'Welcome to the spring sale.',
      creator: 'persona-1',
      accent: 'accent-1',
      no_caption: true,
      caption_offset_y: -0.2,
      name: creatifyMarker('Avatar row', job.idempotencyKey),
      model_version: 'standard',
    });
    const done = await pollUntilDone(creatifyAdapter, after(job, res), ctx);
    expect(done).toMatchObject({ state: 'succeeded', costUsed: { amount: 5, unit: 'credits' } });
    const dl = await creatifyAdapter.output(after(job, res), ctx);
    expect((await download(dl.url)).bytes.equals(sampleMp4())).toBe(true);
    expect(dl.thumbnail?.url).toMatch(/\.jpg\?/);
  });

  it('sends only the audio when both audio and script are given (audio wins)', async () => {
    const job = testJob(lipsyncInput({ audio: assets.add('voice.wav').ref }));
    await creatifyAdapter.submit(job, ctx);
    const body = fake.server.requests('POST', '/api/lipsyncs/')[0]?.body as Record<string, unknown>;
    expect(body.audio).toBe(await assets.publicUrl(assets.add('voice.wav').info.id));
    expect(body).not.toHaveProperty('text');
  });

  it('rejects 1:1 before sending anything', async () => {
    const e = await rejection(creatifyAdapter.submit(testJob(lipsyncInput({}, { aspect_ratio: '1:1' })), ctx));
    expect(e).toMatchObject({ kind: 'permanent', code: 'invalid_params' });
    expect(e.message).toMatch(/16x9, 1x1, 9x16/);
    expect(fake.server.log).toHaveLength(0);
  });

  it('polls several jobs with one list request (plain array)', async () => {
    const jobs: AdapterJob[] = [];
    for (let i = 0; i < 3; i++) {
      const j = testJob(lipsyncInput({ title: `Batch ${i}` }));
      jobs.push(after(j, await creatifyAdapter.submit(j, ctx)));
    }
    const res = await creatifyAdapter.poll(jobs, ctx);
    expect([...res.keys()].sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(fake.server.requests('GET', '/api/lipsyncs/')).toHaveLength(1);
    expect(fake.server.requests('GET', /^\/api\/lipsyncs\/[^/]+\/$/)).toHaveLength(0);
  });

  it('follows list pages and falls back to a GET for jobs the list does not show', async () => {
    await fake.close();
    await start({ lipsyncList: 'paginated', pageSize: 2 });
    const jobs: AdapterJob[] = [];
    for (let i = 0; i < 3; i++) {
      const j = testJob(lipsyncInput({ title: `Paged ${i}` }));
      jobs.push(after(j, await creatifyAdapter.submit(j, ctx)));
    }
    const ghost = { ...testJob(lipsyncInput()), providerJobId: 'no-such-job', providerState: { product: 'lipsync' } };
    const res = await creatifyAdapter.poll([...jobs, ghost], ctx);
    expect(fake.server.requests('GET', '/api/lipsyncs/').map((r) => r.query.page ?? '1')).toEqual(['1', '2']);
    for (const j of jobs) expect(res.get(j.id)?.state).toMatch(/queued|running/);
    expect(res.get(ghost.id)).toMatchObject({ state: 'not_found' });
  });
});

describe('status words', () => {
  it('maps every documented word, case-insensitively, and keeps unknown words running', async () => {
    const job = testJob(lipsyncInput());
    const j = after(job, await creatifyAdapter.submit(job, ctx));
    await pollUntilDone(creatifyAdapter, j, ctx);
    const id = j.providerJobId!;
    const cases: [string, PollResult['state']][] = [
      ['pending', 'queued'],
      ['IN_QUEUE', 'queued'],
      ['Running', 'running'],
      ['DONE', 'succeeded'],
    ];
    for (const [word, state] of cases) {
      fake.setStatus(id, word);
      expect(await pollOnce(j)).toMatchObject({ state, rawStatus: word });
    }
    fake.setStatus(id, 'rendering_v3');
    expect(await pollOnce(j)).toMatchObject({ state: 'running', rawStatus: 'rendering_v3' });
    expect(warnings().some((w) => w.includes('unknown status "rendering_v3"'))).toBe(true);
  });

  it('reads progress given as a number, a string or a percentage', () => {
    expect(creatifyProgress(0.25)).toBe(0.25);
    expect(creatifyProgress('0.45')).toBe(0.45);
    expect(creatifyProgress('45%')).toBe(0.45);
    expect(creatifyProgress(80)).toBe(0.8);
    expect(creatifyProgress('soon')).toBeUndefined();
    expect(creatifyProgress(null)).toBeUndefined();
  });

  it('fails with the failed_reason, and reports rejected jobs as rejected', async () => {
    fake.failNext('Audio could not be decoded');
    const a = testJob(auroraInput());
    const failed = await pollUntilDone(creatifyAdapter, after(a, await creatifyAdapter.submit(a, ctx)), ctx);
    expect(failed).toMatchObject({ state: 'failed', rawStatus: 'failed', error: { code: 'failed' } });
    expect(failed.error?.message).toMatch(/Audio could not be decoded/);

    fake.rejectNext('Content violates the usage policy');
    const b = testJob(lipsyncInput());
    const rejected = await pollUntilDone(creatifyAdapter, after(b, await creatifyAdapter.submit(b, ctx)), ctx);
    expect(rejected).toMatchObject({ state: 'failed', rawStatus: 'rejected', error: { code: 'rejected' } });
    expect(rejected.error?.message).toMatch(/rejected.*usage policy/);
    expect(fake.credits()).toBe(500);
  });

  it('never calls `done` without the video field a success', async () => {
    fake.omitFinalField = true;
    const job = testJob(auroraInput());
    const j = after(job, await creatifyAdapter.submit(job, ctx));
    const deadline = Date.now() + 5000;
    let res: PollResult;
    do {
      res = await pollOnce(j);
      if (Date.now() > deadline) throw new Error('never reached done');
      await new Promise((r) => setTimeout(r, 10));
    } while (res.rawStatus !== 'done');
    expect(res.state).toBe('running');
    expect(warnings().some((w) => /done but video_output is empty/.test(w))).toBe(true);
    const e = await rejection(creatifyAdapter.output(j, ctx));
    expect(e).toMatchObject({ kind: 'not_found', code: 'no_output' });

    fake.omitFinalField = false;
    expect((await pollOnce(j)).state).toBe('succeeded');
  });

  it('answers not_found for a job Creatify does not know', async () => {
    const ghost = { ...testJob(auroraInput()), providerJobId: 'missing-id', providerState: { product: 'aurora' } };
    expect(await pollOnce(ghost)).toMatchObject({ state: 'not_found', error: { code: 'not_found' } });
  });
});

describe('custom templates: preview, approval, render', () => {
  it('shows the blocking preview, renders only after approval, then succeeds', async () => {
    const job = testJob(templateInput());
    const res = await creatifyAdapter.submit(job, ctx);
    expect(res.initial).toMatchObject({ state: 'awaiting_approval', rawStatus: 'done', preview: { kind: 'page' } });
    expect(res.initial?.preview?.url).toMatch(/^https:\/\/app\.creatify\.ai\/preview\?layout=/);
    expect(res.providerState).toMatchObject({ product: 'template', phase: 'preview_ready' });
    expect(fake.server.requests('POST', '/api/custom_template_jobs/preview/')[0]?.body).toEqual({
      template_id: TEMPLATE_ID,
      variables: { headline: 'Sale', script: 'Our best product yet.', product_image: await assets.publicUrl(assets.add('avatar.png').info.id) },
      name: creatifyMarker('Template row', job.idempotencyKey),
      model_version: 'standard',
    });

    let j = after(job, res);
    expect(await pollOnce(j)).toMatchObject({ state: 'awaiting_approval', costUsed: { amount: 1, unit: 'credits' } });
    expect(fake.server.requests('POST', /\/render\/$/)).toHaveLength(0);

    await creatifyAdapter.approve!(j, ctx);
    expect(fake.server.requests('POST', `/api/custom_template_jobs/${res.providerJobId}/render/`)).toHaveLength(1);
    const done = await pollTo(j, ['succeeded', 'failed', 'awaiting_approval']);
    expect(done.res).toMatchObject({ state: 'succeeded', costUsed: { amount: 5, unit: 'credits' } });
    j = done.job;
    expect(j.providerState.phase).toBe('done');
    const dl = await creatifyAdapter.output(j, ctx);
    expect((await download(dl.url)).bytes.equals(sampleMp4())).toBe(true);
    expect(ctx.stateMap.size).toBe(0);
  });

  it('tolerates an immediate pending answer to the preview', async () => {
    fake.previewMode = 'async';
    const job = testJob(templateInput());
    const res = await creatifyAdapter.submit(job, ctx);
    expect(res.initial).toMatchObject({ state: 'queued', rawStatus: 'pending' });
    expect(res.providerState).toMatchObject({ phase: 'preview' });
    const { res: ready } = await pollTo(after(job, res), ['awaiting_approval', 'succeeded', 'failed']);
    expect(ready.state).toBe('awaiting_approval');
    expect(ready.providerState).toMatchObject({ phase: 'preview_ready' });
  });

  it('does not show the preview again while the approved render has not moved yet', async () => {
    const job = testJob(templateInput());
    const j = after(job, await creatifyAdapter.submit(job, ctx));
    await creatifyAdapter.approve!(j, ctx);
    // Right after the render call the job can still read `done` with only the preview set.
    fake.setStatus(j.providerJobId!, 'done');
    const res = await pollOnce(j);
    expect(res.state).toBe('running');
    expect(res.providerState).toMatchObject({ phase: 'render' });
  });

  it('never asks for a second render', async () => {
    const job = testJob(templateInput());
    const j = after(job, await creatifyAdapter.submit(job, ctx));
    await creatifyAdapter.approve!(j, ctx);
    await creatifyAdapter.approve!(j, ctx);
    // A fresh engine (state store lost) that still has the preview_ready phase also sees it is rendering.
    const fresh = testContext({ baseUrl: fake.url, credentials: CREDS, assets });
    await creatifyAdapter.approve!(j, fresh);
    expect(fake.server.requests('POST', /\/render\/$/)).toHaveLength(1);
  });

  it('refuses to approve other products', async () => {
    const job = testJob(auroraInput());
    const j = after(job, await creatifyAdapter.submit(job, ctx));
    const e = await rejection(creatifyAdapter.approve!(j, ctx));
    expect(e.kind).toBe('permanent');
  });

  it('reports a failed preview', async () => {
    fake.failNext('Template variable "script" is too long');
    const res = await creatifyAdapter.submit(testJob(templateInput()), ctx);
    expect(res.initial).toMatchObject({ state: 'failed', error: { code: 'failed' } });
    expect(res.initial?.error?.message).toMatch(/too long/);
  });
});

describe('errors', () => {
  it('401 → auth naming both headers', async () => {
    fake.setKeys('other-id', 'other-key');
    const e = await rejection(creatifyAdapter.submit(testJob(auroraInput()), ctx));
    expect(e).toMatchObject({ kind: 'auth', status: 401 });
    expect(e.message).toMatch(/X-API-ID.*X-API-KEY/);
    expect(e.message).not.toContain(CREDS.apiKey);
    expect(fake.jobs.size).toBe(0);
  });

  it('400 → permanent with the field messages', async () => {
    const e = await rejection(creatifyAdapter.submit(testJob(templateInput({ template_id: 'not-a-template' })), ctx));
    expect(e).toMatchObject({ kind: 'permanent', status: 400, code: 'http_400' });
    expect(e.message).toMatch(/^Creatify rejected the request to create the custom template job/);
    expect(e.message).toMatch(/template_id: Invalid pk "not-a-template" - object does not exist\./);
  });

  it('400 from a link Creatify cannot use → permanent', async () => {
    const e = await rejection(creatifyAdapter.submit(testJob(auroraInput({ avatar: { url: 'https://cdn.example.com/face.gif' } })), ctx));
    expect(e.kind).toBe('permanent');
    expect(e.message).toMatch(/image: Unsupported file type \.gif/);
  });

  it('402 and a 403 about credits → permanent insufficient_credits', async () => {
    fake.setCredits(0);
    const e = await rejection(creatifyAdapter.submit(testJob(lipsyncInput()), ctx));
    expect(e).toMatchObject({ kind: 'permanent', status: 402, code: 'insufficient_credits' });
    expect(e.message).toMatch(/not enough credits/);
    fake.noCreditsStatus = 403;
    const e2 = await rejection(creatifyAdapter.submit(testJob(lipsyncInput()), ctx));
    expect(e2).toMatchObject({ kind: 'permanent', status: 403, code: 'insufficient_credits' });
    expect(fake.jobs.size).toBe(0);
  });

  it('429 with Retry-After seconds or an HTTP-date → rate_limit, nothing created', async () => {
    fake.server.inject({ kind: '429', method: 'POST', path: /^\/api\/aurora\/$/, retryAfterSec: 7 });
    const e = await rejection(creatifyAdapter.submit(testJob(auroraInput()), ctx));
    expect(e).toMatchObject({ kind: 'rate_limit', status: 429, retryAfterMs: 7000 });
    expect(e.message).toMatch(/in 7 s/);

    fake.server.inject({ kind: '429-date', path: /^\/api\/lipsyncs\//, retryAfterSec: 30 });
    const e2 = await rejection(creatifyAdapter.submit(testJob(lipsyncInput()), ctx));
    expect(e2.kind).toBe('rate_limit');
    expect(e2.retryAfterMs).toBeGreaterThan(20_000);
    expect(e2.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(fake.jobs.size).toBe(0);
  });

  it('5xx on a poll → transient; 503 on a create → transient with nothing created', async () => {
    const job = testJob(auroraInput());
    const j = after(job, await creatifyAdapter.submit(job, ctx));
    fake.server.inject({ kind: '500', method: 'GET', path: /^\/api\/aurora\// });
    expect((await rejection(pollOnce(j))).kind).toBe('transient');
    fake.server.inject({ kind: '503', method: 'POST' });
    expect((await rejection(creatifyAdapter.submit(testJob(auroraInput()), ctx))).kind).toBe('transient');
    expect(fake.jobs.size).toBe(1);
  });

  it('malformed JSON → unknown_outcome on a create, transient on a poll', async () => {
    fake.server.inject({ kind: 'malformed', method: 'POST', path: /^\/api\/lipsyncs\/$/ });
    const job = testJob(lipsyncInput());
    const e = await rejection(creatifyAdapter.submit(job, ctx));
    expect(e).toMatchObject({ kind: 'unknown_outcome', code: 'malformed_response' });
    const found = await creatifyAdapter.reconcile(job, ctx);
    expect(found).toMatchObject({ outcome: 'found', providerJobId: [...fake.jobs.keys()][0] });

    fake.server.inject({ kind: 'malformed', method: 'GET' });
    const e2 = await rejection(pollOnce({ ...job, providerJobId: [...fake.jobs.keys()][0]!, providerState: { product: 'lipsync' } }));
    expect(e2.kind).toBe('transient');
  });
});

describe('reconcile after a lost create', () => {
  it('AI avatar: finds the job the lost request created through the list, and proves absence otherwise', async () => {
    await fake.close();
    await start({ lipsyncList: 'paginated', pageSize: 2 });
    const lost = testJob(lipsyncInput({ title: 'Lost row' }));
    fake.server.inject({ kind: 'reset-after', method: 'POST', path: /^\/api\/lipsyncs\/$/ });
    const e = await rejection(creatifyAdapter.submit(lost, ctx));
    expect(e.kind).toBe('unknown_outcome');
    expect(fake.jobs.size).toBe(1);
    const createdId = [...fake.jobs.keys()][0]!;
    // Newer jobs push the lost one onto the second page.
    for (let i = 0; i < 3; i++) await creatifyAdapter.submit(testJob(lipsyncInput({ title: `Later ${i}` })), ctx);

    const res = await creatifyAdapter.reconcile(lost, ctx);
    expect(res).toMatchObject({ outcome: 'found', providerJobId: createdId, providerState: { product: 'lipsync' } });
    expect(res.evidence).toContain('Lost row');
    expect(fake.server.requests('GET', '/api/lipsyncs/').map((r) => r.query.page ?? '1')).toEqual(['1', '2']);

    const never = testJob(lipsyncInput({ title: 'Never sent' }));
    expect(await creatifyAdapter.reconcile(never, ctx)).toMatchObject({ outcome: 'absent' });
    expect(fake.jobs.size).toBe(4);
  });

  it('Aurora: without a list endpoint (404 or 405) the outcome is unknown, with evidence', async () => {
    const lost = testJob(auroraInput({ title: 'Lost aurora' }));
    fake.server.inject({ kind: 'reset-after', method: 'POST', path: /^\/api\/aurora\/$/ });
    expect((await rejection(creatifyAdapter.submit(lost, ctx))).kind).toBe('unknown_outcome');
    const r404 = await creatifyAdapter.reconcile(lost, ctx);
    expect(r404.outcome).toBe('unknown');
    expect(r404.evidence).toMatch(/HTTP 404/);
    expect(r404.evidence).toContain(creatifyMarker('Lost aurora', lost.idempotencyKey));

    fake.auroraList = 'not_allowed';
    expect(await creatifyAdapter.reconcile(lost, ctx)).toMatchObject({ outcome: 'unknown', evidence: expect.stringMatching(/HTTP 405/) });

    fake.auroraList = 'available';
    expect(await creatifyAdapter.reconcile(lost, ctx)).toMatchObject({ outcome: 'found', providerJobId: [...fake.jobs.keys()][0] });
  });

  it('templates: unknown without a list, found with one', async () => {
    const lost = testJob(templateInput());
    fake.server.inject({ kind: 'reset-after', method: 'POST', path: /preview\/$/ });
    expect((await rejection(creatifyAdapter.submit(lost, ctx))).kind).toBe('unknown_outcome');
    expect((await creatifyAdapter.reconcile(lost, ctx)).outcome).toBe('unknown');
    fake.templateList = 'available';
    expect(await creatifyAdapter.reconcile(lost, ctx)).toMatchObject({ outcome: 'found', providerState: { product: 'template', phase: 'preview' } });
  });

  it('keeps the marker within 255 characters and tied to the idempotency key', () => {
    const long = creatifyMarker('x'.repeat(400), 'key-1');
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toMatch(/…\s\[tb:[0-9a-f]{12}\]$/);
    expect(creatifyMarker('Row', 'key-1')).not.toBe(creatifyMarker('Row', 'key-2'));
    expect(creatifyMarker('Row', 'key-1')).toBe(creatifyMarker('Row', 'key-1'));
  });
});

describe('output links', () => {
  it('fetches a fresh link when the old one expired', async () => {
    await fake.close();
    // X-Amz-Expires is in whole seconds, as on S3.
    await start({ urlTtlMs: 1000 });
    const job = testJob(lipsyncInput());
    const j = after(job, await creatifyAdapter.submit(job, ctx));
    await pollUntilDone(creatifyAdapter, j, ctx);
    const first = await creatifyAdapter.output(j, ctx);
    expect(first.expiresAt).toBeGreaterThan(Date.now());
    expect(first.expiresAt).toBeLessThanOrEqual(Date.now() + 1000);
    const deadline = Date.now() + 5000;
    while ((await download(first.url)).status !== 403) {
      if (Date.now() > deadline) throw new Error('link never expired');
      await new Promise((r) => setTimeout(r, 25));
    }
    const fresh = await creatifyAdapter.output(j, ctx);
    expect(fresh.url).not.toBe(first.url);
    const file = await download(fresh.url);
    expect(file.status).toBe(200);
    expect(file.bytes.equals(sampleMp4())).toBe(true);
  });
});

describe('picker lists', () => {
  it('lists personas, voice accents and templates', async () => {
    const personas = await creatifyAdapter.listOptions!('personas', ctx);
    expect(personas).toEqual([
      { value: '3f0c8a9e-1111-4a2b-9c3d-5e6f7a8b9c0d', label: 'Olivia', detail: 'female, adult, presenter', imageUrl: 'https://cdn.creatify.ai/personas/olivia_16_9.jpg' },
      { value: '3f0c8a9e-2222-4a2b-9c3d-5e6f7a8b9c0d', label: 'Marcus', detail: 'male', imageUrl: 'https://cdn.creatify.ai/personas/marcus_1_1.jpg' },
    ]);
    const voices = await creatifyAdapter.listOptions!('voices', ctx);
    expect(voices.map((v) => v.value)).toEqual(['7a258b67-e1d3-4025-8904-8429daa3a34d', '7a258b67-e1d3-4025-8904-8429daa3a34e', '9b1c2d3e-aaaa-4bbb-8ccc-0d1e2f3a4b5c']);
    expect(voices[0]).toMatchObject({ label: 'Fatima – American English accent', detail: 'female' });
    const templates = await creatifyAdapter.listOptions!('templates', ctx);
    expect(templates[0]).toEqual({ value: TEMPLATE_ID, label: 'Product spotlight', detail: 'variables: script, product_image' });
    expect(fake.server.requests('GET', '/api/custom_templates/')).toHaveLength(1);
    const e = await rejection(creatifyAdapter.listOptions!('music', ctx));
    expect(e).toMatchObject({ kind: 'permanent', code: 'unknown_list' });
  });
});
