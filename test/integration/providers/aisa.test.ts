import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fetch, FormData } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aisaAdapter } from '../../../electron/core/providers/aisa';
import { ffmpegPath, unpackedAsarPath } from '../../../electron/core/media/binaries';
import { ProviderError } from '../../../electron/core/providers/http';
import type { AdapterJob, PollResult } from '../../../electron/core/providers/types';
import { startAisaFake, imageSize, type AisaFake } from '../../fakes/aisa';
import { FIXTURES, sampleMp4 } from '../../fakes/base';
import { pollUntilDone, testAssets, testContext, testJob, type TestAssets, type TestContext } from '../../helpers/context';

let fake: AisaFake;
let assets: TestAssets;
let ctx: TestContext;
let scratch: string;
let webp: string;
let notAnImage: string;

beforeAll(async () => {
  // 120 s typical render × 0.002 → 240 ms per video.
  fake = await startAisaFake({ timeScale: 0.002 });
  assets = await testAssets();
  scratch = mkdtempSync(path.join(tmpdir(), 'tb-aisa-'));
  webp = path.join(scratch, 'portrait.webp');
  execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-i', path.join(FIXTURES, 'thumb.jpg'), '-vf', 'transpose=1', '-c:v', 'libwebp', webp]);
  notAnImage = path.join(scratch, 'broken.png');
  writeFileSync(notAnImage, 'this is not a png at all');
  ctx = freshCtx();
});

afterAll(async () => {
  await fake.close();
  await assets.publicHost.close();
});

function freshCtx(over: Partial<Parameters<typeof testContext>[0]> = {}): TestContext {
  return testContext({ baseUrl: fake.url, credentials: { apiKey: fake.apiKey }, assets, ...over });
}

afterEach(() => {
  fake.server.faults.length = 0;
  fake.retireModels(false);
  fake.setListSupported(true);
  fake.setErrorShape('aisa');
});

