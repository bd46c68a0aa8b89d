/**
 * Oshara adapter. Follows the Oshara docs as copied 2025-06: video-rendering "jobs" and "overview" pages
 * (blog.oshara.ai/docs/video-rendering/…), API reference "authentication" and "api-keys" (docs.oshara.ai),
 * summarised in PROVIDERS.md §1 and the seed doc 000 (POST /video-jobs/, /video-only/, /video-jobs/stats/).
 *
 * Sign-in, sessions and the API-key fallback live in oshara-auth.ts. Known gaps, each handled tolerantly:
 * - whether /video-jobs/ accepts `X-API-Key` [UNCONFIRMED]: an API key refused there falls back to the JWT login;
 * - list pagination [UNCONFIRMED]: a plain array and a DRF page `{count,next,previous,results}` are both read;
 * - error body format [UNCONFIRMED]: DRF `{"detail": …}` and field errors `{field: [msgs]}` are both read;
 * - voices endpoint [UNCONFIRMED]: `GET /voices/` is tried; a 404 means "not available" (empty picker);
 * - /video-only/ and /video-jobs/stats/ response shapes [UNCONFIRMED]: read as the job object / loose counts;
 * - whether processed_video_url is re-signed on every GET [UNCONFIRMED]: output() always re-reads the job;
 * - no cancel, no delete, no prices, no published limits.
 */
import { osharaModeOf, osharaParams, osharaSpec } from '../../../shared/providers/oshara';
import type { OsharaMode } from '../../../shared/providers/oshara';
import { FormData, ProviderError, isProviderError } from './http';
import type { HttpRequest, HttpResponse } from './http';
import { byProviderId, claimsIn, defineAdapter, downloadExpiry, drfPage, idStr, isObj, nextQuery, providerIdOf, readPages, str, videoExtension, type Json, type Page, type UrlLifetime } from './kit';
import { call, credentialInUse, credsOf, withContext, explain, missingCredentials } from './oshara-auth';
import type { AdapterContext, AdapterJob, CredentialTest, DownloadSpec, PickerOption, PollResult, ReconcileResult, SubmitResult } from './types';

const JOBS_PATH = '/video-jobs/';
const VIDEO_ONLY_PATH = '/video-only/';
const STATS_PATH = '/video-jobs/stats/';
const ME_PATH = '/auth/me/';
const VOICES_PATH = '/voices/';

/** Pages of the job list read per poll / reconcile: the list is newest first, so old pages rarely matter. */
const MAX_LIST_PAGES = 10;
/** Clock skew allowed between this machine and Oshara when comparing creation times. */
const RECONCILE_WINDOW_MS = 2 * 60_000;
/** processed_video_url is presigned for 1 hour (jobs page: "Valid for 1 hour"; `X-Amz-Expires=3600` in its example). */
const URL_LIFETIME: UrlLifetime = { ttlMs: 3_600_000, source: 'jobs page: "Valid for 1 hour"' };

const K_CLAIMS = 'claims';

function asRecord(v: unknown): Json | undefined {
  return isObj(v) ? v : undefined;
}

/**
 * "Concurrent job limits depend on your plan" (overview) — the refusal's shape is not documented
 * [UNCONFIRMED], so a create refused with words about concurrency is read as the concurrency limit.
 */
function isConcurrencyRefusal(e: ProviderError): boolean {
  return (e.kind === 'rate_limit' || e.kind === 'permanent' || e.kind === 'auth') && /concurren|simultaneous|(active|running|pending|parallel) (video )?(jobs|renders)/i.test(e.message);
}

// ---------------------------------------------------------------------------------------------------------
// Jobs, lists, status

type OsharaJob = Readonly<{
  id: string;
  title: string | undefined;
  status: string;
  textContent: string | undefined;
  videoUrl: string | undefined;
  errorMessage: string | undefined;
  externalJobId: string | undefined;
  createdAt: number | undefined;
}>;

