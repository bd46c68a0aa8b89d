import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { InputRef } from '../../../shared/model';
import { isProviderError, ProviderError } from '../../../electron/core/providers/http';
import { readTechforgeError, techforgeAdapter } from '../../../electron/core/providers/techforge';
import type { AdapterJob, AssetAccess, PollResult } from '../../../electron/core/providers/types';
import { techforgeSpec } from '../../../shared/providers/techforge';
import { sampleMp4 } from '../../fakes/base';
import { startTechforgeFake, type TechforgeFake } from '../../fakes/techforge';
import { pollUntilDone, testAssets, testContext, testJob, type TestAssets, type TestContext } from '../../helpers/context';

const PROJECT = '468ea7a0-66e1-4357-a760-236e54167f3e';

let fake: TechforgeFake;
let assets: TestAssets;
let ctx: TestContext;
let avatar: InputRef;
let voice: InputRef;

beforeEach(async () => {
  fake = await startTechforgeFake({ timeScale: 0.001 });
  assets = await testAssets();
  ctx = testContext({ baseUrl: fake.url, credentials: { apiKey: fake.apiKey }, assets });
  avatar = assets.add('avatar.png').ref;
  voice = assets.add('voice.mp3').ref;
});

afterEach(async () => {
  await fake.close();
  await assets.publicHost.close();
});

function talkingJob(params: Record<string, unknown> = {}, over: Partial<AdapterJob['input']> = {}): AdapterJob {
  return testJob({ title: 'Spring promo', avatar, audio: voice, params: { project_id: PROJECT, ...params }, ...over });
}

async function caught(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

async function submitted(job: AdapterJob): Promise<AdapterJob> {
  const res = await techforgeAdapter.submit(job, ctx);
  return { ...job, providerJobId: res.providerJobId, providerState: { ...job.providerState, ...(res.providerState ?? {}) } };
}

async function pollOnce(job: AdapterJob): Promise<PollResult> {
  const r = (await techforgeAdapter.poll([job], ctx)).get(job.id);
  if (!r) throw new Error('no poll result');
  return r;
}

async function download(url: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await request(url);
  return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) };
}

