/**
 * Creatify adapter. Follows docs.creatify.ai (API reference pages with embedded OpenAPI 3.0.3 fragments,
 * "creatify.ai API" 1.0.0) and its changelog as of May 2026, summarised in PROVIDERS.md §5.
 *
 * Known gaps (be tolerant, check against the live service):
 * - Error bodies are not documented; DRF-style `{"detail": …}` and `{field: [msgs]}` are assumed [UNCONFIRMED]
 *   and read by the kit's `readDrfError`.
 * - The Aurora v2 resolution field name (`resolution`) is a guess [UNCONFIRMED].
 * - `GET /api/aurora/` and `GET /api/custom_template_jobs/` (lists, for reconcile) are [UNCONFIRMED]; a 404/405
 *   makes reconcile answer "unknown". Only `GET /api/lipsyncs/` is documented.
 * - Custom-template `variables` values: the docs name the variables but not their value shape; the row's
 *   script/links are sent as plain strings [UNCONFIRMED]. The async preview path is not used (not visible).
 * - No cancel endpoint is documented, so `cancel` is absent. AI avatar v2 (multi-scene) is not offered.
 * - Output URL lifetime is not documented (Aurora: at least 7 days); `output()` always fetches the job again.
 */
import { createHash } from 'node:crypto';
import { creatifyModelOf, creatifyParams, creatifyProductOf, creatifySpec, PARAMS_OF } from '../../../shared/providers/creatify';
import { ProviderError, isProviderError } from './http';
import type { CreatifyParams, CreatifyProduct } from '../../../shared/providers/creatify';
import type { InputRef, Money } from '../../../shared/model';
import type { HttpClient, HttpRequest } from './http';
import {
  checkedParams,
  defineAdapter,
  downloadExpiry,
  drfPage,
  isObj,
  nextQuery,
  noProviderId,
  num,
  readDrfError,
  readPages,
  reword,
  str,
  videoExtension,
  type Json,
  type UrlLifetime,
} from './kit';
import type { AdapterContext, AdapterJob, CredentialTest, DownloadSpec, PickerOption, PollResult, ReconcileResult, SubmitResult } from './types';

const RESOURCE: Readonly<Record<CreatifyProduct, string>> = {
  aurora: '/api/aurora/',
  lipsync: '/api/lipsyncs/',
  template: '/api/custom_template_jobs/',
};
/** PROVIDERS.md §0.2/§5.2: the final-video field differs per product; `done` without it is not success. */
const FINAL_FIELD: Readonly<Record<CreatifyProduct, 'output' | 'video_output'>> = {
  aurora: 'video_output',
  lipsync: 'output',
  template: 'video_output',
};
const LABEL: Readonly<Record<CreatifyProduct, string>> = { aurora: 'Aurora', lipsync: 'AI avatar', template: 'custom template' };

/** The custom-template preview call blocks until the preview is rendered (seed doc), so it gets a long timeout. */
const PREVIEW_TIMEOUT_MS = 10 * 60_000;
/** From this many running AI avatar jobs on, one list request answers them all. */
const LIST_POLL_MIN = 2;
const MAX_LIST_PAGES_POLL = 5;
const MAX_LIST_PAGES_RECONCILE = 20;
const MAX_LIST_PAGES_OPTIONS = 20;

const renderKey = (providerJobId: string): string => `render:${providerJobId}`;

/** Not documented (Aurora: the video is kept at least 7 days); output() always fetches the job again. */
const URL_LIFETIME: UrlLifetime = { unknown: 'not documented; output() re-reads the job for a fresh link' };

// ---------------------------------------------------------------------------------------------- helpers

/** `progress` is a string on lipsyncs ("0.45") and a number elsewhere; either a fraction or a percentage. */
export function creatifyProgress(v: unknown): number | undefined {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v);
    if (m) n = Number(m[1]) / (m[2] ? 100 : 1);
  }
  if (n === undefined || !Number.isFinite(n) || n < 0) return undefined;
  if (n > 1) n = n / 100;
  return Math.min(1, n);
}

/**
 * The job `name` doubles as the reconcile marker (no idempotency key at Creatify): the title plus a short hash of
 * the idempotency key, at most 255 characters (the documented `name` limit). Deterministic, so reconcile can
 * rebuild it even when the lost create never stored any providerState.
 */