function parseJob(v: unknown): OsharaJob | undefined {
  const r = asRecord(v);
  if (!r) return undefined;
  // /video-only/'s answer is [UNCONFIRMED] ("same polling pattern"): the job itself, or wrapped.
  const j = r.id === undefined ? (asRecord(r.job) ?? asRecord(r.video_job) ?? r) : r;
  const id = idStr(j.id) ?? idStr(j.job_id);
  if (!id) return undefined;
  const created = typeof j.created_at === 'string' ? Date.parse(j.created_at) : NaN;
  return {
    id,
    title: typeof j.title === 'string' ? j.title : undefined,
    status: typeof j.status === 'string' ? j.status : '',
    textContent: typeof j.text_content === 'string' ? j.text_content : undefined,
    videoUrl: str(j.processed_video_url),
    errorMessage: str(j.error_message),
    externalJobId: idStr(j.external_job_id),
    createdAt: Number.isNaN(created) ? undefined : created,
  };
}

function toPollResult(job: OsharaJob, ctx: AdapterContext): PollResult {
  const raw = job.status || '(no status)';
  const base = { rawStatus: raw, ...(job.externalJobId ? { providerState: { externalJobId: job.externalJobId } } : {}) };
  switch (job.status.toLowerCase()) {
    case 'pending':
      return { state: 'queued', ...base };
    case 'processing':
      return { state: 'running', ...base };
    case 'completed':
      if (job.videoUrl) return { state: 'succeeded', progress: 1, ...base };
      ctx.log('warn', `Oshara job ${job.id} says COMPLETED but has no processed_video_url yet; still waiting`);
      return { state: 'running', ...base };
    case 'failed':
      return {
        state: 'failed',
        ...base,
        error: { code: 'oshara_failed', message: `Oshara could not render the video: ${job.errorMessage ?? 'no reason given (error_message is empty)'}` },
      };
    default:
      ctx.log('warn', `Oshara job ${job.id} has an unknown status "${raw}"; treating it as still rendering`);
      return { state: 'running', ...base };
  }
}

type Listing = { items: OsharaJob[]; complete: boolean; pages: number; raw: number };

/**
 * Reads the newest-first job list. Its shape is [UNCONFIRMED]: a plain array (all jobs) or a DRF page
 * `{count, next, previous, results}`; `next` is followed while `more(items)` says so, at most `maxPages`.
 * Returns undefined when the answer is neither shape.
 */
async function listJobs(ctx: AdapterContext, more: (items: readonly OsharaJob[]) => boolean, maxPages = MAX_LIST_PAGES): Promise<Listing | undefined> {
  let raw = 0;
  const pages = await readPages<OsharaJob>(
    async (next) => {
      const page = await listPage(ctx, JOBS_PATH, next);
      if (!page) {
        ctx.log('warn', 'Oshara answered the job list with an unknown shape (neither a list nor a page with results)');
        return undefined;
      }
      raw += page.items.length;
      return { items: page.items.map(parseJob).filter((j): j is OsharaJob => j !== undefined), next: page.next };
    },
    { maxPages, more },
  );
  return pages && { ...pages, raw };
}

/** One page of a DRF list; a `next` link's query is sent to our own list path (kit: nextQuery). */
async function listPage(ctx: AdapterContext, path: string, next: string | undefined): Promise<Page<unknown> | undefined> {
  const query = next ? nextQuery(next, ctx.baseUrl) : undefined;
  return drfPage((await call<unknown>(ctx, { method: 'GET', path, ...(query ? { query } : {}) })).data);
}

async function retrieve(ctx: AdapterContext, id: string): Promise<OsharaJob> {
  const { data } = await call<unknown>(ctx, { method: 'GET', path: `${JOBS_PATH}${encodeURIComponent(id)}/` });
  const job = parseJob(data);
  if (!job) throw new ProviderError('transient', `Oshara answered job ${id} without a readable job object`, { code: 'malformed_response' });
  return job;
}


