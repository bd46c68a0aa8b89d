import { statSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobInput } from '../../../shared/model';
import { ProviderError } from '../../../electron/core/providers/http';
import { osharaAdapter, presignedExpiry } from '../../../electron/core/providers/oshara';
import type { AdapterJob, PollResult } from '../../../electron/core/providers/types';
import { FIXTURES, sampleMp4 } from '../../fakes/base';
import { startOsharaFake } from '../../fakes/oshara';
import type { OsharaFake, OsharaFakeOptions } from '../../fakes/oshara';
import { pollUntilDone, testAssets, testContext, testJob } from '../../helpers/context';
import type { TestAssets, TestContext } from '../../helpers/context';

let assets: TestAssets;
const fakes: OsharaFake[] = [];

beforeAll(async () => {
  assets = await testAssets();
});
afterAll(async () => {
  await assets.publicHost.close();
});
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

type CredKind = 'login' | 'apiKey' | 'token' | Record<string, string>;

async function setup(creds: CredKind = 'login', opts: OsharaFakeOptions = {}, now?: () => number): Promise<{ fake: OsharaFake; ctx: TestContext }> {
  const fake = await startOsharaFake({ renderSec: 20, ...opts, ...(now ? { now } : {}) });
  fakes.push(fake);
  const credentials =
    creds === 'login'
      ? { email: fake.account.email, password: fake.account.password }
      : creds === 'apiKey'
        ? { apiKey: fake.account.apiKey! }
        : creds === 'token'
          ? { token: fake.issueAccessToken() }
          : creds;
  const ctx = testContext({ baseUrl: fake.url, credentials, assets, ...(now ? { now } : {}) });
  return { fake, ctx };
}

const SCRIPT = "Welcome to Acme! Today I'll show you our key features.";
function ttsInput(over: Partial<JobInput> = {}): JobInput {
  return { title: 'Product Demo', script: SCRIPT, avatar: assets.add('avatar.png').ref, audio: assets.add('voice.wav').ref, params: {}, ...over };
}
function videoOnlyInput(over: Partial<JobInput> = {}): JobInput {
  return { title: 'My Video', avatar: assets.add('avatar.png').ref, audio: assets.add('voice.mp3').ref, params: {}, ...over };
}