export function creatifyMarker(title: string, idempotencyKey: string): string {
  const tag = markerTag(idempotencyKey);
  const room = 255 - tag.length - 1;
  const t = [...title.trim().replace(/\s+/g, ' ')];
  const head = t.length > room ? `${t.slice(0, room - 1).join('')}…` : t.join('');
  return head ? `${head} ${tag}` : tag;
}

function markerTag(idempotencyKey: string): string {
  return `[tb:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 12)}]`;
}

function productOf(job: AdapterJob): CreatifyProduct {
  const p = job.providerState.product;
  if (p === 'aurora' || p === 'lipsync' || p === 'template') return p;
  return creatifyProductOf(job.input.params);
}

function jobPath(product: CreatifyProduct, id: string): string {
  return `${RESOURCE[product]}${encodeURIComponent(id)}/`;
}

/** A list answer: a plain array (DRF without pagination) or a page `{count, next, previous, results}`. */
function listItems(data: unknown): Readonly<{ items: Json[]; next: string | undefined }> {
  const page = drfPage(data);
  if (!page) throw new ProviderError('transient', 'Creatify answered a list request with something that is not a list', { code: 'malformed_response' });
  return { items: page.items.filter(isObj), next: page.next };
}

// ---------------------------------------------------------------------------------------------- errors