async function submitted(input: Partial<AdapterJob['input']> = {}, c: TestContext = ctx): Promise<AdapterJob> {
  const job = testJob({ title: 't', prompt: `A calico cat playing a piano ${Math.random()}`, params: {}, ...input }, { submittedAt: Date.now() });
  const res = await aisaAdapter.submit(job, c);
  return { ...job, providerJobId: res.providerJobId, providerState: res.providerState ?? {} };
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

const creates = () => fake.server.requests('POST', '/v1/videos');

describe('aisa adapter: submit', () => {
  it('sends a multipart create with the prompt, explicit defaults and the Bearer key', async () => {
    const before = creates().length;
    const job = testJob({ title: 't', prompt: 'A calico cat playing a piano on stage', params: {} });
    const res = await aisaAdapter.submit(job, ctx);
    const reqs = creates();
    expect(reqs).toHaveLength(before + 1);
    const req = reqs.at(-1)!;
    expect(req.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(req.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(req.body).toEqual({ prompt: 'A calico cat playing a piano on stage', model: 'sora-2', seconds: '4', size: '720x1280' });
    expect(req.files).toEqual({});
    expect(res.providerJobId).toMatch(/^video_/);
    expect(fake.videos.has(res.providerJobId)).toBe(true);
    expect(res.requestId).toMatch(/^req_/);
    expect(res.initial).toMatchObject({ state: 'queued', rawStatus: 'queued', progress: 0 });
    expect(res.providerState).toMatchObject({ model: 'sora-2', size: '720x1280', seconds: '4' });
  });

  it('sends prompt + script as a Dialogue block and the chosen params', async () => {
    await aisaAdapter.submit(testJob({ title: 't', prompt: 'A presenter in a studio', script: 'Welcome to the show.', params: { model: 'sora-2-pro', seconds: '8', size: '1792x1024' } }), ctx);
    // multipart/form-data turns line breaks into CRLF (WHATWG FormData serialization); reconcile allows for it.
    expect(creates().at(-1)!.body).toEqual({ prompt: 'A presenter in a studio\r\n\r\nDialogue:\r\nWelcome to the show.', model: 'sora-2-pro', seconds: '8', size: '1792x1024' });
  });

  it('uses the script as the prompt when there is no prompt', async () => {
    await aisaAdapter.submit(testJob({ title: 't', script: 'A lighthouse at dawn.', params: {} }), ctx);
    expect((creates().at(-1)!.body as Record<string, string>).prompt).toBe('A lighthouse at dawn.');
  });

  it('resizes and pads a PNG avatar to exactly the requested size and uploads it from the work dir', async () => {
    const { ref } = assets.add('avatar.png');
    const res = await aisaAdapter.submit(testJob({ title: 't', prompt: 'A cat waves', avatar: ref, params: { size: '1280x720' } }), ctx);
    const req = creates().at(-1)!;
    expect(req.files.input_reference).toMatchObject({ filename: 'reference-1280x720.png', mimeType: 'image/png' });
    expect(fake.videos.get(res.providerJobId)!.data.reference).toMatchObject({ kind: 'file', width: 1280, height: 720 });
    const made = path.join(ctx.workDir, `aisa-ref-${'asset' in ref ? ref.asset.slice(0, 24) : ''}-1280x720.png`);
    expect(existsSync(made)).toBe(true);
    // A second row with the same image and size reuses the file.
    const mtime = statSync(made).mtimeMs;
    await aisaAdapter.submit(testJob({ title: 't2', prompt: 'A cat waves again', avatar: ref, params: { size: '1280x720' } }), ctx);
    expect(statSync(made).mtimeMs).toBe(mtime);
    expect(creates().at(-1)!.files.input_reference!.size).toBe(statSync(made).size);
  });

  it('fits JPEG and WebP avatars too', async () => {
    const jpg = assets.add('thumb.jpg').ref;
    const a = await aisaAdapter.submit(testJob({ title: 't', prompt: 'A room', avatar: jpg, params: {} }), ctx);
    expect(fake.videos.get(a.providerJobId)!.data.reference).toMatchObject({ width: 720, height: 1280 });
    const w = assets.add(webp, { width: 240, height: 320 }).ref;
    const b = await aisaAdapter.submit(testJob({ title: 't', prompt: 'A room', avatar: w, params: { model: 'sora-2-pro', size: '1024x1792' } }), ctx);
    expect(fake.videos.get(b.providerJobId)!.data.reference).toMatchObject({ width: 1024, height: 1792 });
  });

  it('fails permanently, before any request, on an image ffmpeg cannot read', async () => {
    const before = creates().length;
    const { ref } = assets.add(notAnImage, { width: 100, height: 100 });
    const e = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', avatar: ref, params: {} }), ctx));
    expect(e.kind).toBe('permanent');
    expect(e.code).toBe('reference_unreadable');
    expect(e.message).toContain('broken.png');
    expect(creates()).toHaveLength(before);
  });

  it('refuses invalid input before any request (video avatar, size the model cannot render)', async () => {
    const before = creates().length;
    const vid = assets.add('sample.mp4').ref;
    const e1 = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', avatar: vid, params: {} }), ctx));
    expect(e1.kind).toBe('permanent');
    expect(e1.message).toMatch(/avatar/);
    const e2 = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: { size: '1024x1792' } }), ctx));
    expect(e2.message).toContain('sora-2 cannot render 1024x1792');
    const e3 = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: { seconds: '20' } }), ctx));
    expect(e3.code).toBe('invalid_params');
    expect(creates()).toHaveLength(before);
  });
});