/** Which Oshara job ids already belong to which local job, so reconcile never binds one twice. */
const claims = (ctx: AdapterContext) => claimsIn(ctx.state, K_CLAIMS);

// ---------------------------------------------------------------------------------------------------------
// Submit

function assetIdOf(field: 'avatar' | 'audio', ref: AdapterJob['input']['avatar']): string {
  if (!ref) throw new ProviderError('permanent', `Oshara needs ${field === 'avatar' ? 'a portrait image (avatar)' : 'an audio file'}`, { code: `missing_${field}` });
  if ('url' in ref) {
    throw new ProviderError('permanent', `Oshara takes uploaded files only: choose a local file for ${field} instead of the link`, { code: 'url_input_unsupported' });
  }
  return ref.asset;
}

async function filePart(ctx: AdapterContext, form: FormData, field: string, assetId: string): Promise<void> {
  const info = ctx.assets.info(assetId);
  form.append(field, await ctx.assets.blob(assetId), info.name);
}

async function buildCreate(job: AdapterJob, ctx: AdapterContext, mode: OsharaMode): Promise<HttpRequest> {
  const input = job.input;
  const parsed = osharaParams.safeParse(input.params);
  if (!parsed.success) {
    throw new ProviderError('permanent', `Oshara parameters are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`, { code: 'invalid_params' });
  }
  const p = parsed.data;
  const form = new FormData();
  form.append('title', input.title);
  const avatar = assetIdOf('avatar', input.avatar);
  if (mode === 'video_only') {
    const audio = assetIdOf('audio', input.audio);
    await filePart(ctx, form, 'avatar', avatar);
    await filePart(ctx, form, 'audio', audio);
    return { method: 'POST', path: VIDEO_ONLY_PATH, form, idempotent: false };
  }
  form.append('text_content', input.script ?? '');
  await filePart(ctx, form, 'avatar', avatar);
  if (input.audio && p.reference_voice !== undefined) {
    throw new ProviderError('permanent', 'Oshara takes one voice: give a voice sample as audio or a saved voice id (reference_voice), not both', { code: 'two_voices' });
  }
  if (input.audio) await filePart(ctx, form, 'reference_audio', assetIdOf('audio', input.audio));
  else if (p.reference_voice !== undefined) form.append('reference_voice', String(p.reference_voice));
  else throw new ProviderError('permanent', 'Oshara needs a voice for the script: a voice sample (WAV or MP3, 10–30 s) as audio, or a saved voice id in reference_voice', { code: 'no_voice' });
  // Documented as a JSON *string* passed unchanged to the renderer (jobs page); its schema is undocumented.
  if (p.processing_params !== undefined) form.append('processing_params', JSON.stringify(p.processing_params));
  return { method: 'POST', path: JOBS_PATH, form, idempotent: false };
}

