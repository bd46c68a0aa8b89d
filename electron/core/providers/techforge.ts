/**
 * TechForge Innovate (TFI) adapter.
 *
 * Follows the TFI Mintlify docs as summarised in PROVIDERS.md §2 (overview, api/jobs-v2, api/jobs-get,
 * api/generate-signed-path, api/auth-credits, api/provider-projects-active,
 * api/provider-project-mapping-fields, getting-started/authentication) and the jobs-v2 seed page.
 *
 * Known gaps:
 * - No upload endpoint: local files go through the user's S3-compatible asset host (`ctx.assets.publicUrl`).
 * - No list endpoint and no idempotency key: a create whose answer was lost cannot be reconciled, only
 *   described to the user (`reconcile` → unknown).
 * - No cancel: the internal `PUT /jobs/:id` overwrites status and deducts credits; it is never called.
 * - No progress, ETA or failure-reason field is documented; failures are read from a few likely fields.
 * - No price list (credits only, known after the job: `credit_used`), no rate-limit numbers, no webhooks.
 */
import type { Money } from '../../../shared/model';
import { techforgeIsTemplate, techforgeParams, techforgeSpec, type TechforgeParams } from '../../../shared/providers/techforge';
import { defaultReadError, isProviderError, ProviderError, type HttpClient } from './http';
import { checkedParams, credential, defineAdapter, downloadExpiry, givenExpiry, isObj, noProviderId, num, reword, str, videoExtension, type Json as Obj, type UrlLifetime } from './kit';
import type { AdapterContext, AdapterJob, CredentialTest, DownloadSpec, PickerOption, PollResult, PollState, ReconcileResult, SubmitResult } from './types';

const STUDIO_URL = 'https://app.techforgeinnovate.com';

/** api/generate-signed-path: the link is "short-lived" and no expiry is returned [CONFLICT with the overview's expiresAt]. */
const URL_LIFETIME: UrlLifetime = { ttlMs: 5 * 60_000, source: 'assumed: the docs only say "short-lived"' };

/**
 * TFI error bodies are "loosely shaped: {message} or {error}" (PROVIDERS.md §2.4). Both are read, plus the
 * NestJS-like variants ({message: [...]}, {error: {message}}) that the default reader knows.
 */
export function readTechforgeError(status: number, body: unknown, text: string): { code?: string; message?: string } {
  if (isObj(body)) {
    const msg = body.message;
    const errField = body.error;
    const parts: string[] = [];
    if (typeof msg === 'string' && msg) parts.push(msg);
    if (Array.isArray(msg)) parts.push(msg.map(String).join('; '));
    if (typeof errField === 'string' && errField && !parts.includes(errField) && !(parts.length > 0 && /^[A-Z][a-z]+( [A-Z][a-z]+)*$/.test(errField))) {
      // {error: "Bad Request"} beside a real message is only the status text; keep it only when it is the message.
      parts.push(errField);
    }
    if (isObj(errField) && typeof errField.message === 'string') parts.push(errField.message);
    if (Array.isArray(body.errors)) parts.push(body.errors.map((e) => (isObj(e) ? [e.field ?? e.path, e.message ?? e.msg].filter(Boolean).join(': ') : String(e))).join('; '));
    const code = str(body.code) ?? str(body.errorCode) ?? (isObj(errField) ? str(errField.code) : undefined);
    if (parts.length) return { message: parts.join(' — '), ...(code ? { code } : {}) };
  }
  return defaultReadError(status, body, text);
}

function client(ctx: AdapterContext): HttpClient {
  const key = credential(
    ctx.credentials,
    'apiKey',
    'No TechForge API key is set. Add it under Settings → Providers → TechForge (create one in TFI Studio → API access).',
    'missing_api_key',
  );
  return ctx.http.with({ headers: () => ({ 'x-api-key': key }), readError: readTechforgeError });
}