describe('aisa adapter: poll', () => {
  it('follows a video from queued through in_progress to completed', async () => {
    const job = await submitted();
    const seen = new Set<string>();
    let last: PollResult | undefined;
    for (let i = 0; i < 500; i++) {
      last = (await aisaAdapter.poll([job], ctx)).get(job.id)!;
      seen.add(last.rawStatus);
      if (last.state === 'succeeded') break;
      if (last.rawStatus === 'in_progress') {
        expect(last.state).toBe('running');
        expect(last.progress).toBeGreaterThan(0);
        expect(last.progress).toBeLessThan(1);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toContain('in_progress');
    expect(last).toMatchObject({ state: 'succeeded', rawStatus: 'completed', progress: 1, costUsed: { amount: 0.4, unit: 'USD' } });
    expect(last!.providerState).toMatchObject({ expiresAt: expect.any(Number) });
    expect(fake.server.requests('GET', `/v1/videos/${job.providerJobId}`).length).toBeGreaterThan(0);
  });

  it('reports a failed video with its error code and message', async () => {
    fake.failNext('moderation_blocked', 'Your request was blocked by our moderation system.');
    const job = await submitted();
    const res = await pollUntilDone(aisaAdapter, job, ctx);
    expect(res.state).toBe('failed');
    expect(res.error).toEqual({ code: 'moderation_blocked', message: expect.stringContaining('blocked by our moderation system') });
  });

  it('compares status words case-insensitively and keeps unknown words running (logged)', async () => {
    const job = await submitted();
    const word = async (w: string) => {
      fake.setStatusWord(job.providerJobId!, w);
      return (await aisaAdapter.poll([job], ctx)).get(job.id)!;
    };
    expect((await word('QUEUED')).state).toBe('queued');
    expect((await word('In_Progress')).state).toBe('running');
    const c = freshCtx();
    fake.setStatusWord(job.providerJobId!, 'rendering');
    const odd = (await aisaAdapter.poll([job], c)).get(job.id)!;
    expect(odd).toMatchObject({ state: 'running', rawStatus: 'rendering' });
    expect(c.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringContaining('rendering') }));
    expect((await word('Completed')).state).toBe('succeeded');
    expect((await word('FAILED')).state).toBe('failed');
  });

  it('polls many videos with one list request', async () => {
    const jobs = [await submitted(), await submitted(), await submitted()];
    const listsBefore = fake.server.requests('GET', '/v1/videos').length;
    const retrievesBefore = fake.server.requests('GET', /^\/v1\/videos\/video_/).length;
    const res = await aisaAdapter.poll(jobs, ctx);
    expect([...res.keys()].sort()).toEqual(jobs.map((j) => j.id).sort());
    const lists = fake.server.requests('GET', '/v1/videos').slice(listsBefore);
    expect(lists).toHaveLength(1);
    expect(lists[0]!.query).toEqual({ limit: '100', order: 'desc' });
    expect(fake.server.requests('GET', /^\/v1\/videos\/video_/).length).toBe(retrievesBefore);
  });

  it('pages the list with `after` and falls back to retrieve for videos not on the pages read', async () => {
    const old = await submitted();
    await pollUntilDone(aisaAdapter, old, ctx);
    const gone = await submitted();
    await pollUntilDone(aisaAdapter, gone, ctx);
    const del = await fetch(`${fake.url}/videos/${gone.providerJobId}`, { method: 'DELETE', headers: { authorization: `Bearer ${fake.apiKey}` } });
    expect(await del.json()).toEqual({ id: gone.providerJobId, object: 'video.deleted', deleted: true });
    for (let i = 0; i < 120; i++) fake.seed({ prompt: `other ${i}` });
    const listsBefore = fake.server.requests('GET', '/v1/videos').length;
    const res = await aisaAdapter.poll([old, gone], ctx);
    const lists = fake.server.requests('GET', '/v1/videos').slice(listsBefore);
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(lists[1]!.query.after).toMatch(/^video_/);
    expect(res.get(old.id)!.state).toBe('succeeded');
    expect(res.get(gone.id)).toMatchObject({ state: 'not_found', error: { code: 'resource_not_found' } });
    expect(fake.server.requests('GET', `/v1/videos/${gone.providerJobId}`).length).toBeGreaterThan(0);
  });

  it('falls back to one retrieve per video when aisa does not serve the list, and remembers it', async () => {
    const c = freshCtx();
    const jobs = [await submitted({}, c), await submitted({}, c)];
    fake.setListSupported(false);
    const res = await aisaAdapter.poll(jobs, c);
    expect([...res.keys()].sort()).toEqual(jobs.map((j) => j.id).sort());
    for (const j of jobs) expect(fake.server.requests('GET', `/v1/videos/${j.providerJobId}`)).toHaveLength(1);
    expect(c.stateMap.get('listUnsupportedAt')).toBeDefined();
    const listsBefore = fake.server.requests('GET', '/v1/videos').length;
    await aisaAdapter.poll(jobs, c);
    expect(fake.server.requests('GET', '/v1/videos').length).toBe(listsBefore);
  });

  it('turns 5xx and unreadable JSON on polls into transient errors', async () => {
    const job = await submitted();
    fake.server.inject({ kind: '502', method: 'GET' });
    expect((await rejection(aisaAdapter.poll([job], ctx))).kind).toBe('transient');
    fake.server.inject({ kind: 'malformed', method: 'GET' });
    const e = await rejection(aisaAdapter.poll([job], ctx));
    expect(e).toMatchObject({ kind: 'transient', code: 'malformed_response' });
  });

  it('logs the rate-limit headers', async () => {
    const c = freshCtx();
    const job = await submitted({}, c);
    await aisaAdapter.poll([job], c);
    expect(c.logs).toContainEqual(expect.objectContaining({ level: 'debug', message: 'aisa rate limit', data: expect.objectContaining({ limitRequests: '600' }) }));
  });
});