async function submitted(ctx: TestContext, input: JobInput, over: Partial<AdapterJob> = {}): Promise<AdapterJob> {
  const job = testJob(input, { submittedAt: Date.now(), ...over });
  const res = await osharaAdapter.submit(job, ctx);
  return { ...job, providerJobId: res.providerJobId, providerState: res.providerState ?? {} };
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

const size = (f: string): number => statSync(path.join(FIXTURES, f)).size;

async function pollAllUntilDone(ctx: TestContext, jobs: AdapterJob[]): Promise<Map<string, PollResult>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await osharaAdapter.poll(jobs, ctx);
    if ([...res.values()].every((r) => r.state !== 'queued' && r.state !== 'running')) return new Map(res);
    if (Date.now() > deadline) throw new Error('jobs still running');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('oshara adapter: create', () => {
  it('sends a script with a voice sample as multipart, polls to done and downloads the video', async () => {
    const { fake, ctx } = await setup();
    const job = testJob(ttsInput(), { submittedAt: Date.now() });
    const res = await osharaAdapter.submit(job, ctx);
    expect(res.providerJobId).toBe('41');
    expect(res.initial).toMatchObject({ state: 'queued', rawStatus: 'PENDING' });
    expect(res.providerState).toEqual({ mode: 'tts' });

    const login = fake.server.requests('POST', '/api/auth/login/');
    expect(login).toHaveLength(1);
    expect(login[0]!.body).toEqual({ email: fake.account.email, password: fake.account.password });
    const [create] = fake.server.requests('POST', '/api/video-jobs/');
    expect(create!.headers.authorization).toMatch(/^Bearer eyJhY2Nlc3Mi\./);
    expect(create!.headers['x-api-key']).toBeUndefined();
    expect(create!.body).toEqual({ title: 'Product Demo', text_content: SCRIPT });
    expect(create!.files).toEqual({
      avatar: { filename: 'avatar.png', size: size('avatar.png'), mimeType: 'image/png' },
      reference_audio: { filename: 'voice.wav', size: size('voice.wav'), mimeType: 'audio/wav' },
    });
    expect(ctx.stateMap.get('access')).toBeTruthy();
    expect(ctx.stateMap.get('refresh')).toBeTruthy();

    const done = await pollUntilDone(osharaAdapter, { ...job, providerJobId: res.providerJobId }, ctx);
    expect(done).toMatchObject({ state: 'succeeded', rawStatus: 'COMPLETED', providerState: { externalJobId: 'imtk-29a41' } });
    // One poll target: fetched directly, with its trailing slash.
    expect(fake.server.requests('GET', '/api/video-jobs/41/').length).toBeGreaterThan(0);
    expect(fake.server.requests('GET', '/api/video-jobs/')).toHaveLength(0);

    const out = await osharaAdapter.output({ ...job, providerJobId: res.providerJobId }, ctx);
    expect(out.extension).toBe('mp4');
    expect(out.headers).toBeUndefined();
    const dl = await download(out.url);
    expect(dl.status).toBe(200);
    expect(dl.bytes.equals(sampleMp4())).toBe(true);
    // Reused session: one login for the whole flow.
    expect(fake.server.requests('POST', '/api/auth/login/')).toHaveLength(1);
    // Every API path keeps its trailing slash (a path without it is a 404 on the fake).
    for (const e of fake.server.log.filter((l) => l.path.startsWith('/api/'))) expect(e.path.endsWith('/')).toBe(true);
  });

  it('sends a saved voice id and processing_params as a JSON string, unchanged', async () => {
    const { fake, ctx } = await setup();
    const processing = { fps: 25, crop: { x: 0.1, y: 0 }, enhance: true };
    await submitted(ctx, ttsInput({ audio: undefined, params: { reference_voice: 6, processing_params: processing } }));
    const [create] = fake.server.requests('POST', '/api/video-jobs/');
    expect(create!.status).toBe(201);
    expect(create!.body).toEqual({ title: 'Product Demo', text_content: SCRIPT, reference_voice: '6', processing_params: JSON.stringify(processing) });
    expect(Object.keys(create!.files)).toEqual(['avatar']);
    expect(fake.jobs.get(41)!.data.reference_voice).toBe(6);
  });

  it('sends audio without a script to /video-only/ and renders it', async () => {
    const { fake, ctx } = await setup();
    const job = await submitted(ctx, videoOnlyInput());
    expect(job.providerState).toEqual({ mode: 'video_only' });
    expect(fake.server.requests('POST', '/api/video-jobs/')).toHaveLength(0);
    const [create] = fake.server.requests('POST', '/api/video-only/');
    expect(create!.body).toEqual({ title: 'My Video' });
    expect(create!.files).toEqual({
      avatar: { filename: 'avatar.png', size: size('avatar.png'), mimeType: 'image/png' },
      audio: { filename: 'voice.mp3', size: size('voice.mp3'), mimeType: 'audio/mpeg' },
    });
    expect(await pollUntilDone(osharaAdapter, job, ctx)).toMatchObject({ state: 'succeeded' });
    const dl = await download((await osharaAdapter.output(job, ctx)).url);
    expect(dl.bytes.equals(sampleMp4())).toBe(true);
  });

  it('refuses links and ambiguous voices before sending anything', async () => {
    const { fake, ctx } = await setup();
    const url = await rejection(osharaAdapter.submit(testJob(ttsInput({ avatar: { url: 'https://cdn.example.com/face.png' } })), ctx));
    expect(url.kind).toBe('permanent');
    expect(url.message).toMatch(/uploaded files only.*avatar/);
    const both = await rejection(osharaAdapter.submit(testJob(ttsInput({ params: { reference_voice: 6 } })), ctx));
    expect(both.message).toMatch(/not both/);
    const neither = await rejection(osharaAdapter.submit(testJob(ttsInput({ audio: undefined })), ctx));
    expect(neither.message).toMatch(/needs a voice/);
    expect(fake.server.requests('POST', /^\/api\/video/)).toHaveLength(0);
  });
});

describe('oshara adapter: auth', () => {
  it('uses X-API-Key when an API key is given, without signing in', async () => {
    const { fake, ctx } = await setup('apiKey');
    const job = await submitted(ctx, ttsInput());
    await pollUntilDone(osharaAdapter, job, ctx);
    const [create] = fake.server.requests('POST', '/api/video-jobs/');
    expect(create!.headers['x-api-key']).toBe(fake.account.apiKey);
    expect(create!.headers.authorization).toBeUndefined();
    expect(fake.server.requests('POST', '/api/auth/login/')).toHaveLength(0);
  });

  it('uses a pasted access token as Bearer, and names it when it expires', async () => {
    const { fake, ctx } = await setup('token');
    const job = await submitted(ctx, ttsInput());
    const [create] = fake.server.requests('POST', '/api/video-jobs/');
    expect(create!.headers.authorization).toBe(`Bearer ${ctx.credentials.token}`);
    fake.expireAccessTokens();
    const e = await rejection(osharaAdapter.poll([job], ctx));
    expect(e.kind).toBe('auth');
    expect(e.message).toMatch(/refused the access token: Given token not valid.*Paste a new access token/);
    expect(e.message).not.toContain(ctx.credentials.token!);
    expect(fake.server.requests('POST', '/api/auth/login/')).toHaveLength(0);
  });

  it('on 401 refreshes the access token once and retries', async () => {
    const { fake, ctx } = await setup();
    const job = await submitted(ctx, ttsInput());
    const firstAccess = ctx.stateMap.get('access');
    fake.expireAccessTokens();
    const res = await osharaAdapter.poll([job], ctx);
    expect(res.get(job.id)!.state).toMatch(/queued|running|succeeded/);
    const refresh = fake.server.requests('POST', '/api/auth/refresh/');
    expect(refresh).toHaveLength(1);
    expect(refresh[0]!.body).toEqual({ refresh: ctx.stateMap.get('refresh') });
    expect(ctx.stateMap.get('access')).not.toBe(firstAccess);
    expect(fake.server.requests('GET', '/api/video-jobs/41/').map((r) => r.status)).toEqual([401, 200]);
    expect(fake.server.requests('POST', '/api/auth/login/')).toHaveLength(1);
  });

  it('signs in again when the refresh token is refused too', async () => {
    const { fake, ctx } = await setup();
    const job = await submitted(ctx, ttsInput());
    fake.expireAccessTokens();
    fake.expireRefreshTokens();
    await osharaAdapter.poll([job], ctx);
    expect(fake.server.requests('POST', '/api/auth/refresh/').map((r) => r.status)).toEqual([401]);
    expect(fake.server.requests('POST', '/api/auth/login/').map((r) => r.status)).toEqual([200, 200]);
    expect(fake.server.requests('GET', '/api/video-jobs/41/').map((r) => r.status)).toEqual([401, 200]);
  });

  it('resends a create refused with 401 after renewing, with every file part', async () => {
    const { fake, ctx } = await setup();
    await submitted(ctx, ttsInput());
    fake.expireAccessTokens();
    const job = await submitted(ctx, ttsInput({ title: 'Second' }));
    expect(job.providerJobId).toBe('42');
    const creates = fake.server.requests('POST', '/api/video-jobs/');
    expect(creates.map((r) => r.status)).toEqual([201, 401, 201]);
    expect(creates[2]!.files.avatar!.size).toBe(size('avatar.png'));
    expect(creates[2]!.files.reference_audio!.size).toBe(size('voice.wav'));
    expect(fake.jobs.size).toBe(2);
  });

  it('names email and password when the sign-in is refused, without echoing them', async () => {
    const { fake, ctx } = await setup({ email: 'creator@example.com', password: 'hunter2-secret' });
    const e = await rejection(osharaAdapter.submit(testJob(ttsInput()), ctx));
    expect(e.kind).toBe('auth');
    expect(e.message).toMatch(/refused the sign-in: No active account found with the given credentials\. Check the account email and password/);
    expect(e.message).not.toContain('hunter2-secret');
    expect(fake.server.requests('POST', '/api/video-jobs/')).toHaveLength(0);
  });

  it('falls back to signing in when video jobs refuse the API key ([UNCONFIRMED] in the docs)', async () => {
    const fakeKeyless = await setup({}, { apiKeyOnVideoJobs: false });
    const { fake } = fakeKeyless;
    const ctx = testContext({ baseUrl: fake.url, credentials: { apiKey: fake.account.apiKey!, email: fake.account.email, password: fake.account.password }, assets });
    const job = await submitted(ctx, ttsInput());
    expect(job.providerJobId).toBe('41');
    const creates = fake.server.requests('POST', '/api/video-jobs/');
    expect(creates.map((r) => r.status)).toEqual([401, 201]);
    expect(creates[1]!.headers.authorization).toMatch(/^Bearer /);
    expect(ctx.logs.some((l) => l.level === 'warn' && /refused the API key/.test(l.message))).toBe(true);
    // Remembered: the next calls go straight to the JWT.
    await osharaAdapter.poll([job], ctx);
    await submitted(ctx, ttsInput({ title: 'Again' }));
    expect(fake.server.requests('GET', '/api/video-jobs/41/').map((r) => [r.status, r.headers['x-api-key']])).toEqual([[200, undefined]]);
    expect(fake.server.requests('POST', '/api/video-jobs/').map((r) => r.status)).toEqual([401, 201, 201]);
    expect(fake.server.requests('POST', '/api/auth/login/')).toHaveLength(1);

    const alone = testContext({ baseUrl: fake.url, credentials: { apiKey: fake.account.apiKey! }, assets });
    const e = await rejection(osharaAdapter.poll([job], alone));
    expect(e.kind).toBe('auth');
    expect(e.message).toMatch(/refused the API key .*email and password/);
  });
});

describe('oshara adapter: errors', () => {
  it('reads DRF field errors on 400 as a rejection naming the field', async () => {
    const { fake, ctx } = await setup();
    const e = await rejection(osharaAdapter.submit(testJob(ttsInput({ title: '' })), ctx));
    expect(e.kind).toBe('permanent');
    expect(e.status).toBe(400);
    expect(e.message).toBe('Oshara rejected the job: title: This field may not be blank.');
    const v = await rejection(osharaAdapter.submit(testJob(ttsInput({ audio: undefined, params: { reference_voice: 999 } })), ctx));
    expect(v.message).toBe('Oshara rejected the job: reference_voice: Invalid pk "999" - object does not exist.');
    expect(fake.jobs.size).toBe(0);
  });

  it('reads DRF {"detail"} errors, and a concurrency refusal as the plan limit', async () => {
    const { fake, ctx } = await setup();
    fake.rejectNext(403, { detail: 'You do not have permission to perform this action.', code: 'permission_denied' });
    const denied = await rejection(osharaAdapter.submit(testJob(ttsInput()), ctx));
    expect(denied.kind).toBe('auth');
    expect(denied.message).toMatch(/refused access \(check the email and password\): You do not have permission to perform this action\. \(permission_denied\)/);
    fake.rejectNext(429, { detail: 'Concurrent job limit reached for your plan (2 active jobs).' });
    const busy = await rejection(osharaAdapter.submit(testJob(ttsInput()), ctx));
    expect(busy.kind).toBe('concurrency_limit');
    expect(busy.message).toMatch(/concurrent job limit.*Concurrent job limit reached for your plan/);
    expect(fake.jobs.size).toBe(0);
  });

  it('429 with Retry-After seconds → rate_limit with retryAfterMs, nothing created', async () => {
    const { fake, ctx } = await setup();
    fake.server.inject({ kind: '429', method: 'POST', path: /^\/api\/video-jobs\/$/, retryAfterSec: 7, body: { detail: 'Request was throttled. Expected available in 7 seconds.' } });
    const e = await rejection(osharaAdapter.submit(testJob(ttsInput()), ctx));
    expect(e.kind).toBe('rate_limit');
    expect(e.retryAfterMs).toBe(7000);
    expect(e.message).toMatch(/Request was throttled/);
    expect(fake.jobs.size).toBe(0);
  });

  it('429 with an HTTP-date Retry-After → rate_limit with retryAfterMs', async () => {
    const { fake, ctx } = await setup();
    const job = await submitted(ctx, ttsInput());
    fake.server.inject({ kind: '429-date', method: 'GET', retryAfterSec: 30 });
    const e = await rejection(osharaAdapter.poll([job], ctx));
    expect(e.kind).toBe('rate_limit');
    expect(e.retryAfterMs).toBeGreaterThan(25_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('5xx: transient on polls; on a create 503 is transient and 500 an unknown outcome', async () => {
    const { fake, ctx } = await setup();
    const job = await submitted(ctx, ttsInput());
    fake.server.inject({ kind: '502', method: 'GET', path: /^\/api\/video-jobs\// });
    const p = await rejection(osharaAdapter.poll([job], ctx));
    expect(p.kind).toBe('transient');
    expect(p.status).toBe(502);
    fake.server.inject({ kind: '503', method: 'POST', path: /^\/api\/video-jobs\/$/ });
    expect((await rejection(osharaAdapter.submit(testJob(ttsInput()), ctx))).kind).toBe('transient');
    fake.server.inject({ kind: '500', method: 'POST', path: /^\/api\/video-jobs\/$/ });
    const u = await rejection(osharaAdapter.submit(testJob(ttsInput()), ctx));
    expect(u.kind).toBe('unknown_outcome');
    expect(u.message).toMatch(/look for it in your Oshara job list/);
  });

  it('malformed JSON: transient on a poll', async () => {
    const { fake, ctx } = await setup();
    const job = await submitted(ctx, ttsInput());
    fake.server.inject({ kind: 'malformed', method: 'GET', path: /^\/api\/video-jobs\/41\/$/ });
    const e = await rejection(osharaAdapter.poll([job], ctx));
    expect(e.kind).toBe('transient');
    expect(e.code).toBe('malformed_response');
  });
});

describe('oshara adapter: reconcile', () => {
  it('reset after create → unknown_outcome, then reconcile finds the job', async () => {
    const { fake, ctx } = await setup();
    await submitted(ctx, ttsInput({ title: 'Other', script: 'Something else entirely.' }));
    fake.server.inject({ kind: 'reset-after', method: 'POST', path: /^\/api\/video-jobs\/$/ });
    const job = testJob(ttsInput(), { submittedAt: Date.now() });
    const e = await rejection(osharaAdapter.submit(job, ctx));
    expect(e.kind).toBe('unknown_outcome');
    expect(fake.jobs.size).toBe(2);
    const r = await osharaAdapter.reconcile(job, ctx);
    expect(r).toMatchObject({ outcome: 'found', providerJobId: '42', providerState: { mode: 'tts' } });
    expect(r.evidence).toMatch(/Oshara job 42 has the same title and script/);
    expect(await pollUntilDone(osharaAdapter, { ...job, providerJobId: '42' }, ctx)).toMatchObject({ state: 'succeeded' });
  });

  it('malformed answer to a create → unknown_outcome, then reconcile finds it (page shape)', async () => {
    const { fake, ctx } = await setup('login', { listShape: 'page' });
    fake.server.inject({ kind: 'malformed', method: 'POST', path: /^\/api\/video-jobs\/$/ });
    const job = testJob(ttsInput(), { submittedAt: Date.now() });
    expect((await rejection(osharaAdapter.submit(job, ctx))).kind).toBe('unknown_outcome');
    expect(await osharaAdapter.reconcile(job, ctx)).toMatchObject({ outcome: 'found', providerJobId: '41' });
  });

  it('finds a lost video-only job by title and no script', async () => {
    const { fake, ctx } = await setup();
    fake.addJob({ title: 'My Video', text_content: 'A script job with the same title', createdAt: Date.now() - 10 * 60_000 });
    fake.server.inject({ kind: 'reset-after', method: 'POST', path: /^\/api\/video-only\/$/ });
    const job = testJob(videoOnlyInput(), { submittedAt: Date.now() });
    expect((await rejection(osharaAdapter.submit(job, ctx))).kind).toBe('unknown_outcome');
    expect(await osharaAdapter.reconcile(job, ctx)).toMatchObject({ outcome: 'found', providerJobId: '42', providerState: { mode: 'video_only' } });
  });

  it('reset before the create was handled → reconcile proves it absent', async () => {
    const { fake, ctx } = await setup();
    fake.addJob({ title: 'Product Demo', text_content: SCRIPT, createdAt: Date.now() - 60 * 60_000 });
    fake.server.inject({ kind: 'reset', method: 'POST', path: /^\/api\/video-jobs\/$/ });
    const job = testJob(ttsInput(), { submittedAt: Date.now() });
    expect((await rejection(osharaAdapter.submit(job, ctx))).kind).toBe('unknown_outcome');
    expect(fake.jobs.size).toBe(1);
    const r = await osharaAdapter.reconcile(job, ctx);
    expect(r.outcome).toBe('absent');
    expect(r.evidence).toMatch(/Checked 1 job\(s\) on 1 page\(s\).*no Oshara job with the same title and script was created since/);
  });

  it('never binds a job another Talkbatch job already owns', async () => {
    const { fake, ctx } = await setup();
    const first = await submitted(ctx, ttsInput());
    fake.server.inject({ kind: 'reset', method: 'POST', path: /^\/api\/video-jobs\/$/ });
    const twin = testJob(ttsInput(), { submittedAt: Date.now() });
    expect((await rejection(osharaAdapter.submit(twin, ctx))).kind).toBe('unknown_outcome');
    const r = await osharaAdapter.reconcile(twin, ctx);
    expect(r.outcome).toBe('absent');
    expect(r.evidence).toMatch(/1 matching job\(s\) already belong to other Talkbatch jobs/);
    expect(first.providerJobId).toBe('41');
  });

  it('two matching jobs → unknown, with both ids in the evidence', async () => {
    const { fake, ctx } = await setup();
    const submittedAt = Date.now();
    fake.addJob({ title: 'Product Demo', text_content: SCRIPT, createdAt: submittedAt + 50 });
    fake.addJob({ title: 'Product Demo', text_content: SCRIPT, createdAt: submittedAt + 80 });
    const r = await osharaAdapter.reconcile(testJob(ttsInput(), { submittedAt }), ctx);
    expect(r.outcome).toBe('unknown');
    expect(r.evidence).toMatch(/2 Oshara jobs have the same title and script .*ids 42, 41/);
  });

  it('unknown when the bounded list never reaches back to the send time', async () => {
    const { fake, ctx } = await setup('login', { listShape: 'page' });
    const submittedAt = Date.now();
    for (let i = 0; i < 55; i++) fake.addJob({ title: `Newer ${i}`, text_content: 'x', createdAt: submittedAt + 1000 + i });
    const r = await osharaAdapter.reconcile(testJob(ttsInput(), { submittedAt }), ctx);
    expect(r.outcome).toBe('unknown');
    expect(r.evidence).toMatch(/Checked 50 job\(s\) on 10 page\(s\).*without reaching back/);
    expect(fake.server.requests('GET', '/api/video-jobs/')).toHaveLength(10);
  });
});

describe('oshara adapter: polling', () => {
  it('polls many jobs with one list request (plain array) and maps FAILED with error_message', async () => {
    const { fake, ctx } = await setup();
    const a = await submitted(ctx, ttsInput({ title: 'A' }));
    fake.failNext('Face not detected in avatar image');
    const b = await submitted(ctx, ttsInput({ title: 'B' }));
    const c = await submitted(ctx, videoOnlyInput({ title: 'C' }));
    const res = await pollAllUntilDone(ctx, [a, b, c]);
    expect(res.get(a.id)).toMatchObject({ state: 'succeeded', rawStatus: 'COMPLETED' });
    expect(res.get(b.id)).toMatchObject({ state: 'failed', rawStatus: 'FAILED', error: { code: 'oshara_failed', message: 'Oshara could not render the video: Face not detected in avatar image' } });
    expect(res.get(c.id)).toMatchObject({ state: 'succeeded' });
    expect(fake.server.requests('GET', '/api/video-jobs/').length).toBeGreaterThan(0);
    expect(fake.server.requests('GET', /^\/api\/video-jobs\/\d+\/$/)).toHaveLength(0);
  });

  it('follows DRF `next` pages while wanted jobs are missing', async () => {
    const { fake, ctx } = await setup('login', { listShape: 'page' });
    const a = await submitted(ctx, ttsInput({ title: 'A' }));
    const b = await submitted(ctx, ttsInput({ title: 'B' }));
    for (let i = 0; i < 12; i++) fake.addJob({ title: `Newer ${i}`, text_content: 'x', createdAt: Date.now() + 1000 + i });
    const res = await osharaAdapter.poll([a, b], ctx);
    expect(res.get(a.id)!.state).toMatch(/queued|running|succeeded/);
    expect(res.get(b.id)!.state).toMatch(/queued|running|succeeded/);
    expect(fake.server.requests('GET', '/api/video-jobs/').map((r) => r.query.page)).toEqual([undefined, '2', '3']);
    expect(fake.server.requests('GET', /^\/api\/video-jobs\/\d+\/$/)).toHaveLength(0);
  });

  it('falls back to GET /video-jobs/{id}/ for ids the list misses; 404 → not_found', async () => {
    const { fake, ctx } = await setup();
    const a = await submitted(ctx, ttsInput());
    const gone = testJob(ttsInput(), { providerJobId: '9999' });
    const res = await osharaAdapter.poll([a, gone], ctx);
    expect(res.get(gone.id)).toMatchObject({ state: 'not_found', error: { code: 'not_found' } });
    expect(res.get(gone.id)!.error!.message).toMatch(/Oshara has no job 9999: Not found\./);
    expect(fake.server.requests('GET', '/api/video-jobs/9999/').map((r) => r.status)).toEqual([404]);
    expect(res.get(a.id)!.state).not.toBe('not_found');
  });

  it('maps every status word, case-insensitively; unknown words and a missing URL stay running', async () => {
    const { fake, ctx } = await setup();
    const cases: [string, string | null | undefined, PollResult['state']][] = [
      ['PENDING', undefined, 'queued'],
      ['PROCESSING', undefined, 'running'],
      ['COMPLETED', undefined, 'succeeded'],
      ['completed', undefined, 'succeeded'],
      ['COMPLETED', null, 'running'],
      ['FAILED', undefined, 'failed'],
      ['Failed', undefined, 'failed'],
      ['UPLOADING_TO_YOUTUBE', undefined, 'running'],
    ];
    const jobs = cases.map(([status, url], i) => {
      const id = fake.addJob({ title: `S${i}`, text_content: 'x', createdAt: Date.now() - 1000 });
      fake.override(id, { status, ...(url === null ? { processed_video_url: null } : {}) });
      if (status.toLowerCase() === 'completed' && url === undefined) fake.override(id, { processed_video_url: `${fake.server.url}/_files/x?X-Amz-Expires=3600` });
      return testJob(ttsInput(), { providerJobId: String(id) });
    });
    for (const [i, job] of jobs.entries()) {
      const r = (await osharaAdapter.poll([job], ctx)).get(job.id)!;
      expect(r.state, `${cases[i]![0]} url=${String(cases[i]![1])}`).toBe(cases[i]![2]);
      expect(r.rawStatus).toBe(cases[i]![0]);
    }
    const warns = ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warns.some((m) => /COMPLETED but has no processed_video_url/.test(m))).toBe(true);
    expect(warns.some((m) => /unknown status "UPLOADING_TO_YOUTUBE"/.test(m))).toBe(true);
    // Through the list too: a COMPLETED row without a URL is re-read on its own, never taken as success.
    const many = await osharaAdapter.poll(jobs, ctx);
    expect(jobs.map((j) => many.get(j.id)!.state)).toEqual(cases.map((c) => c[2]));
    expect(fake.server.requests('GET', `/api/video-jobs/${jobs[4]!.providerJobId}/`)).toHaveLength(2);
  });
});

describe('oshara adapter: output', () => {
  it('re-reads the job for a fresh presigned URL after the old one expired', async () => {
    let offset = 0;
    const now = (): number => Date.now() + offset;
    const { ctx } = await setup('login', {}, now);
    const job = await submitted(ctx, ttsInput());
    await pollUntilDone(osharaAdapter, job, ctx);
    const first = await osharaAdapter.output(job, ctx);
    const amz = new URL(first.url).searchParams.get('X-Amz-Date')!;
    const signedAt = Date.parse(`${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${amz.slice(9, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`);
    expect(first.expiresAt).toBe(signedAt + 3_600_000);
    expect((await download(first.url)).status).toBe(200);

    offset = 2 * 3_600_000;
    expect((await download(first.url)).status).toBe(403);
    const fresh = await osharaAdapter.output(job, ctx);
    expect(fresh.url).not.toBe(first.url);
    expect(fresh.expiresAt).toBeGreaterThan(now() + 3_500_000);
    const dl = await download(fresh.url);
    expect(dl.status).toBe(200);
    expect(dl.bytes.equals(sampleMp4())).toBe(true);
  });

  it('computes expiry from X-Amz-Date + X-Amz-Expires, else from now with a margin', () => {
    const now = Date.UTC(2025, 5, 10, 15, 0, 0);
    expect(presignedExpiry('https://storage.oshara.ai/videos/42/output.mp4?X-Amz-Date=20250610T150345Z&X-Amz-Expires=3600', now)).toBe(Date.UTC(2025, 5, 10, 16, 3, 45));
    expect(presignedExpiry('https://storage.oshara.ai/videos/42/output.mp4?x-amz-expires=600', now)).toBe(now + 600_000 - 60_000);
    expect(presignedExpiry('https://storage.oshara.ai/videos/42/output.mp4', now)).toBe(now + 3_600_000 - 300_000);
  });

  it('a failed job has no output: a permanent error with its message', async () => {
    const { fake, ctx } = await setup();
    fake.failNext('Audio too short');
    const job = await submitted(ctx, ttsInput());
    expect(await pollUntilDone(osharaAdapter, job, ctx)).toMatchObject({ state: 'failed' });
    const e = await rejection(osharaAdapter.output(job, ctx));
    expect(e.kind).toBe('permanent');
    expect(e.message).toBe('Oshara job 41 failed: Audio too short');
  });
});

describe('oshara adapter: credentials and pickers', () => {
  it('tests credentials with /auth/me/ and /video-jobs/stats/', async () => {
    // A long render, so the job is still pending when the stats are read.
    const { fake, ctx } = await setup('login', { renderSec: 6000 });
    await submitted(ctx, ttsInput());
    const t = await osharaAdapter.testCredentials(ctx);
    expect(t).toEqual({ ok: true, message: 'Connected to Oshara as creator@example.com (email and password). Jobs so far: 1 (0 completed, 0 failed, 1 pending).' });
    expect(fake.server.requests('GET', '/api/auth/me/')).toHaveLength(1);
    expect(fake.server.requests('GET', '/api/video-jobs/stats/')).toHaveLength(1);
    const key = await osharaAdapter.testCredentials(testContext({ baseUrl: fake.url, credentials: { apiKey: fake.account.apiKey! }, assets }));
    expect(key.ok).toBe(true);
    expect(key.message).toMatch(/\(API key\)/);
  });

  it('reports missing or refused credentials without throwing or echoing them', async () => {
    const { fake } = await setup();
    const ctxFor = (credentials: Record<string, string>): TestContext => testContext({ baseUrl: fake.url, credentials, assets });
    expect(await osharaAdapter.testCredentials(ctxFor({}))).toEqual({ ok: false, message: 'Oshara needs an API key (sk_…), an access token, or the account email and password' });
    expect((await osharaAdapter.testCredentials(ctxFor({ email: 'a@b.c' }))).message).toMatch(/needs the account password too/);
    const badKey = await osharaAdapter.testCredentials(ctxFor({ apiKey: 'sk_0000deadbeef' }));
    expect(badKey.ok).toBe(false);
    expect(badKey.message).toMatch(/refused the API key .*Invalid API key\./);
    expect(badKey.message).not.toContain('sk_0000deadbeef');
    expect(fake.server.requests('GET', '/api/auth/me/')).toHaveLength(1);
  });

  it('lists saved voices (array and page shapes)', async () => {
    const { fake, ctx } = await setup('login', { listShape: 'page' });
    for (let i = 0; i < 6; i++) fake.addVoice(`Voice ${i}`);
    const voices = await osharaAdapter.listOptions!('voices', ctx);
    expect(voices).toHaveLength(7);
    expect(voices.at(-1)).toMatchObject({ value: '6', label: 'Narrator (warm)' });
    expect(fake.server.requests('GET', '/api/voices/').map((r) => r.query.page)).toEqual([undefined, '2']);
    fake.setListShape('array');
    expect(await osharaAdapter.listOptions!('voices', ctx)).toHaveLength(7);
  });

  it('returns no voices and says so when the endpoint does not exist', async () => {
    const { ctx } = await setup('login', { voicesEndpoint: false });
    expect(await osharaAdapter.listOptions!('voices', ctx)).toEqual([]);
    expect(ctx.logs.some((l) => l.level === 'warn' && /voices are not available/.test(l.message))).toBe(true);
  });
});