describe('techforge adapter: describe and submit', () => {
  it('describes its spec and has no cancel', () => {
    expect(techforgeAdapter.id).toBe('techforge');
    expect(techforgeAdapter.describe()).toBe(techforgeSpec);
    expect(techforgeAdapter.cancel).toBeUndefined();
    expect(techforgeAdapter.estimateCost({ title: 'x', params: {} }).amount).toBeNull();
  });

  it('sends the direct talking-video shape with public URLs of local files and the x-api-key header', async () => {
    const job = talkingJob({ version: 5, is_clone_required: true, output_size: 400, crop: true, dynamic_scale: 1, iteration_count: 10, expand_ratio: 0.5, values: ['smooth'] });
    const res = await techforgeAdapter.submit(job, ctx);
    const [post] = fake.server.requests('POST', '/jobs/v2');
    expect(post?.headers['x-api-key']).toBe(fake.apiKey);
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.body).toEqual({
      image_url: await assets.publicUrl(assets.info((avatar as { asset: string }).asset).id),
      audio_url: await assets.publicUrl((voice as { asset: string }).asset),
      job_type: 'ai_talking_video',
      project_id: PROJECT,
      language: 'en',
      version: 5,
      is_clone_required: true,
      output_size: 400,
      crop: true,
      dynamic_scale: 1,
      iteration_count: 10,
      expand_ratio: 0.5,
      values: ['smooth'],
    });
    expect(String((post?.body as Record<string, unknown>).image_url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/assets\/[0-9a-f]{64}\/avatar\.png$/);
    expect(assets.uploads).toBe(2);
    expect(res.providerJobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake.jobs.has(res.providerJobId)).toBe(true);
    expect(res.initial).toEqual({ state: 'queued', rawStatus: 'queued' });
  });

  it('fills the documented defaults (language en, version 6, values [])', async () => {
    await techforgeAdapter.submit(talkingJob(), ctx);
    expect(fake.server.requests('POST', '/jobs/v2')[0]?.body).toMatchObject({ language: 'en', version: 6, values: [] });
    expect(fake.server.requests('POST', '/jobs/v2')[0]?.body).not.toHaveProperty('crop');
  });

  it('passes URL inputs as given, without publishing anything', async () => {
    const job = talkingJob({}, { avatar: { url: 'https://cdn.example.com/face.png' }, audio: { url: 'http://cdn.example.com/voice.mp3' } });
    await techforgeAdapter.submit(job, ctx);
    expect(fake.server.requests('POST', '/jobs/v2')[0]?.body).toMatchObject({ image_url: 'https://cdn.example.com/face.png', audio_url: 'http://cdn.example.com/voice.mp3' });
    expect(assets.uploads).toBe(0);
  });

  it('refuses a non-http URL input before sending', async () => {
    const e = await caught(techforgeAdapter.submit(talkingJob({}, { avatar: { url: 'ftp://example.com/a.png' } }), ctx));
    expect(e.kind).toBe('permanent');
    expect(e.message).toMatch(/http/);
    expect(fake.server.requests('POST', '/jobs/v2')).toHaveLength(0);
  });

  it('lets the asset host error through when no public host is configured', async () => {
    const noHost: AssetAccess = {
      ...assets,
      publicUrl: () => Promise.reject(new ProviderError('permanent', 'No public asset host is configured: set one in Settings → Asset hosting', { code: 'no_asset_host' })),
    };
    const c = testContext({ baseUrl: fake.url, credentials: { apiKey: fake.apiKey }, assets: noHost });
    const e = await caught(techforgeAdapter.submit(talkingJob(), c));
    expect(e.code).toBe('no_asset_host');
    expect(e.message).toMatch(/asset host/);
    expect(fake.server.requests('POST', '/jobs/v2')).toHaveLength(0);
  });

  it('reads the reference create answer {message, job:{uuid}}', async () => {
    fake.createShape = 'reference';
    const res = await techforgeAdapter.submit(talkingJob(), ctx);
    expect(fake.jobs.has(res.providerJobId)).toBe(true);
    expect(res.initial?.state).toBe('queued');
    expect(res.initial?.rawStatus).toBe('QUEUED');
  });

  it('reads a bare row answer {uuid, job_status}', async () => {
    fake.createShape = 'row';
    const res = await techforgeAdapter.submit(talkingJob(), ctx);
    expect(fake.jobs.has(res.providerJobId)).toBe(true);
  });

  it('treats a 2xx answer without a job id as unknown_outcome (never a blind resubmit)', async () => {
    fake.createShape = 'no-id';
    const e = await caught(techforgeAdapter.submit(talkingJob(), ctx));
    expect(e.kind).toBe('unknown_outcome');
    expect(e.code).toBe('no_job_id');
    expect(e.message).toMatch(/Job accepted/);
    expect(fake.jobs.size).toBe(1);
  });

  it('sends the template shape: version 2, values by key with the row inputs in their fields', async () => {
    const job = testJob({
      title: 'Template row',
      avatar,
      audio: voice,
      script: 'Big spring sale',
      params: { job_type: 'video', template_id: PROJECT, session_id: 'sess-9', avatar_field: 'photo', audio_field: 'voice', script_field: 'headline', values: { voice: { effects: [{ type: 'denoise' }] } } },
    });
    const res = await techforgeAdapter.submit(job, ctx);
    expect(fake.server.requests('POST', '/jobs/v2')[0]?.body).toEqual({
      job_type: 'video',
      template_id: PROJECT,
      version: 2,
      session_id: 'sess-9',
      values: {
        photo: { image_url: await assets.publicUrl((avatar as { asset: string }).asset) },
        voice: { effects: [{ type: 'denoise' }], audio_url: await assets.publicUrl((voice as { asset: string }).asset) },
        headline: 'Big spring sale',
      },
    });
    expect(res.providerState).toMatchObject({ mode: 'template' });
    const done = await pollUntilDone(techforgeAdapter, { ...job, providerJobId: res.providerJobId }, ctx);
    expect(done.state).toBe('succeeded');
  });
});