describe('aisa adapter: output', () => {
  it('downloads /content with the Authorization header; bytes are the rendered MP4', async () => {
    const job = await submitted();
    await pollUntilDone(aisaAdapter, job, ctx);
    const spec = await aisaAdapter.output(job, ctx);
    expect(spec.url).toBe(`${fake.url}/videos/${job.providerJobId}/content?variant=video`);
    expect(spec.headers).toEqual({ authorization: `Bearer ${fake.apiKey}` });
    expect(spec.extension).toBe('mp4');
    expect(spec.expiresAt).toBe(Number(fake.view(job.providerJobId!).expires_at) * 1000);
    const res = await fetch(spec.url, { headers: spec.headers });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(sampleMp4())).toBe(true);
    expect(fake.server.requests('GET', `/v1/videos/${job.providerJobId}/content`).at(-1)!.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    // Without the key the content is refused: the header is needed.
    expect((await fetch(spec.url)).status).toBe(401);
    const thumb = await fetch(spec.thumbnail!.url, { headers: spec.thumbnail!.headers });
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect(imageSize(Buffer.from(await thumb.arrayBuffer()))).toEqual({ width: 1, height: 1, format: 'webp' });
  });

  it('gives a fresh working download after the signed redirect expired', async () => {
    // The fake's clock is moved forward instead of sleeping past the signed URL's lifetime.
    let skewMs = 0;
    const short = await startAisaFake({ timeScale: 0.002, urlTtlMs: 60_000, now: () => Date.now() + skewMs });
    try {
      const c = testContext({ baseUrl: short.url, credentials: { apiKey: short.apiKey }, assets });
      const job = testJob({ title: 't', prompt: 'x', params: {} });
      const id = (await aisaAdapter.submit(job, c)).providerJobId;
      const j = { ...job, providerJobId: id };
      await pollUntilDone(aisaAdapter, j, c);
      const spec = await aisaAdapter.output(j, c);
      const first = await fetch(spec.url, { headers: spec.headers, redirect: 'manual' });
      const signed = first.headers.get('location')!;
      expect(signed).toContain('/_files/');
      skewMs = 5 * 60_000;
      expect((await fetch(signed)).status).toBe(403);
      const again = await aisaAdapter.output(j, c);
      const res = await fetch(again.url, { headers: again.headers });
      expect(Buffer.from(await res.arrayBuffer()).equals(sampleMp4())).toBe(true);
    } finally {
      await short.close();
    }
  });

  it('says `expired` once expires_at has passed, and the content is gone', async () => {
    const job = await submitted();
    await pollUntilDone(aisaAdapter, job, ctx);
    const spec = await aisaAdapter.output(job, ctx);
    fake.expire(job.providerJobId!);
    const e = await rejection(aisaAdapter.output(job, ctx));
    expect(e).toMatchObject({ kind: 'expired', code: 'expired' });
    expect(e.message).toMatch(/expired at .* can no longer be downloaded/);
    expect((await fetch(spec.url, { headers: spec.headers })).status).toBe(404);
  });

  it('says `expired` for a deleted video, and `not_ready` before completion', async () => {
    const job = await submitted();
    const early = await rejection(aisaAdapter.output(job, ctx));
    expect(early).toMatchObject({ kind: 'transient', code: 'not_ready' });
    await pollUntilDone(aisaAdapter, job, ctx);
    await fetch(`${fake.url}/videos/${job.providerJobId}`, { method: 'DELETE', headers: { authorization: `Bearer ${fake.apiKey}` } });
    const e = await rejection(aisaAdapter.output(job, ctx));
    expect(e.kind).toBe('expired');
    expect(e.message).toContain('no longer has video');
  });
});