async function submit(job: AdapterJob, ctx: AdapterContext): Promise<SubmitResult> {
  const c = credsOf(ctx);
  const mode = osharaModeOf(job.input);
  const req = await buildCreate(job, ctx, mode);
  let data: unknown;
  let res: HttpResponse;
  try {
    ({ data, res } = await call<unknown>(ctx, req));
  } catch (e) {
    if (!isProviderError(e)) throw e;
    if (e.kind === 'unknown_outcome') {
      throw withContext(e, 'The job may have reached Oshara without an answer; Talkbatch will look for it in your Oshara job list before sending it again');
    }
    if (isConcurrencyRefusal(e)) throw withContext(e, 'Oshara refused the job: the concurrent job limit of your plan is reached', 'concurrency_limit');
    if (e.kind === 'permanent' || e.kind === 'not_found') throw withContext(e, 'Oshara rejected the job', 'permanent');
    throw explain(e, 'Sending the job to Oshara', c);
  }
  const created = parseJob(data);
  if (!created) {
    // A 2xx without a readable id: the job most likely exists, so never resubmit blindly.
    throw new ProviderError('unknown_outcome', 'Oshara accepted the job but its answer has no job id; Talkbatch will look for it in your Oshara job list', {
      code: 'missing_job_id',
      status: res.status,
      ...(res.requestId ? { requestId: res.requestId } : {}),
    });
  }
  claims(ctx).claim(created.id, job.id);
  const initial = created.status ? toPollResult(created, ctx) : undefined;
  return {
    providerJobId: created.id,
    providerState: { mode },
    ...(res.requestId ? { requestId: res.requestId } : {}),
    ...(initial ? { initial } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Poll

async function poll(jobs: readonly AdapterJob[], ctx: AdapterContext): Promise<ReadonlyMap<string, PollResult>> {
  const c = credsOf(ctx);
  const out = new Map<string, PollResult>();
  const wanted = byProviderId(jobs, 'Oshara', out);
  const found = new Map<string, OsharaJob>();
  try {
    if (wanted.size >= 2) {
      // One list request answers many jobs (newest first); jobs it misses are fetched one by one below.
      const times = [...wanted.values()].flat().map((j) => j.submittedAt);
      const oldest = times.every((t): t is number => t !== null) ? Math.min(...times) - RECONCILE_WINDOW_MS : undefined;
      const listing = await listJobs(ctx, (items) => {
        if ([...wanted.keys()].every((id) => items.some((i) => i.id === id))) return false;
        const last = items.at(-1)?.createdAt;
        return oldest === undefined || last === undefined || last >= oldest;
      }).catch((e: unknown) => {
        if (isProviderError(e) && (e.kind === 'not_found' || (e.kind === 'permanent' && e.status === 405))) {
          ctx.log('warn', 'Oshara job list is not available; polling jobs one by one');
          return undefined;
        }
        throw e;
      });
      for (const item of listing?.items ?? []) {
        // A list serializer may leave the URL out: a COMPLETED row without it is re-read on its own.
        if (wanted.has(item.id) && !(item.status.toLowerCase() === 'completed' && !item.videoUrl)) found.set(item.id, item);
      }
    }
    for (const id of wanted.keys()) {
      if (found.has(id)) continue;
      try {
        found.set(id, await retrieve(ctx, id));
      } catch (e) {
        if (!isProviderError(e) || e.kind !== 'not_found') throw e;
        for (const j of wanted.get(id) ?? []) {
          out.set(j.id, { state: 'not_found', rawStatus: `HTTP ${e.status ?? 404}`, error: { code: 'not_found', message: `Oshara has no job ${id}: ${e.message}` } });
        }
      }
    }
  } catch (e) {
    throw explain(e, 'Checking Oshara jobs', c);
  }
  for (const [id, job] of found) for (const j of wanted.get(id) ?? []) out.set(j.id, toPollResult(job, ctx));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Output

/** The presigned URL's lifetime: what the URL says (X-Amz-Date + X-Amz-Expires), else 1 hour from now less a margin. */
export function presignedExpiry(url: string, now: number): number {
  return downloadExpiry(url, now, URL_LIFETIME)!;
}

async function output(job: AdapterJob, ctx: AdapterContext): Promise<DownloadSpec> {
  const c = credsOf(ctx);
  const id = providerIdOf(job, 'Oshara');
  let j: OsharaJob;
  try {
    // Always re-read: processed_video_url is a 1-hour presigned link ("re-fetch the job to get a fresh URL").
    j = await retrieve(ctx, id);
  } catch (e) {
    if (isProviderError(e) && e.kind === 'not_found') throw withContext(e, `Oshara no longer has job ${id}`);
    throw explain(e, `Fetching the video link of Oshara job ${id}`, c);
  }
  if (!j.videoUrl) {
    if (j.status.toLowerCase() === 'failed') {
      throw new ProviderError('permanent', `Oshara job ${id} failed: ${j.errorMessage ?? 'no reason given'}`, { code: 'oshara_failed' });
    }
    throw new ProviderError('transient', `Oshara job ${id} has no video link yet (status ${j.status || 'unknown'})`, { code: 'no_output_url' });
  }
  return { url: j.videoUrl, expiresAt: presignedExpiry(j.videoUrl, ctx.now()), extension: videoExtension(j.videoUrl) };
}

// ---------------------------------------------------------------------------------------------------------
// Reconcile

const normalize = (s: string | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();

async function reconcile(job: AdapterJob, ctx: AdapterContext): Promise<ReconcileResult> {
  if (job.providerJobId) return { outcome: 'found', providerJobId: job.providerJobId, evidence: `The Oshara job id ${job.providerJobId} was already recorded` };
  if (job.submittedAt === null) {
    return { outcome: 'unknown', evidence: 'No send time was recorded for this job, so its Oshara job cannot be told apart from older ones with the same title' };
  }
  const c = credsOf(ctx);
  const mode = osharaModeOf(job.input);
  const since = job.submittedAt - RECONCILE_WINDOW_MS;
  const title = normalize(job.input.title);
  const script = normalize(job.input.script);
  let listing: Listing | undefined;
  try {
    listing = await listJobs(ctx, (items) => {
      const last = items.at(-1)?.createdAt;
      return last === undefined || last >= since;
    });
  } catch (e) {
    throw explain(e, 'Looking for the job in the Oshara job list', c);
  }
  if (!listing) return { outcome: 'unknown', evidence: 'The Oshara job list answered in an unknown shape, so nothing could be checked' };

  const sameTitle = listing.items.filter((i) => normalize(i.title) === title);
  // Video-only jobs carry no script; whether Oshara stores anything in text_content for them is [UNCONFIRMED],
  // so a same-title job with text only blocks "absent" (weak) and never counts as found.
  const strong: OsharaJob[] = [];
  const weak: OsharaJob[] = [];
  for (const i of sameTitle) {
    if (i.createdAt !== undefined && i.createdAt < since) continue;
    const textOk = mode === 'tts' ? normalize(i.textContent) === script : normalize(i.textContent) === '';
    if (mode === 'tts' && !textOk) continue;
    (textOk && i.createdAt !== undefined ? strong : weak).push(i);
  }
  const free = claims(ctx).freeFor(job.id);
  const mine = (i: OsharaJob): boolean => free(i.id);
  const strongFree = strong.filter(mine);
  const weakFree = weak.filter(mine);
  const claimedNote = strong.length + weak.length > strongFree.length + weakFree.length ? ` (${strong.length + weak.length - strongFree.length - weakFree.length} matching job(s) already belong to other Talkbatch jobs)` : '';
  const oldestSeen = listing.items.reduce<number | undefined>((m, i) => (i.createdAt !== undefined && (m === undefined || i.createdAt < m) ? i.createdAt : m), undefined);
  const reachedBack = listing.complete || (oldestSeen !== undefined && oldestSeen < since);
  const what = mode === 'tts' ? 'the same title and script' : 'the same title and no script (video from audio)';
  const sinceWords = new Date(since).toISOString();
  const scanned = `${listing.raw} job(s) on ${listing.pages} page(s)${oldestSeen !== undefined ? `, back to ${new Date(oldestSeen).toISOString()}` : ''}`;

  if (strongFree.length === 1 && weakFree.length === 0) {
    const m = strongFree[0]!;
    claims(ctx).claim(m.id, job.id);
    const after = Math.round(((m.createdAt ?? 0) - job.submittedAt) / 1000);
    return {
      outcome: 'found',
      providerJobId: m.id,
      providerState: { mode },
      evidence: `Oshara job ${m.id} has ${what} and was created ${new Date(m.createdAt ?? 0).toISOString()} (${after} s after the request was sent); no other job matches${claimedNote}`,
    };
  }
  if (strongFree.length === 0 && weakFree.length === 0) {
    if (reachedBack) {
      return { outcome: 'absent', evidence: `Checked ${scanned}: no Oshara job with ${what} was created since ${sinceWords}${claimedNote}` };
    }
    return {
      outcome: 'unknown',
      evidence: `Checked ${scanned} without reaching back to ${sinceWords}; no job with ${what} was seen, but older pages were not read${claimedNote}`,
    };
  }
  const ids = [...strongFree, ...weakFree].map((i) => i.id).join(', ');
  return {
    outcome: 'unknown',
    evidence:
      strongFree.length > 1
        ? `${strongFree.length} Oshara jobs have ${what} and were created since ${sinceWords} (ids ${ids}); which one is this job's cannot be told${claimedNote}`
        : `Oshara job(s) ${ids} have the same title since ${sinceWords} but cannot be matched for sure (different text or no creation time)${claimedNote}`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Credentials, pickers

async function testCredentials(ctx: AdapterContext): Promise<CredentialTest> {
  const c = credsOf(ctx);
  const missing = missingCredentials(c);
  if (missing) return { ok: false, message: missing };
  try {
    const { data: me } = await call<unknown>(ctx, { method: 'GET', path: ME_PATH });
    const user = asRecord(me);
    const who = str(user?.email) ?? str(user?.username) ?? 'your account';
    // Stats is a video-jobs endpoint, so it also proves the credential works where jobs are created.
    let jobs = '';
    try {
      const { data } = await call<unknown>(ctx, { method: 'GET', path: STATS_PATH });
      const s = asRecord(data);
      const n = (k: string): string => (typeof s?.[k] === 'number' ? String(s[k]) : '?');
      if (s) jobs = ` Jobs so far: ${n('total')} (${n('completed')} completed, ${n('failed')} failed, ${n('pending')} pending).`;
    } catch (e) {
      if (!isProviderError(e) || e.kind !== 'not_found') throw e;
      ctx.log('info', 'Oshara job statistics are not available (GET /video-jobs/stats/ answered 404)');
    }
    return { ok: true, message: `Connected to Oshara as ${who} (${credentialInUse(c)}).${jobs}` };
  } catch (e) {
    if (!isProviderError(e)) throw e;
    const err = explain(e, 'Testing the Oshara credentials', c);
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

async function listOptions(list: string, ctx: AdapterContext): Promise<readonly PickerOption[]> {
  if (list !== 'voices') throw new ProviderError('permanent', `Oshara has no "${list}" list; only "voices"`, { code: 'unknown_list' });
  const c = credsOf(ctx);
  let voices: readonly unknown[];
  try {
    // The voices endpoint is [UNCONFIRMED] (PROVIDERS.md §1.2: "Endpoint not found"); GET /voices/ is a guess.
    voices = (await readPages(async (next) => (await listPage(ctx, VOICES_PATH, next)) ?? { items: [] }, { maxPages: MAX_LIST_PAGES }))?.items ?? [];
  } catch (e) {
    if (isProviderError(e) && e.kind === 'not_found') {
      ctx.log('warn', 'Oshara saved voices are not available: GET /voices/ answered 404 (the endpoint is undocumented); enter a voice id by hand');
      return [];
    }
    throw explain(e, 'Listing Oshara saved voices', c);
  }
  return voices.flatMap((v) => {
    const r = asRecord(v);
    const id = idStr(r?.id);
    if (!r || !id) return [];
    const detail = [str(r.language), str(r.description), typeof r.created_at === 'string' ? `saved ${r.created_at.slice(0, 10)}` : undefined].filter(Boolean).join(' · ');
    return [{ value: id, label: str(r.name) ?? str(r.title) ?? `Voice ${id}`, ...(detail ? { detail } : {}) }];
  });
}

export const osharaAdapter = defineAdapter(osharaSpec, { submit, poll, output, reconcile, testCredentials, listOptions });