/** A ProviderError in words a creator understands (kind, code and Retry-After kept); anything else unchanged. */
function explain(e: ProviderError, what: string): ProviderError;
function explain(e: unknown, what: string): unknown;
function explain(e: unknown, what: string): unknown {
  if (!isProviderError(e)) return e;
  const detail = e.status ? `${e.message} (HTTP ${e.status})` : e.message;
  let message: string;
  switch (e.kind) {
    case 'auth':
      message = `TechForge refused the API key (${what}): ${detail}. Check the TechForge API key in Settings → Providers.`;
      break;
    case 'rate_limit':
      // PROVIDERS.md §2.4: no published limits; on 429 lower concurrency and back off.
      message = `TechForge is rate limiting requests (${what}): ${detail}. Talkbatch waits and retries; lower TechForge concurrency if this keeps happening.`;
      break;
    case 'permanent':
      message = `TechForge rejected ${what}: ${e.message} (${e.code})`;
      break;
    case 'not_found':
      message = `TechForge could not find ${what}: ${detail}`;
      break;
    default:
      message = `TechForge (${what}): ${detail}`;
  }
  return reword(e, message);
}

async function inputUrl(ref: NonNullable<AdapterJob['input']['avatar']>, field: 'avatar' | 'audio', ctx: AdapterContext): Promise<string> {
  // TFI only fetches public URLs (no upload endpoint): local files are published on the user's asset host.
  // publicUrl throws a clear permanent error when no host is configured; that is the message to show.
  if ('asset' in ref) return await ctx.assets.publicUrl(ref.asset);
  if (!/^https?:\/\//i.test(ref.url)) {
    throw new ProviderError('permanent', `The ${field} "${ref.url}" is not an http(s) URL; TechForge can only fetch public http(s) URLs.`, { code: 'invalid_input_url' });
  }
  return ref.url;
}

/** Fields the studio example sends for a direct talking video; sent only when the row sets them. */
const TUNING_KEYS = ['is_clone_required', 'output_size', 'crop', 'dynamic_scale', 'iteration_count', 'expand_ratio'] as const;