describe('aisa adapter: errors', () => {
  it('401: names the credential to check and never echoes the key', async () => {
    const c = freshCtx({ credentials: { apiKey: 'sk-aisa-wrong-123456' } });
    const e = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), c));
    expect(e).toMatchObject({ kind: 'auth', status: 401, code: 'invalid_api_key' });
    expect(e.message).toContain('aisa API key');
    expect(e.message).not.toContain('sk-aisa-wrong-123456');
    expect(e.requestId).toMatch(/^req_/);
  });

  it('a missing key is an auth error without any request', async () => {
    const before = fake.server.log.length;
    const e = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), freshCtx({ credentials: {} })));
    expect(e).toMatchObject({ kind: 'auth', code: 'missing_api_key' });
    expect(fake.server.log.length).toBe(before);
  });

  it('400 with a field error, in both documented error shapes', async () => {
    for (const shape of ['aisa', 'openai'] as const) {
      fake.setErrorShape(shape);
      fake.rejectNext({ status: 400, code: 'invalid_value', message: 'Inpaint image must match the requested width and height', param: 'input_reference' });
      const e = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), ctx));
      expect(e).toMatchObject({ kind: 'permanent', status: 400, code: 'invalid_value' });
      // Only the OpenAI shape names the field (`param`).
      const field = shape === 'openai' ? ' [field: input_reference]' : '';
      expect(e.message).toBe(`aisa.one rejected the job: Inpaint image must match the requested width and height (invalid_value)${field}`);
      // aisa puts the request id in the body as well as the header.
      expect(e.requestId).toMatch(/^req_/);
    }
  });

  it('429 with Retry-After in seconds and as an HTTP-date → rate_limit; nothing created', async () => {
    const before = fake.videos.size;
    fake.server.inject({ kind: '429', method: 'POST', retryAfterSec: 7, body: { error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Too many requests', request_id: 'req_x' } } });
    const e1 = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), ctx));
    expect(e1).toMatchObject({ kind: 'rate_limit', retryAfterMs: 7000, code: 'rate_limit_exceeded', requestId: 'req_x' });
    expect(e1.message).toContain('Too many requests');
    fake.server.inject({ kind: '429-date', method: 'POST', retryAfterSec: 30 });
    const e2 = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), ctx));
    expect(e2.kind).toBe('rate_limit');
    expect(e2.retryAfterMs).toBeGreaterThan(25_000);
    expect(e2.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(fake.videos.size).toBe(before);
  });

  it('quota_exceeded (429) is the spend cap: permanent, not a retry', async () => {
    fake.rejectNext({ status: 429, code: 'quota_exceeded', message: 'Spend limit reached for this key' });
    const e = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), ctx));
    expect(e).toMatchObject({ kind: 'permanent', code: 'quota_exceeded', status: 429 });
    expect(e.message).toMatch(/spend cap reached.*Spend limit reached for this key/);
  });

  it.each(['model_not_allowed', 'unknown_model', 'unknown_endpoint', '404'] as const)('a retired Sora (%s) is a clear permanent error', async (mode) => {
    fake.retireModels(mode);
    const e = await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), ctx));
    expect(e).toMatchObject({ kind: 'permanent', code: 'sora_retired' });
    expect(e.message).toMatch(/^aisa\.one no longer serves Sora 2: OpenAI retired the Sora 2 API and its models on 2026-09-24/);
    if (mode !== '404') expect(e.message).toContain(mode);
  });

  it('5xx on create: 500 → unknown_outcome, 503 → transient', async () => {
    fake.server.inject({ kind: '500', method: 'POST' });
    expect((await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), ctx))).kind).toBe('unknown_outcome');
    fake.server.inject({ kind: '503', method: 'POST' });
    expect((await rejection(aisaAdapter.submit(testJob({ title: 't', prompt: 'x', params: {} }), ctx))).kind).toBe('transient');
  });
});