/** Rewrites the shared client's error into a message a creator understands, keeping its kind and timing. */
function explain(e: ProviderError, what: string): ProviderError;
function explain(e: unknown, what: string): unknown;
function explain(e: unknown, what: string): unknown {
  if (!isProviderError(e)) return e;
  const http = e.status !== undefined ? `HTTP ${e.status}: ` : '';
  // Creatify's out-of-credits answer is undocumented: 402, or a 4xx whose message speaks of credits
  // (a 403 "not enough credits" must not send the user to re-enter a valid key).
  if (e.status === 402 || (e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 429 && /\bcredits?\b/i.test(e.message))) {
    return reword(e, `Creatify has not enough credits to ${what} (${http}${e.message}). Add credits or upgrade the API plan at app.creatify.ai.`, {
      kind: 'permanent',
      code: 'insufficient_credits',
    });
  }
  switch (e.kind) {
    case 'auth':
      return reword(
        e,
        `Creatify refused the API credentials while trying to ${what} (${http}${e.message}). Check both the API ID (sent as X-API-ID) and the API key (sent as X-API-KEY) in the Creatify provider settings.`,
      );
    case 'permanent':
      return reword(e, `Creatify rejected the request to ${what}: ${e.message} (${e.code})`);
    case 'rate_limit':
      return reword(e, `Creatify is limiting requests (${http}${e.message}) while trying to ${what}; trying again ${e.retryAfterMs !== undefined ? `in ${Math.ceil(e.retryAfterMs / 1000)} s` : 'later'}`);
    case 'not_found':
      return reword(e, `Creatify answered "not found" while trying to ${what} (${http}${e.message})`);
    default:
      return reword(e, `Creatify: could not ${what}: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------- transport

function client(ctx: AdapterContext): HttpClient {
  const apiId = ctx.credentials.apiId?.trim();
  const apiKey = ctx.credentials.apiKey?.trim();
  if (!apiId || !apiKey) {
    const missing = [!apiId ? 'API ID (X-API-ID)' : '', !apiKey ? 'API key (X-API-KEY)' : ''].filter(Boolean).join(' and ');
    throw new ProviderError('auth', `Creatify needs both the API ID and the API key from app.creatify.ai settings; missing: ${missing}`, { code: 'missing_credentials' });
  }
  return ctx.http.with({ headers: () => ({ 'X-API-ID': apiId, 'X-API-KEY': apiKey }), readError: readDrfError });
}

async function call<T = Json>(ctx: AdapterContext, req: HttpRequest, what: string): Promise<Readonly<{ data: T; requestId: string | undefined }>> {
  const http = client(ctx);
  try {
    const { data, res } = await http.json<T>(req);
    return { data, requestId: res.requestId };
  } catch (e) {
    throw explain(e, what);
  }
}

async function getJob(ctx: AdapterContext, product: CreatifyProduct, id: string, verb: 'check' | 'fetch' | 'approve' = 'check'): Promise<Json> {
  const { data } = await call<unknown>(ctx, { method: 'GET', path: jobPath(product, id) }, `${verb} ${LABEL[product]} job ${id}`);
  if (!isObj(data)) throw new ProviderError('transient', `Creatify answered with no job object for ${LABEL[product]} job ${id}`, { code: 'malformed_response' });
  return data;
}

/** Reads a list endpoint page by page until `stop` says enough or there are no more pages (kit: readPages, nextQuery). */
async function readList(
  ctx: AdapterContext,
  path: string,
  what: string,
  maxPages: number,
  stop: (items: readonly Json[]) => boolean = () => false,
): Promise<Readonly<{ items: Json[]; complete: boolean; pages: number }>> {
  const pages = await readPages(
    async (next) => {
      const query = next ? nextQuery(next, ctx.baseUrl) : undefined;
      const { data } = await call<unknown>(ctx, { method: 'GET', path, ...(query ? { query } : {}) }, what);
      return listItems(data);
    },
    { maxPages, more: (items) => !stop(items) },
  );
  return pages!;
}

async function urlOf(ref: InputRef, ctx: AdapterContext): Promise<string> {
  // Creatify takes links only; stored assets go to the engine's S3-compatible asset host (its errors propagate).
  return 'asset' in ref ? await ctx.assets.publicUrl(ref.asset) : ref.url;
}

// ---------------------------------------------------------------------------------------------- status

function costOf(data: Json): Money | undefined {
  const n = num(data.credits_used);
  return n !== undefined && n >= 0 ? { amount: n, unit: 'credits' } : undefined;
}

function interpret(job: AdapterJob, data: Json, ctx: AdapterContext): PollResult {
  const product = productOf(job);
  const id = job.providerJobId ?? str(data.id) ?? '?';
  const raw = typeof data.status === 'string' ? data.status : data.status === undefined || data.status === null ? '' : String(data.status);
  const status = raw.trim().toLowerCase();
  const progress = creatifyProgress(data.progress);
  const cost = costOf(data);
  const rawStatus = raw || '(no status)';
  const phase = job.providerState.phase;
  const active = status === 'pending' || status === 'in_queue' || status === 'running';
  // approve() cannot return providerState, so it leaves a note in ctx.state; a preview that starts moving
  // again after it was shown also means the render began (e.g. approved in the Creatify web app).
  const renderRequested =
    product === 'template' && (phase === 'render' || ctx.state.get(renderKey(id)) !== undefined || (phase === 'preview_ready' && active));
  const phaseState = renderRequested && phase !== 'render' ? { providerState: { phase: 'render' } } : {};
  const base = { rawStatus, ...(progress !== undefined ? { progress } : {}) };
  const charged = cost && cost.amount > 0 ? { costUsed: cost } : {};

  if (status === 'pending' || status === 'in_queue') return { state: 'queued', ...base, ...charged, ...phaseState };
  if (status === 'running') return { state: 'running', ...base, ...charged, ...phaseState };
  if (status === 'failed' || status === 'rejected') {
    if (product === 'template') ctx.state.set(renderKey(id), undefined);
    const reason = str(data.failed_reason) ?? 'no reason given';
    const verb = status === 'rejected' ? 'rejected' : 'could not render';
    return {
      state: 'failed',
      ...base,
      ...(cost ? { costUsed: cost } : {}),
      error: { code: status, message: `Creatify ${verb} the ${LABEL[product]} job: ${reason}` },
    };
  }
  if (status === 'done') {
    const final = str(data[FINAL_FIELD[product]]);
    if (final) {
      if (product === 'template') ctx.state.set(renderKey(id), undefined);
      return { state: 'succeeded', ...base, progress: 1, ...(cost ? { costUsed: cost } : {}), ...(product === 'template' ? { providerState: { phase: 'done' } } : {}) };
    }
    const preview = str(data.preview);
    if (product === 'template' && !renderRequested && preview) {
      // The preview is an app.creatify.ai page (an iframe-able layout link), not an MP4.
      return { state: 'awaiting_approval', ...base, ...charged, preview: { url: preview, kind: 'page' }, providerState: { phase: 'preview_ready', previewUrl: preview } };
    }
    ctx.log('warn', `Creatify says ${LABEL[product]} job ${id} is done but ${FINAL_FIELD[product]} is empty; still waiting for the video`, {
      providerJobId: id,
      status: raw,
      ...(product === 'template' ? { phase: renderRequested ? 'render' : String(phase ?? 'preview') } : {}),
    });
    return { state: 'running', rawStatus, ...charged, ...phaseState };
  }
  ctx.log('warn', `Creatify answered an unknown status "${raw}" for ${LABEL[product]} job ${id}; treating it as still rendering`, { providerJobId: id, status: raw });
  return { state: 'running', ...base, ...phaseState };
}

// ---------------------------------------------------------------------------------------------- requests

function parseParams(job: AdapterJob): CreatifyParams {
  return checkedParams(creatifyParams, job.input.params, 'Creatify job settings are invalid');
}

function need<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new ProviderError('permanent', message, { code: 'invalid_input' });
  return value;
}

async function createBody(product: CreatifyProduct, p: CreatifyParams, job: AdapterJob, ctx: AdapterContext, name: string): Promise<Json> {
  const input = job.input;
  const model = creatifyModelOf(product, p);
  const common = { name, model_version: model, ...(p.webhook_url ? { webhook_url: p.webhook_url } : {}) };
  if (product === 'aurora') {
    const avatar = need(input.avatar, 'Creatify Aurora needs a photo (avatar) to animate');
    const audio = need(input.audio, 'Creatify Aurora needs an audio file');
    const prompt = input.prompt?.trim();
    return {
      image: await urlOf(avatar, ctx),
      audio: await urlOf(audio, ctx),
      ...common,
      ...(prompt ? { text_prompt: prompt } : {}),
      ...(p.prompt_guidance_scale !== undefined ? { prompt_guidance_scale: p.prompt_guidance_scale } : {}),
      // [UNCONFIRMED] field name; sent only when chosen so Creatify's own default (720p) applies otherwise.
      ...(model === 'aurora_v2' && p.resolution ? { resolution: p.resolution } : {}),
      ...(p.ttl_days !== undefined ? { ttl_days: p.ttl_days } : {}),
    };
  }
  if (product === 'lipsync') {
    const script = input.script?.trim();
    if (!input.audio && !script) throw new ProviderError('permanent', 'Creatify AI avatar jobs need a script or an audio file', { code: 'invalid_input' });
    // Docs: "if both are sent, audio wins"; only the audio is sent so the request says what will happen.
    const voice = input.audio ? { audio: await urlOf(input.audio, ctx) } : { text: script };
    const optional: Json = {};
    // aspect_ratio is required and sent on its own below.
    for (const k of PARAMS_OF.lipsync.filter((x) => x !== 'aspect_ratio')) {
      if (p[k] !== undefined) optional[k] = p[k];
    }
    return { aspect_ratio: need(p.aspect_ratio, 'Creatify AI avatar jobs need param aspect_ratio (16x9, 1x1 or 9x16)'), ...voice, ...optional, ...common };
  }
  const variables: Json = { ...(p.variables ?? {}) };
  // [UNCONFIRMED] value shape of template variables: plain text and links are sent.
  const script = input.script?.trim();
  if (p.script_variable && script) variables[p.script_variable] = script;
  if (p.avatar_variable && input.avatar) variables[p.avatar_variable] = await urlOf(input.avatar, ctx);
  if (p.audio_variable && input.audio) variables[p.audio_variable] = await urlOf(input.audio, ctx);
  if (p.video_variable && input.video) variables[p.video_variable] = await urlOf(input.video, ctx);
  return {
    template_id: need(p.template_id, 'Creatify custom template jobs need param template_id'),
    variables,
    ...common,
    ...(p.is_hidden !== undefined ? { is_hidden: p.is_hidden } : {}),
  };
}

// ---------------------------------------------------------------------------------------------- reconcile

async function reconcile(job: AdapterJob, ctx: AdapterContext): Promise<ReconcileResult> {
  const product = productOf(job);
  const marker = str(job.providerState.marker) ?? creatifyMarker(job.input.title, job.idempotencyKey);
  const tag = markerTag(job.idempotencyKey);
  const matches = (item: Json): boolean => {
    const name = str(item.name);
    return name !== undefined && (name === marker || name.includes(tag));
  };
  const path = RESOURCE[product];
  let listed: Awaited<ReturnType<typeof readList>>;
  try {
    listed = await readList(ctx, path, `list ${LABEL[product]} jobs`, MAX_LIST_PAGES_RECONCILE, (items) => items.some(matches));
  } catch (e) {
    // Only /api/lipsyncs/ is a documented list; for Aurora and templates it may not exist [UNCONFIRMED].
    if (isProviderError(e) && (e.status === 404 || e.status === 405) && product !== 'lipsync') {
      return {
        outcome: 'unknown',
        evidence: `Creatify has no list of ${LABEL[product]} jobs to search (GET ${path} answered HTTP ${e.status}), so it cannot be proven whether the lost request created a job. Look in app.creatify.ai for a video named "${marker}" before sending it again.`,
      };
    }
    throw e;
  }
  const found = listed.items.filter(matches);
  if (found.length > 0) {
    const newest = [...found].sort((a, b) => String(b.created_at ?? '').localeCompare(String(a.created_at ?? '')))[0]!;
    const id = str(newest.id);
    if (id) {
      const more = found.length > 1 ? ` (${found.length} jobs carry this name; the newest is used)` : '';
      return {
        outcome: 'found',
        providerJobId: id,
        providerState: { product, marker, ...(product === 'template' ? { phase: 'preview' } : {}) },
        evidence: `GET ${path} lists ${LABEL[product]} job ${id} named "${str(newest.name) ?? marker}", created ${str(newest.created_at) ?? 'at an unknown time'}, status ${str(newest.status) ?? 'unknown'}${more}`,
      };
    }
  }
  if (!listed.complete) {
    return {
      outcome: 'unknown',
      evidence: `No job named "${marker}" in the first ${listed.pages} pages (${listed.items.length} jobs) of GET ${path}; older pages were not read, so absence is not proven.`,
    };
  }
  return { outcome: 'absent', evidence: `GET ${path} lists all ${listed.items.length} ${LABEL[product]} jobs of the account and none is named "${marker}".` };
}

// ---------------------------------------------------------------------------------------------- options

const GENDER: Readonly<Record<string, string>> = { m: 'male', f: 'female', nb: 'non-binary' };

function personaOption(p: Json): PickerOption | undefined {
  const id = str(p.id);
  if (!id || p.is_active === false) return undefined;
  const gender = str(p.gender);
  const detail = [gender ? (GENDER[gender.toLowerCase()] ?? gender) : undefined, str(p.age_range), str(p.style), str(p.location)].filter(Boolean).join(', ');
  const image = str(p.preview_image_16_9) ?? str(p.preview_image_1_1) ?? str(p.preview_image_9_16);
  return { value: id, label: str(p.creator_name) ?? id, ...(detail ? { detail } : {}), ...(image ? { imageUrl: image } : {}) };
}

function voiceOptions(v: Json): PickerOption[] {
  const voiceName = str(v.name) ?? str(v.voice_name) ?? 'Voice';
  const gender = str(v.gender);
  const accents = Array.isArray(v.accents) ? v.accents.filter(isObj) : [];
  return accents.flatMap((a) => {
    const id = str(a.id);
    if (!id) return [];
    const accent = str(a.accent_name) ?? str(a.name);
    return [{ value: id, label: accent ? `${voiceName} – ${accent}` : voiceName, ...(gender ? { detail: gender } : {}) }];
  });
}

function templateOption(t: Json): PickerOption | undefined {
  const id = str(t.id);
  if (!id) return undefined;
  // [UNCONFIRMED] template shape (third-party catalogue only): tolerate several names for the variables and image.
  const vars = t.variables;
  const names = Array.isArray(vars)
    ? vars.map((x) => (typeof x === 'string' ? x : isObj(x) ? (str(x.name) ?? str(x.key)) : undefined)).filter((x): x is string => Boolean(x))
    : isObj(vars)
      ? Object.keys(vars)
      : [];
  const image = str(t.thumbnail) ?? str(t.preview_image) ?? str(t.cover_image);
  return { value: id, label: str(t.name) ?? id, ...(names.length ? { detail: `variables: ${names.join(', ')}` } : {}), ...(image ? { imageUrl: image } : {}) };
}

// ---------------------------------------------------------------------------------------------- adapter

async function submit(job: AdapterJob, ctx: AdapterContext): Promise<SubmitResult> {
  const p = parseParams(job);
  const product = p.product;
  const name = creatifyMarker(job.input.title, job.idempotencyKey);
  const body = await createBody(product, p, job, ctx, name);
  // Templates start with the preview (seed doc): nothing is rendered in full until the user approves it.
  const path = product === 'template' ? `${RESOURCE.template}preview/` : RESOURCE[product];
  const { data, requestId } = await call<unknown>(
    ctx,
    { method: 'POST', path, json: body, idempotent: false, ...(product === 'template' ? { timeoutMs: PREVIEW_TIMEOUT_MS } : {}) },
    `create the ${LABEL[product]} job "${job.input.title}"`,
  );
  const id = isObj(data) ? (str(data.id) ?? (typeof data.id === 'number' ? String(data.id) : undefined)) : undefined;
  if (!isObj(data) || !id) {
    throw new ProviderError('unknown_outcome', `Creatify accepted the ${LABEL[product]} job but its answer names no job id; it will be looked up by its name "${name}"`, {
      code: 'missing_id',
      ...(requestId ? { requestId } : {}),
    });
  }
  const state: Json = { product, marker: name, ...(product === 'template' ? { phase: 'preview' } : {}) };
  const initial = interpret({ ...job, providerJobId: id, providerState: state }, data, ctx);
  return { providerJobId: id, providerState: { ...state, ...(initial.providerState ?? {}) }, ...(requestId ? { requestId } : {}), initial };
}

async function poll(jobs: readonly AdapterJob[], ctx: AdapterContext): Promise<ReadonlyMap<string, PollResult>> {
  const out = new Map<string, PollResult>();
  const listed = new Map<string, Json>();
  const lipsyncIds = new Set(jobs.filter((j) => j.providerJobId && productOf(j) === 'lipsync').map((j) => j.providerJobId!));
  if (lipsyncIds.size >= LIST_POLL_MIN) {
    // GET /api/lipsyncs/ is documented: one request answers many running AI avatar jobs.
    try {
      const res = await readList(ctx, RESOURCE.lipsync, 'list AI avatar jobs', MAX_LIST_PAGES_POLL, (items) => [...lipsyncIds].every((id) => items.some((i) => i.id === id)));
      for (const item of res.items) {
        const id = str(item.id);
        if (id && lipsyncIds.has(id)) listed.set(id, item);
      }
    } catch (e) {
      if (!isProviderError(e) || !(e.kind === 'not_found' || e.kind === 'permanent')) throw e;
      ctx.log('warn', `Creatify AI avatar list failed (${e.message}); polling each job instead`);
    }
  }
  for (const job of jobs) {
    const product = productOf(job);
    const id = job.providerJobId;
    if (!id) {
      out.set(job.id, noProviderId('Creatify'));
      continue;
    }
    let data = listed.get(id);
    if (!data) {
      try {
        data = await getJob(ctx, product, id);
      } catch (e) {
        if (isProviderError(e) && e.kind === 'not_found') {
          out.set(job.id, { state: 'not_found', rawStatus: `HTTP ${e.status ?? 404}`, error: { code: 'not_found', message: e.message } });
          continue;
        }
        throw e;
      }
    }
    out.set(job.id, interpret(job, data, ctx));
  }
  return out;
}

async function output(job: AdapterJob, ctx: AdapterContext): Promise<DownloadSpec> {
  const product = productOf(job);
  const id = need(job.providerJobId ?? undefined, 'This job has no Creatify job id');
  const fetchedAt = ctx.now();
  const data = await getJob(ctx, product, id, 'fetch');
  const field = FINAL_FIELD[product];
  const url = str(data[field]);
  if (!url) {
    throw new ProviderError('not_found', `Creatify ${LABEL[product]} job ${id} has no finished video (${field} is empty, status ${String(data.status ?? 'unknown')})`, { code: 'no_output' });
  }
  const expiresAt = downloadExpiry(url, fetchedAt, URL_LIFETIME);
  const thumb = str(data.video_thumbnail);
  return { url, extension: videoExtension(url), ...(expiresAt !== undefined ? { expiresAt } : {}), ...(thumb ? { thumbnail: { url: thumb } } : {}) };
}


async function approve(job: AdapterJob, ctx: AdapterContext): Promise<void> {
  const product = productOf(job);
  if (product !== 'template') throw new ProviderError('permanent', `Creatify ${LABEL[product]} jobs have no preview to approve`, { code: 'no_preview' });
  const id = need(job.providerJobId ?? undefined, 'This job has no Creatify job id');
  // Render costs credits and nothing documents what a second render call does, so look first: a lost answer
  // to an earlier approve may already have started it.
  const data = await getJob(ctx, product, id, 'approve');
  const status = String(data.status ?? '').toLowerCase();
  if (status === 'failed' || status === 'rejected') {
    throw new ProviderError('permanent', `Creatify ${status === 'rejected' ? 'rejected' : 'failed'} this custom template job: ${str(data.failed_reason) ?? 'no reason given'}`, { code: status });
  }
  const alreadyRendering = str(data.video_output) !== undefined || (status !== 'done' && (job.providerState.phase === 'preview_ready' || ctx.state.get(renderKey(id)) !== undefined));
  if (alreadyRendering) {
    ctx.log('info', `Creatify custom template job ${id} is already rendering (status ${status}); render not requested again`, { providerJobId: id });
    ctx.state.set(renderKey(id), String(ctx.now()));
    return;
  }
  if (status !== 'done' || !str(data.preview)) {
    throw new ProviderError('transient', `The preview of Creatify custom template job ${id} is not ready yet (status ${status || 'unknown'})`, { code: 'preview_not_ready' });
  }
  await call<unknown>(ctx, { method: 'POST', path: `${jobPath('template', id)}render/`, json: {}, idempotent: false }, `render custom template job ${id}`);
  // approve() returns nothing, so the phase goes to the per-provider state store until poll records it.
  ctx.state.set(renderKey(id), String(ctx.now()));
}

async function testCredentials(ctx: AdapterContext): Promise<CredentialTest> {
  try {
    const { data } = await call<unknown>(ctx, { method: 'GET', path: '/api/remaining_credits/' }, 'read the remaining credits');
    const credits = isObj(data) ? num(data.remaining_credits) : undefined;
    if (credits === undefined) return { ok: true, message: 'Creatify accepted the API ID and key (the answer named no credit balance)' };
    return { ok: true, message: `Creatify accepted the API ID and key: ${credits} credits left`, balance: { amount: credits, unit: 'credits' } };
  } catch (e) {
    if (isProviderError(e)) return { ok: false, message: e.message };
    throw e;
  }
}

async function listOptions(list: string, ctx: AdapterContext): Promise<readonly PickerOption[]> {
  if (list === 'personas') {
    const { items } = await readList(ctx, '/api/personas/', 'list the avatars', MAX_LIST_PAGES_OPTIONS);
    return items.map(personaOption).filter((o): o is PickerOption => o !== undefined);
  }
  if (list === 'voices') {
    const { items } = await readList(ctx, '/api/voices/', 'list the voices', MAX_LIST_PAGES_OPTIONS);
    return items.flatMap(voiceOptions);
  }
  if (list === 'templates') {
    // [UNCONFIRMED] endpoint (third-party catalogue only).
    const { items } = await readList(ctx, '/api/custom_templates/', 'list your custom templates', MAX_LIST_PAGES_OPTIONS);
    return items.map(templateOption).filter((o): o is PickerOption => o !== undefined);
  }
  throw new ProviderError('permanent', `Creatify has no "${list}" list; known lists: personas, voices, templates`, { code: 'unknown_list' });
}

export const creatifyAdapter = defineAdapter(creatifySpec, { submit, poll, output, reconcile, approve, testCredentials, listOptions });