function tuning(p: TechforgeParams): Obj {
  const out: Obj = {};
  for (const k of TUNING_KEYS) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

function talkingVideoBody(p: TechforgeParams, image: string | undefined, audio: string | undefined): Obj {
  if (!image || !audio) throw new ProviderError('permanent', 'A TechForge talking video needs both an image and an audio file.', { code: 'missing_input' });
  if (!p.project_id) throw new ProviderError('permanent', 'A TechForge talking video needs a project (param project_id).', { code: 'missing_project' });
  return {
    image_url: image,
    audio_url: audio,
    job_type: p.job_type,
    project_id: p.project_id,
    language: p.language,
    version: p.version ?? 6,
    ...tuning(p),
    values: Array.isArray(p.values) ? p.values : [],
  };
}

function templateBody(p: TechforgeParams, raw: Readonly<Obj>, image: string | undefined, audio: string | undefined, script: string | undefined): Obj {
  const values: Obj = isObj(p.values) ? { ...p.values } : {};
  // Merge into an asset object the row already describes (e.g. {effects:[…]} on the voice field).
  const put = (key: string | undefined, value: Obj | string | undefined): void => {
    if (!key || value === undefined) return;
    const prev = values[key];
    values[key] = typeof value === 'string' || !isObj(prev) ? value : { ...prev, ...value };
  };
  put(p.avatar_field, image ? { image_url: image } : undefined);
  put(p.audio_field, audio ? { audio_url: audio } : undefined);
  put(p.script_field, script);
  if (!p.template_id && !p.project_id) throw new ProviderError('permanent', 'A TechForge template job needs a template_id or a project_id.', { code: 'missing_template' });
  return {
    job_type: p.job_type,
    ...(p.template_id ? { template_id: p.template_id } : {}),
    ...(p.project_id ? { project_id: p.project_id } : {}),
    // The studio sends version 2 for template jobs (PROVIDERS.md §2.2, template shape).
    version: p.version ?? 2,
    ...(p.session_id ? { session_id: p.session_id } : {}),
    // "The worker reads whatever fields its job_type needs": renderer settings the row sets explicitly go along.
    ...(raw.language !== undefined ? { language: p.language } : {}),
    ...tuning(p),
    values,
  };
}

/** [CONFLICT] create answers: overview `{jobId, status}`, reference `{message, job:{uuid, job_status}}`, or a bare row. */
function createdId(data: unknown): string | undefined {
  if (!isObj(data)) return undefined;
  return str(data.jobId) ?? (isObj(data.job) ? str(data.job.uuid) : undefined) ?? str(data.uuid);
}

function statusWordOf(data: Obj): string | undefined {
  return str(data.job_status) ?? str(data.status) ?? (isObj(data.job) ? (str(data.job.job_status) ?? str(data.job.status)) : undefined);
}

/** GET /jobs/:id uses QUEUED/STARTED/IN_PROGRESS/FAILED/SUCCESS; the overview page uses queued/processing/done/failed. */
const STATUS: Readonly<Record<string, PollState>> = {
  queued: 'queued',
  started: 'running',
  in_progress: 'running',
  processing: 'running',
  success: 'succeeded',
  done: 'succeeded',
  failed: 'failed',
};

function mapWord(word: string): PollState | undefined {
  return STATUS[word.trim().toLowerCase().replace(/[\s-]+/g, '_')];
}

/**
 * The output storage key, from `output: {output: "<key>"}`. The row is a raw database row, so a JSON string
 * or a bare key string are accepted too [UNCONFIRMED shapes].
 */
function outputKeyOf(row: Obj): string | undefined {
  let out: unknown = row.output;
  if (typeof out === 'string' && out.trim().startsWith('{')) {
    try {
      out = JSON.parse(out) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof out === 'string') return str(out.trim());
  return isObj(out) ? str(out.output) : undefined;
}

/** No failure field is documented; these are the places a reason is likely to be [UNCONFIRMED]. */
function failureReason(row: Obj): string {
  const out = isObj(row.output) ? row.output : {};
  const reason = str(out.error) ?? str(out.message) ?? str(out.reason) ?? str(row.error) ?? str(row.error_message) ?? str(row.failure_reason) ?? (isObj(row.error) ? str(row.error.message) : undefined);
  return reason ?? 'TechForge reports the job failed and gives no reason';
}

/** `credit_used` is a string such as "12.5" on the job row. */
function creditsOf(v: unknown): Money | undefined {
  const n = num(v);
  return n !== undefined ? { amount: n, unit: 'credits' } : undefined;
}

function mapRow(row: Obj, providerJobId: string, ctx: AdapterContext, requestId: string | undefined): PollResult {
  const raw = str(row.job_status) ?? str(row.status) ?? '';
  const costUsed = creditsOf(row.credit_used);
  const base = { rawStatus: raw || '(none)', ...(costUsed ? { costUsed } : {}), ...(requestId ? { requestId } : {}) };
  const state = mapWord(raw);
  switch (state) {
    case 'succeeded': {
      const outputKey = outputKeyOf(row);
      if (!outputKey) {
        // A success without an output file is not a success: keep polling and leave a trace.
        ctx.log('warn', `TechForge job ${providerJobId} is ${raw} but has no output file yet; still waiting`, { providerJobId, status: raw });
        return { state: 'running', ...base };
      }
      return { state: 'succeeded', progress: 1, ...base, providerState: { outputKey } };
    }
    case 'failed':
      return { state: 'failed', ...base, error: { code: `tfi_${raw.toLowerCase()}`, message: `TechForge could not render the video: ${failureReason(row)}` } };
    case 'queued':
    case 'running':
      return { state, ...base };
    default:
      ctx.log('warn', `TechForge job ${providerJobId} has an unknown status "${raw}"; treating it as still rendering`, { providerJobId, status: raw });
      return { state: 'running', ...base };
  }
}

function notFound(providerJobId: string, said: string): PollResult {
  return {
    state: 'not_found',
    rawStatus: 'not_found',
    error: { code: 'job_not_found', message: `TechForge says "${said}" for job ${providerJobId}: it does not exist or belongs to another account (was the API key changed?)` },
  };
}

async function fetchRow(http: HttpClient, providerJobId: string): Promise<{ row: Obj | undefined; said: string; requestId: string | undefined }> {
  const { data, res } = await http.json<unknown>({ method: 'GET', path: `/jobs/${encodeURIComponent(providerJobId)}` });
  // A missing or foreign job answers HTTP 200 {"message": "Job not found"}: detect it by the missing uuid.
  if (isObj(data) && (str(data.uuid) !== undefined || str(data.job_status) !== undefined)) return { row: data, said: '', requestId: res.requestId };
  const said = isObj(data) ? (str(data.message) ?? str(data.error) ?? 'no job in the answer') : 'no job in the answer';
  return { row: undefined, said, requestId: res.requestId };
}

async function pollOne(job: AdapterJob, http: HttpClient, ctx: AdapterContext): Promise<PollResult> {
  const id = job.providerJobId;
  if (!id) return noProviderId('TechForge');
  try {
    const { row, said, requestId } = await fetchRow(http, id);
    if (!row) return notFound(id, said);
    return mapRow(row, id, ctx, requestId);
  } catch (e) {
    if (isProviderError(e) && e.kind === 'not_found') return notFound(id, e.message);
    throw e;
  }
}

/** Expiry of a signed URL: `expiresAt` when the answer has one [CONFLICT], else what the URL says, else short. */
function expiryOf(body: Obj, url: string, now: number): number | undefined {
  return givenExpiry(body.expiresAt ?? body.expires_at) ?? downloadExpiry(url, now, URL_LIFETIME);
}

function describeInput(ref: AdapterJob['input']['avatar'], ctx: AdapterContext): string {
  if (!ref) return 'none';
  if ('url' in ref) return ref.url;
  try {
    return `${ctx.assets.info(ref.asset).name} (local file)`;
  } catch {
    return `local file ${ref.asset.slice(0, 12)}`;
  }
}

async function submit(job: AdapterJob, ctx: AdapterContext): Promise<SubmitResult> {
  const p: TechforgeParams = checkedParams(techforgeParams, job.input.params, 'TechForge job settings are not valid');
  const http = client(ctx);
  const template = techforgeIsTemplate(job.input.params);
  // A template job only uses the row files its field mapping names; nothing else is published.
  const image = job.input.avatar && (!template || p.avatar_field) ? await inputUrl(job.input.avatar, 'avatar', ctx) : undefined;
  const audio = job.input.audio && (!template || p.audio_field) ? await inputUrl(job.input.audio, 'audio', ctx) : undefined;
  const body = template ? templateBody(p, job.input.params, image, audio, job.input.script) : talkingVideoBody(p, image, audio);
  const sentAt = ctx.now();
  let answer: Awaited<ReturnType<HttpClient['json']>>;
  try {
    answer = await http.json<unknown>({ method: 'POST', path: '/jobs/v2', json: body, idempotent: false });
  } catch (e) {
    throw explain(e, 'the job');
  }
  const { data, res } = answer;
  const providerJobId = createdId(data);
  if (!providerJobId) {
    const said = isObj(data) ? (str(data.message) ?? str(data.error)) : undefined;
    throw new ProviderError(
      'unknown_outcome',
      `TechForge answered HTTP ${res.status}${said ? ` ("${said}")` : ''} without a job id; the job may have been created`,
      { code: 'no_job_id', status: res.status, ...(res.requestId ? { requestId: res.requestId } : {}) },
    );
  }
  const word = isObj(data) ? statusWordOf(data) : undefined;
  const state = word ? mapWord(word) : undefined;
  // Only a queued/running word is trusted from the create answer; anything else is learnt by polling.
  const initial: PollResult | undefined = state === 'queued' || state === 'running' ? { state, rawStatus: word ?? '' } : undefined;
  return {
    providerJobId,
    providerState: { mode: template ? 'template' : 'talking_video', sentAt },
    ...(res.requestId ? { requestId: res.requestId } : {}),
    ...(initial ? { initial } : {}),
  };
}

async function poll(jobs: readonly AdapterJob[], ctx: AdapterContext): Promise<ReadonlyMap<string, PollResult>> {
  const http = client(ctx);
  const out = new Map<string, PollResult>();
  let firstError: unknown;
  // No list endpoint: one GET /jobs/:id per job.
  for (const job of jobs) {
    try {
      out.set(job.id, await pollOne(job, http, ctx));
    } catch (e) {
      if (isProviderError(e) && (e.kind === 'auth' || e.kind === 'rate_limit')) throw explain(e, 'checking job status');
      firstError ??= e;
      ctx.log('warn', `TechForge status check for job ${job.providerJobId ?? job.id} failed; will try again`, { error: (e as Error).message });
    }
  }
  if (out.size === 0 && firstError !== undefined) throw explain(firstError, 'checking job status');
  return out;
}

async function output(job: AdapterJob, ctx: AdapterContext): Promise<DownloadSpec> {
  const http = client(ctx);
  let key = str(job.providerState.outputKey);
  if (!key) {
    if (!job.providerJobId) throw new ProviderError('not_found', 'No TechForge job id was recorded, so its video cannot be found', { code: 'no_provider_job_id' });
    let fetched: Awaited<ReturnType<typeof fetchRow>>;
    try {
      fetched = await fetchRow(http, job.providerJobId);
    } catch (e) {
      throw explain(e, `job ${job.providerJobId}`);
    }
    if (!fetched.row) throw new ProviderError('not_found', notFound(job.providerJobId, fetched.said).error!.message, { code: 'job_not_found' });
    key = outputKeyOf(fetched.row);
    if (!key) throw new ProviderError('not_found', `TechForge job ${job.providerJobId} has no output file (status ${str(fetched.row.job_status) ?? 'unknown'})`, { code: 'no_output' });
  }
  if (/^https?:\/\//i.test(key)) {
    // [UNCONFIRMED] the docs show a storage key; if a full URL ever appears it is used as given.
    ctx.log('info', 'TechForge output is already a URL; downloading it without signing', { providerJobId: job.providerJobId });
    return { url: key, extension: videoExtension(key), expiresAt: expiryOf({}, key, ctx.now()) };
  }
  // The storage key is exchanged right before each download: the signed URL is short-lived and the
  // reference says no expiry is returned [CONFLICT with the overview's expiresAt].
  let data: unknown;
  try {
    ({ data } = await http.json<unknown>({ method: 'GET', path: '/storage/generate-signed-path', query: { path: key } }));
  } catch (e) {
    throw explain(e, `the video file ${key}`);
  }
  const body = isObj(data) ? data : {};
  const url = str(body.signedUrl) ?? str(body.signed_url) ?? str(body.url);
  if (!url) {
    const said = str(body.error) ?? str(body.message);
    if (said && /not\s*found/i.test(said)) throw new ProviderError('not_found', `TechForge could not find the video file ${key}: ${said}`, { code: 'output_not_found' });
    throw new ProviderError('transient', `TechForge gave no download link for ${key}${said ? `: ${said}` : ''}`, { code: 'no_signed_url' });
  }
  return { url, expiresAt: expiryOf(body, url, ctx.now()), extension: videoExtension(key) };
}

async function reconcile(job: AdapterJob, ctx: AdapterContext): Promise<ReconcileResult> {
  if (job.providerJobId) {
    try {
      const { row, said } = await fetchRow(client(ctx), job.providerJobId);
      if (row) return { outcome: 'found', providerJobId: job.providerJobId, evidence: `TechForge knows job ${job.providerJobId} (status ${str(row.job_status) ?? str(row.status) ?? 'unknown'})` };
      return { outcome: 'unknown', evidence: `A TechForge job id (${job.providerJobId}) was recorded, but TechForge now says "${said}" for it.` };
    } catch (e) {
      return { outcome: 'found', providerJobId: job.providerJobId, evidence: `TechForge job id ${job.providerJobId} was recorded when the job was sent (could not check it now: ${(e as Error).message})` };
    }
  }
  const p = job.input.params;
  const when = job.submittedAt !== null ? new Date(job.submittedAt).toISOString() : 'at an unknown time';
  const mode = techforgeIsTemplate(p) ? 'template job' : 'talking video';
  const parts = [
    `${mode} (${String(p.job_type ?? 'ai_talking_video')})`,
    p.project_id !== undefined ? `project ${String(p.project_id)}` : undefined,
    p.template_id !== undefined ? `template ${String(p.template_id)}` : undefined,
    job.input.avatar ? `image ${describeInput(job.input.avatar, ctx)}` : undefined,
    job.input.audio ? `audio ${describeInput(job.input.audio, ctx)}` : undefined,
  ].filter(Boolean);
  return {
    outcome: 'unknown',
    evidence:
      `TechForge has no way to list jobs, so it cannot be checked whether the request sent ${when} created a job. ` +
      `Sent: ${parts.join(', ')} ("${job.input.title}"). Look in TFI Studio (${STUDIO_URL}) for a job created around that time before sending it again.`,
  };
}

async function testCredentials(ctx: AdapterContext): Promise<CredentialTest> {
  try {
    const { data } = await client(ctx).json<unknown>({ method: 'GET', path: '/auth/credits' });
    const balance = isObj(data) ? creditsOf(data.credits) : undefined;
    return balance
      ? { ok: true, message: `The TechForge API key works: ${balance.amount} credits left`, balance }
      : { ok: true, message: 'The TechForge API key works (no credit balance in the answer)' };
  } catch (e) {
    if (!isProviderError(e)) throw e;
    if (e.code === 'missing_api_key') return { ok: false, message: e.message };
    return { ok: false, message: explain(e, 'checking the credit balance').message };
  }
}

async function listOptions(list: string, ctx: AdapterContext): Promise<readonly PickerOption[]> {
  const http = client(ctx);
  if (list === 'projects') {
    let data: unknown;
    try {
      ({ data } = await http.json<unknown>({ method: 'GET', path: '/api/provider/projects/active' }));
    } catch (e) {
      throw explain(e, 'the project list');
    }
    const rows = isObj(data) && Array.isArray(data.data) ? data.data.filter(isObj) : [];
    return rows
      .filter((r) => str(r.projectId))
      .map((r) => {
        const dates = [str(r.startDate), str(r.endDate)].filter(Boolean).map((d) => d!.slice(0, 10));
        const detail = [str(r.projectType), dates.length ? dates.join(' – ') : undefined].filter(Boolean).join(' · ');
        return { value: String(r.projectId), label: str(r.projectName) ?? String(r.projectId), ...(detail ? { detail } : {}) };
      });
  }
  const m = /^fields:(.+)$/.exec(list);
  if (m) {
    const projectId = m[1]!;
    let data: unknown;
    try {
      ({ data } = await http.json<unknown>({ method: 'GET', path: `/api/provider/projects/${encodeURIComponent(projectId)}/mapping-fields` }));
    } catch (e) {
      throw explain(e, `the fields of project ${projectId}`);
    }
    const inner = isObj(data) && isObj(data.data) ? data.data : undefined;
    if (!inner || !isObj(inner.fields)) {
      // Some TFI controllers answer 200 {message: "...not found"} instead of 404 (PROVIDERS.md §2.4).
      const said = isObj(data) ? (str(data.message) ?? str(data.error)) : undefined;
      throw new ProviderError('not_found', `TechForge could not find the fields of project ${projectId}${said ? `: ${said}` : ''}`, { code: 'project_not_found' });
    }
    return Object.entries(inner.fields).map(([key, f]) => {
      const label = isObj(f) ? str(f.label) : undefined;
      const kind = isObj(f) ? str(f.instructionType) : undefined;
      return { value: key, label: label ?? key, ...(kind ? { detail: kind } : {}) };
    });
  }
  throw new ProviderError('permanent', `TechForge has no picker list "${list}" (known: projects, fields:<projectId>)`, { code: 'unknown_list' });
}

export const techforgeAdapter = defineAdapter(techforgeSpec, { submit, poll, output, reconcile, testCredentials, listOptions });