describe('aisa adapter: reconcile', () => {
  const lostJob = (prompt: string, params: Record<string, unknown> = {}) =>
    testJob({ title: 't', prompt, params }, { submittedAt: Date.now() });

  it('connection reset after the create → unknown_outcome, then reconcile finds the video', async () => {
    const job = lostJob(`reset ${Math.random()}`, { seconds: '8' });
    fake.server.inject({ kind: 'reset-after', method: 'POST' });
    const e = await rejection(aisaAdapter.submit(job, ctx));
    expect(e.kind).toBe('unknown_outcome');
    const created = [...fake.videos.values()].find((v) => v.data.prompt === job.input.prompt)!;
    expect(created).toBeDefined();
    const res = await aisaAdapter.reconcile(job, ctx);
    expect(res).toMatchObject({ outcome: 'found', providerJobId: created.id, providerState: { seconds: '8' } });
  });

  it('unreadable JSON after the create → unknown_outcome, then found (multi-line prompt)', async () => {
    const job = testJob({ title: 't', prompt: `malformed ${Math.random()}\nsecond line`, script: 'Hi.', params: {} }, { submittedAt: Date.now() });
    fake.server.inject({ kind: 'malformed', method: 'POST' });
    const e = await rejection(aisaAdapter.submit(job, ctx));
    expect(e).toMatchObject({ kind: 'unknown_outcome', code: 'malformed_response' });
    const res = await aisaAdapter.reconcile(job, ctx);
    expect(res.outcome).toBe('found');
  });

  it('reset before the create was handled → reconcile proves it absent', async () => {
    const job = lostJob(`never ${Math.random()}`);
    fake.server.inject({ kind: 'reset', method: 'POST' });
    expect((await rejection(aisaAdapter.submit(job, ctx))).kind).toBe('unknown_outcome');
    const res = await aisaAdapter.reconcile(job, ctx);
    expect(res.outcome).toBe('absent');
  });

  it('does not match other params, older videos, or videos of other identical jobs', async () => {
    const prompt = `same prompt ${Math.random()}`;
    fake.seed({ prompt, seconds: '12' });
    fake.seed({ prompt, createdAt: Date.now() - 10 * 60_000 });
    const c = freshCtx();
    const first = await submitted({ prompt }, c); // an identical row that went through
    const job = testJob({ title: 't', prompt, params: {} }, { submittedAt: Date.now() });
    const res = await aisaAdapter.reconcile(job, c);
    expect(res.outcome).toBe('absent');
    expect(res.evidence).toContain(`${first.providerJobId} belong`);
  });

  it('is unknown when two videos match', async () => {
    const prompt = `twice ${Math.random()}`;
    fake.seed({ prompt });
    fake.seed({ prompt });
    const res = await aisaAdapter.reconcile(testJob({ title: 't', prompt, params: {} }, { submittedAt: Date.now() }), ctx);
    expect(res.outcome).toBe('unknown');
    expect(res.evidence).toMatch(/2 aisa.one videos could be this job/);
  });

  it('is unknown when the list does not reach back to the send time', async () => {
    const f = await startAisaFake({ timeScale: 0.002 });
    try {
      const c = testContext({ baseUrl: f.url, credentials: { apiKey: f.apiKey }, assets });
      for (let i = 0; i < 520; i++) f.seed({ prompt: `newer ${i}` });
      const res = await aisaAdapter.reconcile(testJob({ title: 't', prompt: 'lost', params: {} }, { submittedAt: Date.now() - 3_600_000 }), c);
      expect(res.outcome).toBe('unknown');
      expect(f.server.requests('GET', '/v1/videos')).toHaveLength(5);
    } finally {
      await f.close();
    }
  });

  it('is unknown when the list endpoint is not served', async () => {
    fake.setListSupported(false);
    const res = await aisaAdapter.reconcile(lostJob('x'), ctx);
    expect(res.outcome).toBe('unknown');
    expect(res.evidence).toContain('does not serve the video list');
  });
});

describe('aisa adapter: credentials', () => {
  it('accepts a good key with a cheap list call', async () => {
    const before = fake.server.requests('GET', '/v1/videos').length;
    const res = await aisaAdapter.testCredentials(ctx);
    expect(res.ok).toBe(true);
    expect(res.message).toContain('2026-09-24');
    expect(fake.server.requests('GET', '/v1/videos').slice(before).map((r) => r.query)).toEqual([{ limit: '1', order: 'desc' }]);
  });

  it('refuses a wrong or missing key', async () => {
    const bad = await aisaAdapter.testCredentials(freshCtx({ credentials: { apiKey: 'sk-aisa-nope' } }));
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/rejected the API key.*invalid_api_key/);
    expect(bad.message).not.toContain('sk-aisa-nope');
    expect((await aisaAdapter.testCredentials(freshCtx({ credentials: {} }))).ok).toBe(false);
  });

  it('without the list endpoint, probes a retrieve instead', async () => {
    fake.setListSupported(false);
    const res = await aisaAdapter.testCredentials(ctx);
    expect(res.ok).toBe(true);
    expect(fake.server.requests('GET', '/v1/videos/video_talkbatch_key_check')).toHaveLength(1);
  });
});