describe('techforge adapter: polling', () => {
  it('runs a job to success with one GET per poll, credits used and the output key', async () => {
    const job = await submitted(talkingJob());
    const seen = new Set<string>();
    const done = await pollUntilDone({ poll: async (jobs, c) => {
      const m = await techforgeAdapter.poll(jobs, c);
      for (const r of m.values()) seen.add(r.rawStatus);
      return m;
    } }, job, ctx);
    expect(done.state).toBe('succeeded');
    expect(done.rawStatus).toBe('SUCCESS');
    expect(done.costUsed).toEqual({ amount: 12.5, unit: 'credits' });
    expect(done.providerState).toEqual({ outputKey: `ai-talking-videos/${PROJECT}/outputs/${job.providerJobId}.mp4` });
    expect([...seen].every((s) => ['QUEUED', 'STARTED', 'IN_PROGRESS', 'SUCCESS'].includes(s))).toBe(true);
    const gets = fake.server.requests('GET', `/jobs/${job.providerJobId}`);
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((g) => g.headers['x-api-key'] === fake.apiKey)).toBe(true);
    expect(fake.credits).toBe(1250 - 12.5);
  });

  it('understands the lower-case overview words', async () => {
    fake.statusWords = 'lower';
    const job = await submitted(talkingJob());
    const done = await pollUntilDone(techforgeAdapter, job, ctx);
    expect(done).toMatchObject({ state: 'succeeded', rawStatus: 'done' });
  });

  it('maps every status word, case-insensitively; unknown words keep running and are logged', async () => {
    const job = await submitted(talkingJob());
    const id = job.providerJobId!;
    const cases: [string, boolean, PollResult['state']][] = [
      ['QUEUED', false, 'queued'],
      ['queued', false, 'queued'],
      ['STARTED', false, 'running'],
      ['IN_PROGRESS', false, 'running'],
      ['In_Progress', false, 'running'],
      ['processing', false, 'running'],
      ['FAILED', false, 'failed'],
      ['failed', false, 'failed'],
      ['SUCCESS', true, 'succeeded'],
      ['Success', true, 'succeeded'],
      ['done', true, 'succeeded'],
      ['PAUSED_BY_ADMIN', false, 'running'],
    ];
    for (const [word, withOutput, state] of cases) {
      fake.forceStatus(id, word, { withOutput });
      const r = await pollOnce(job);
      expect(r.state, word).toBe(state);
      expect(r.rawStatus, word).toBe(word);
    }
    expect(ctx.logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([expect.stringMatching(/unknown status "PAUSED_BY_ADMIN"/)]);
  });

  it('never calls SUCCESS without an output key a success: keeps running and logs it', async () => {
    fake.nextJobWithoutOutput();
    const job = await submitted(talkingJob());
    fake.forceStatus(job.providerJobId!, 'SUCCESS', { withOutput: false });
    const r = await pollOnce(job);
    expect(r.state).toBe('running');
    expect(ctx.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/no output file/) }));
  });

  it('reports a failed job with its reason', async () => {
    fake.failNextJob('Face not detected in the source image');
    const job = await submitted(talkingJob());
    const done = await pollUntilDone(techforgeAdapter, job, ctx);
    expect(done.state).toBe('failed');
    expect(done.error?.message).toMatch(/Face not detected/);
    expect(fake.credits).toBe(1250);
  });

  it('treats HTTP 200 {"message":"Job not found"} as not_found', async () => {
    const job = testJob({ title: 'x', params: {} }, { providerJobId: '00000000-0000-4000-8000-000000000000' });
    const r = await pollOnce(job);
    expect(r.state).toBe('not_found');
    expect(r.error?.message).toMatch(/Job not found/);
    expect(fake.server.requests('GET', '/jobs/00000000-0000-4000-8000-000000000000')[0]?.status).toBe(200);
  });

  it("treats another account's job as not_found (the key was changed)", async () => {
    const job = await submitted(talkingJob());
    fake.apiKey = 'tfi-other-key';
    const c = testContext({ baseUrl: fake.url, credentials: { apiKey: 'tfi-other-key' }, assets });
    const r = (await techforgeAdapter.poll([job], c)).get(job.id);
    expect(r?.state).toBe('not_found');
  });

  it('polls several jobs with one GET each and no list call', async () => {
    const a = await submitted(talkingJob());
    const b = await submitted(talkingJob());
    const before = fake.server.log.length;
    const m = await techforgeAdapter.poll([a, b], ctx);
    expect([...m.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(fake.server.log.slice(before).map((e) => `${e.method} ${e.path}`).sort()).toEqual([`GET /jobs/${a.providerJobId}`, `GET /jobs/${b.providerJobId}`].sort());
  });

  it('keeps the other jobs when one status check fails, and throws when all fail', async () => {
    const a = await submitted(talkingJob());
    const b = await submitted(talkingJob());
    fake.server.inject({ kind: '502', path: new RegExp(a.providerJobId!) });
    const m = await techforgeAdapter.poll([a, b], ctx);
    expect(m.has(a.id)).toBe(false);
    expect(m.has(b.id)).toBe(true);
    fake.server.inject({ kind: '500', path: /^\/jobs\// });
    const e = await caught(techforgeAdapter.poll([a], ctx));
    expect(e.kind).toBe('transient');
    expect(e.status).toBe(500);
  });

  it('never calls the internal PUT /jobs/:id', async () => {
    const job = await submitted(talkingJob());
    await pollUntilDone(techforgeAdapter, job, ctx);
    await techforgeAdapter.output({ ...job, providerState: {} }, ctx);
    await techforgeAdapter.reconcile(job, ctx);
    expect(fake.server.log.filter((e) => e.method === 'PUT')).toHaveLength(0);
  });
});

describe('techforge adapter: output', () => {
  it('exchanges the storage key for a signed URL right before the download and serves the real bytes', async () => {
    const job = await submitted(talkingJob());
    const done = await pollUntilDone(techforgeAdapter, job, ctx);
    const finished = { ...job, providerState: { ...job.providerState, ...done.providerState } };
    const spec = await techforgeAdapter.output(finished, ctx);
    const [signReq] = fake.server.requests('GET', '/storage/generate-signed-path');
    expect(signReq?.query).toEqual({ path: `ai-talking-videos/${PROJECT}/outputs/${job.providerJobId}.mp4` });
    expect(signReq?.headers['x-api-key']).toBe(fake.apiKey);
    expect(spec.extension).toBe('mp4');
    expect(spec.headers).toBeUndefined();
    expect(spec.expiresAt).toBeGreaterThan(Date.now());
    expect(spec.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1000);
    const got = await download(spec.url);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(sampleMp4())).toBe(true);
  });

  it('finds the output key through GET /jobs/:id when it was not kept', async () => {
    const job = await submitted(talkingJob());
    await pollUntilDone(techforgeAdapter, job, ctx);
    const spec = await techforgeAdapter.output(job, ctx);
    expect((await download(spec.url)).bytes.equals(sampleMp4())).toBe(true);
  });

  it('asks for a fresh URL after the last one expired', async () => {
    fake.signedUrlTtlMs = 150;
    const job = await submitted(talkingJob());
    const done = await pollUntilDone(techforgeAdapter, job, ctx);
    const finished = { ...job, providerState: done.providerState ?? {} };
    const first = await techforgeAdapter.output(finished, ctx);
    expect(first.expiresAt).toBeLessThanOrEqual(Date.now() + 1000);
    await expect.poll(async () => (await download(first.url)).status, { timeout: 5000, interval: 50 }).toBe(403);
    const second = await techforgeAdapter.output(finished, ctx);
    expect(second.url).not.toBe(first.url);
    fake.signedUrlTtlMs = 60_000;
    const third = await techforgeAdapter.output(finished, ctx);
    expect((await download(third.url)).bytes.equals(sampleMp4())).toBe(true);
    expect(fake.server.requests('GET', '/storage/generate-signed-path')).toHaveLength(3);
  });

  it('uses an expiresAt when the answer has one', async () => {
    fake.includeExpiresAt = true;
    fake.signedUrlTtlMs = 120_000;
    const job = await submitted(talkingJob());
    const done = await pollUntilDone(techforgeAdapter, job, ctx);
    const spec = await techforgeAdapter.output({ ...job, providerState: done.providerState ?? {} }, ctx);
    expect(Math.abs((spec.expiresAt ?? 0) - (Date.now() + 120_000))).toBeLessThan(2000);
  });

  it('reports a missing storage file as not_found, with the provider {error} message', async () => {
    const job = await submitted(talkingJob());
    const e = await caught(techforgeAdapter.output({ ...job, providerState: { outputKey: 'ai-talking-videos/x/outputs/gone.mp4' } }, ctx));
    expect(e.kind).toBe('not_found');
    expect(e.message).toMatch(/File not found/);
  });

  it('the fake answers {error: "Path query parameter is required"} without a path', async () => {
    const res = await request(`${fake.url}/storage/generate-signed-path`, { headers: { 'x-api-key': fake.apiKey } });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toEqual({ error: 'Path query parameter is required' });
  });

  it('refuses to download a job that has no output', async () => {
    const job = await submitted(talkingJob());
    const e = await caught(techforgeAdapter.output(job, ctx));
    expect(e.kind).toBe('not_found');
    expect(e.code).toBe('no_output');
  });
});

describe('techforge adapter: errors', () => {
  it('401 on a wrong key is auth, naming the credential and never the key', async () => {
    const c = testContext({ baseUrl: fake.url, credentials: { apiKey: 'wrong-secret-1234' }, assets });
    const e = await caught(techforgeAdapter.submit(talkingJob(), c));
    expect(e.kind).toBe('auth');
    expect(e.status).toBe(401);
    expect(e.message).toMatch(/Invalid API key/);
    expect(e.message).toMatch(/TechForge API key/);
    expect(e.message).not.toContain('wrong-secret-1234');
    expect(fake.jobs.size).toBe(0);
    const p = await caught(techforgeAdapter.poll([talkingJob({}, {})].map((j) => ({ ...j, providerJobId: 'x' })), c));
    expect(p.kind).toBe('auth');
  });

  it('a missing key fails before any request', async () => {
    const c = testContext({ baseUrl: fake.url, credentials: {}, assets });
    const e = await caught(techforgeAdapter.submit(talkingJob(), c));
    expect(e.kind).toBe('auth');
    expect(e.code).toBe('missing_api_key');
    expect(fake.server.log).toHaveLength(0);
  });

  it('400 validation is permanent with the provider message ({message} body)', async () => {
    const job = testJob({ title: 'x', avatar, audio: voice, params: { project_id: PROJECT, values: { headline: 'Hi', mood: 'happy' } } });
    const e = await caught(techforgeAdapter.submit(job, ctx));
    expect(e.kind).toBe('permanent');
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^TechForge rejected the job: values\.mood is not a field of Spring campaign/);
    expect(e.message).toMatch(/http_400/);
  });

  it('400 validation with an {error} body', async () => {
    fake.errorShape = 'error';
    const job = testJob({ title: 'x', avatar, audio: voice, params: { template_id: PROJECT, values: { photo: 'not-an-asset' } } });
    const e = await caught(techforgeAdapter.submit(job, ctx));
    expect(e.kind).toBe('permanent');
    expect(e.message).toMatch(/values\.photo must be \{image_url\}/);
  });

  it('404 for an unknown template is not_found', async () => {
    const job = testJob({ title: 'x', params: { template_id: '11111111-2222-4333-8444-555555555555', values: { headline: 'Hi' } } });
    const e = await caught(techforgeAdapter.submit(job, ctx));
    expect(e.kind).toBe('not_found');
    expect(e.message).toMatch(/Project not found/);
  });

  it('429 with Retry-After seconds is rate_limit with retryAfterMs, nothing created', async () => {
    fake.server.inject({ kind: '429', path: /^\/jobs\/v2$/, retryAfterSec: 7 });
    const e = await caught(techforgeAdapter.submit(talkingJob(), ctx));
    expect(e.kind).toBe('rate_limit');
    expect(e.retryAfterMs).toBe(7000);
    expect(e.message).toMatch(/rate limiting/);
    expect(fake.jobs.size).toBe(0);
  });

  it('429 with an HTTP-date Retry-After is rate_limit with retryAfterMs (also on polls)', async () => {
    const job = await submitted(talkingJob());
    fake.server.inject({ kind: '429-date', path: /^\/jobs\//, retryAfterSec: 30 });
    const e = await caught(techforgeAdapter.poll([job], ctx));
    expect(e.kind).toBe('rate_limit');
    expect(e.retryAfterMs).toBeGreaterThan(25_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('5xx on a poll is transient; 500 on a create is unknown_outcome, 503 is transient', async () => {
    const job = await submitted(talkingJob());
    fake.server.inject({ kind: '502', path: /^\/jobs\// });
    expect((await caught(techforgeAdapter.poll([job], ctx))).kind).toBe('transient');
    fake.server.inject({ kind: '500', path: /^\/jobs\/v2$/ });
    expect((await caught(techforgeAdapter.submit(talkingJob(), ctx))).kind).toBe('unknown_outcome');
    fake.server.inject({ kind: '503', path: /^\/jobs\/v2$/ });
    expect((await caught(techforgeAdapter.submit(talkingJob(), ctx))).kind).toBe('transient');
  });

  it('a malformed create answer is unknown_outcome; a malformed poll answer is transient', async () => {
    fake.server.inject({ kind: 'malformed', path: /^\/jobs\/v2$/ });
    const e = await caught(techforgeAdapter.submit(talkingJob(), ctx));
    expect(e.kind).toBe('unknown_outcome');
    expect(e.code).toBe('malformed_response');
    expect(fake.jobs.size).toBe(1);
    const job = { ...talkingJob(), providerJobId: [...fake.jobs.keys()][0]! };
    fake.server.inject({ kind: 'malformed', path: /^\/jobs\/[0-9a-f-]{36}$/ });
    expect((await caught(techforgeAdapter.poll([job], ctx))).kind).toBe('transient');
  });
});

describe('techforge adapter: error bodies', () => {
  it('reads {message}, {error}, message lists and keeps the real message over a status text', () => {
    expect(readTechforgeError(404, { message: 'Job not found' }, '')).toEqual({ message: 'Job not found' });
    expect(readTechforgeError(400, { error: 'Path query parameter is required' }, '')).toEqual({ message: 'Path query parameter is required' });
    expect(readTechforgeError(400, { message: ['image_url must be a URL', 'project_id must be a UUID'], error: 'Bad Request', statusCode: 400 }, '')).toEqual({
      message: 'image_url must be a URL; project_id must be a UUID',
    });
    expect(readTechforgeError(400, { error: { message: 'bad version', code: 'invalid_version' } }, '')).toEqual({ message: 'bad version', code: 'invalid_version' });
    expect(readTechforgeError(502, undefined, '<html>Bad gateway</html>')).toEqual({ message: 'HTTP 502' });
  });
});

describe('techforge adapter: reconcile', () => {
  it('a reset after the create is unknown_outcome; reconcile cannot prove anything and shows what was sent', async () => {
    fake.server.inject({ kind: 'reset-after', path: /^\/jobs\/v2$/ });
    const job = talkingJob();
    const sentAt = Date.now();
    const e = await caught(techforgeAdapter.submit(job, ctx));
    expect(e.kind).toBe('unknown_outcome');
    expect(fake.jobs.size).toBe(1);
    const r = await techforgeAdapter.reconcile({ ...job, submittedAt: sentAt }, ctx);
    expect(r.outcome).toBe('unknown');
    expect(r.evidence).toContain(new Date(sentAt).toISOString());
    expect(r.evidence).toContain(`project ${PROJECT}`);
    expect(r.evidence).toContain('avatar.png');
    expect(r.evidence).toContain('voice.mp3');
    expect(r.evidence).toMatch(/no way to list jobs/);
    expect(fake.server.requests('POST', '/jobs/v2')).toHaveLength(1);
  });

  it('a reset before any answer on the create is unknown_outcome too', async () => {
    fake.server.inject({ kind: 'reset', path: /^\/jobs\/v2$/ });
    const e = await caught(techforgeAdapter.submit(talkingJob(), ctx));
    expect(e.kind).toBe('unknown_outcome');
  });

  it('finds the job when its id was already recorded', async () => {
    const job = await submitted(talkingJob());
    const r = await techforgeAdapter.reconcile(job, ctx);
    expect(r).toMatchObject({ outcome: 'found', providerJobId: job.providerJobId });
    expect(r.evidence).toMatch(/QUEUED|STARTED|IN_PROGRESS|SUCCESS/);
  });
});

describe('techforge adapter: credentials and pickers', () => {
  it('tests the key with GET /auth/credits and reports the balance', async () => {
    const t = await techforgeAdapter.testCredentials(ctx);
    expect(t).toEqual({ ok: true, message: expect.stringMatching(/1250 credits/), balance: { amount: 1250, unit: 'credits' } });
    expect(fake.server.requests('GET', '/auth/credits')[0]?.headers['x-api-key']).toBe(fake.apiKey);
  });

  it('a refused key is ok: false with a message that names the credential', async () => {
    const bad = await techforgeAdapter.testCredentials(testContext({ baseUrl: fake.url, credentials: { apiKey: 'nope-nope' }, assets }));
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/API key/);
    expect(bad.message).not.toContain('nope-nope');
    const none = await techforgeAdapter.testCredentials(testContext({ baseUrl: fake.url, credentials: {}, assets }));
    expect(none).toEqual({ ok: false, message: expect.stringMatching(/No TechForge API key/) });
  });

  it('lists active projects', async () => {
    const list = await techforgeAdapter.listOptions!('projects', ctx);
    expect(list).toEqual([{ value: PROJECT, label: 'Spring campaign', detail: 'ai_talking_video · 2026-03-01 – 2026-12-31' }]);
    expect(fake.server.requests('GET', '/api/provider/projects/active')).toHaveLength(1);
  });

  it('lists the fields of a project and reports an unknown project', async () => {
    const list = await techforgeAdapter.listOptions!(`fields:${PROJECT}`, ctx);
    expect(list).toEqual([
      { value: 'headline', label: 'Headline', detail: 'text' },
      { value: 'photo', label: 'Presenter photo', detail: 'image' },
      { value: 'voice', label: 'Voice-over', detail: 'audio' },
    ]);
    expect(fake.server.requests('GET', `/api/provider/projects/${PROJECT}/mapping-fields`)).toHaveLength(1);
    const e = await caught(techforgeAdapter.listOptions!('fields:11111111-2222-4333-8444-555555555555', ctx));
    expect(e.kind).toBe('not_found');
    expect(e.message).toMatch(/Project not found/);
    expect((await caught(techforgeAdapter.listOptions!('voices', ctx))).code).toBe('unknown_list');
  });

  it('credits go down by credit_used once a job is done', async () => {
    const job = await submitted(talkingJob());
    await pollUntilDone(techforgeAdapter, job, ctx);
    const t = await techforgeAdapter.testCredentials(ctx);
    expect(t.balance).toEqual({ amount: 1237.5, unit: 'credits' });
  });
});