describe('aisa fake: its own contract', () => {
  const auth = () => ({ authorization: `Bearer ${fake.apiKey}` });
  const pngOf = (size: string) => {
    const out = path.join(scratch, `ref-${size}.png`);
    const [w, h] = size.split('x');
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-i', path.join(FIXTURES, 'avatar.png'), '-vf', `scale=${w}:${h}`, out]);
    return out;
  };

  it('rejects a multipart reference that is not exactly the requested size', async () => {
    const form = new FormData();
    form.append('prompt', 'x');
    form.append('input_reference', new Blob([readFileSync(path.join(FIXTURES, 'avatar.png'))], { type: 'image/png' }), 'avatar.png');
    const res = await fetch(`${fake.url}/videos`, { method: 'POST', headers: auth(), body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'Inpaint image must match the requested width and height' } });
  });

  it('accepts JSON creates with input_reference {image_url} or {file_id}, exactly one', async () => {
    const dataUrl = (file: string) => `data:image/png;base64,${readFileSync(file).toString('base64')}`;
    const post = (body: unknown) => fetch(`${fake.url}/videos`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ prompt: 'x', input_reference: { image_url: dataUrl(pngOf('720x1280')) } })).status).toBe(200);
    expect((await post({ prompt: 'x', size: '1280x720', input_reference: { image_url: dataUrl(pngOf('720x1280')) } })).status).toBe(400);
    expect((await post({ prompt: 'x', input_reference: { file_id: 'file-123' } })).status).toBe(200);
    expect((await post({ prompt: 'x', input_reference: { file_id: 'file-123', image_url: 'https://x.test/a.png' } })).status).toBe(400);
    const missing = await post({ model: 'sora-2' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { code: 'missing_parameter' } });
  });

  it('refuses to delete an unfinished video and remixes a finished one', async () => {
    const job = await submitted();
    const del = await fetch(`${fake.url}/videos/${job.providerJobId}`, { method: 'DELETE', headers: auth() });
    expect(del.status).toBe(400);
    await pollUntilDone(aisaAdapter, job, ctx);
    const remix = await fetch(`${fake.url}/videos/${job.providerJobId}/remix`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'again' }) });
    expect(await remix.json()).toMatchObject({ status: 'queued', remixed_from_video_id: job.providerJobId });
    const content = await fetch(`${fake.url}/videos/${job.providerJobId}/content?variant=spritesheet`, { headers: auth() });
    expect(content.headers.get('content-type')).toBe('image/jpeg');
  });

  it('reads PNG, JPEG and WebP sizes', async () => {
    expect(imageSize(readFileSync(path.join(FIXTURES, 'avatar.png')))).toEqual({ width: 512, height: 512, format: 'png' });
    expect(imageSize(readFileSync(path.join(FIXTURES, 'thumb.jpg')))).toEqual({ width: 320, height: 240, format: 'jpeg' });
    expect(imageSize(readFileSync(webp))).toEqual({ width: 240, height: 320, format: 'webp' });
    expect(imageSize(Buffer.from('nope'))).toBeUndefined();
  });
});

describe('aisa adapter: ffmpeg location', () => {
  it('uses app.asar.unpacked inside a packaged app', () => {
    expect(unpackedAsarPath('/opt/Talkbatch/resources/app.asar/node_modules/@ffmpeg-installer/linux-x64/ffmpeg')).toBe(
      '/opt/Talkbatch/resources/app.asar.unpacked/node_modules/@ffmpeg-installer/linux-x64/ffmpeg',
    );
    expect(unpackedAsarPath('C:\\App\\resources\\app.asar.unpacked\\node_modules\\ffmpeg.exe')).toBe('C:\\App\\resources\\app.asar.unpacked\\node_modules\\ffmpeg.exe');
    expect(unpackedAsarPath('/work/main/node_modules/@ffmpeg-installer/linux-x64/ffmpeg')).toBe('/work/main/node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
    expect(existsSync(ffmpegPath())).toBe(true);
  });
});
