/**
 * aisa.one adapter: the OpenAI Videos API (Sora 2) through aisa's OpenAI-compatible gateway.
 *
 * Follows the official OpenAI OpenAPI, Videos subset v2.3.0 (openai/openai-openapi f85dbe2, 2026-08-21;
 * /work/shared/specs/openai-videos.openapi.yaml) and aisa's "OpenAI video" reference, error and
 * rate-limit pages (PROVIDERS.md §3, read 2026-11).
 *
 * Known gaps:
 * - OpenAI retired the Sora 2 API and its models on 2026-09-24 (PROVIDERS.md §3.0); aisa only proxies
 *   it. Every "this model / endpoint is gone" answer becomes one clear permanent error (`sora_retired`).
 * - aisa documents only `POST /v1/videos`. Retrieve, list and `/content` are assumed proxied because the
 *   OpenAI SDK calls them [UNCONFIRMED]; when list answers 404 the adapter falls back to one retrieve per job.
 * - No cancel: the API cannot stop a queued or running video. `DELETE /videos/{id}` (finished videos
 *   only) is not used: nothing in the adapter surface asks to delete a provider-side video.
 * - Remix, edits, extensions and characters are not used. No webhooks (configured per OpenAI project).
 * - Idempotency keys are not supported, so a lost create answer is resolved by `reconcile` (list + match).
 * - Cost is OpenAI's list price; aisa's own Sora price and markup were not found.
 */
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { fitImage, FitImageError } from '../media/fit-image';
import type { Money } from '../../../shared/model';
import { formatIssue } from '../../../shared/result';
import {
  AISA_RETIRED_ON,
  AISA_USD_PER_SECOND,
  aisaParamsOf,
  aisaPrompt,
  aisaSpec,
  modelFamily,
  parseSize,
  type AisaParams,
} from '../../../shared/providers/aisa';
import { FormData, ProviderError, joinUrl, type HttpRequest, type HttpResponse } from './http';
import { byProviderId, checkBeforeSend, claimsIn, credential, defineAdapter, earliestSend, isObj, num, providerIdOf, readPages, reword, str, type Page, type Pages } from './kit';
import type { AdapterContext, AdapterJob, CredentialTest, DownloadSpec, PollResult, ReconcileResult, SubmitResult } from './types';

const PROVIDER = 'aisa.one';
const KEY_HINT = 'Check the aisa API key (sk-aisa-…) in Settings → Providers → aisa.one.';
/** aisa gateway codes (aisa.one/docs/api-reference/errors) that mean "this model or route is not served". */
const RETIRED_CODES = new Set(['model_not_allowed', 'unknown_model', 'unknown_endpoint']);
const LIST_PAGE = 100;
/** Enough for 500 recent videos per poll; older jobs fall back to one retrieve each. */
const MAX_LIST_PAGES = 5;
/** reconcile looks this far before the first send for the created video (clock skew, queueing at aisa). */
const RECONCILE_SLACK_MS = 120_000;
/** After a list 404 the list is not retried for this long (aisa may not proxy it [UNCONFIRMED]). */
const LIST_RETRY_MS = 3_600_000;
const LIST_UNSUPPORTED_KEY = 'listUnsupportedAt';
const CLAIMS_KEY = 'videoClaims';

/** The OpenAI `Video` object (VideoResource), read tolerantly: every field may be missing on a proxy. */
export type AisaVideo = Readonly<{
  id: string;
  status: string;
  model?: string;
  progress?: number;
  created_at?: number;
  completed_at?: number | null;
  expires_at?: number | null;
  prompt?: string | null;
  size?: string;
  seconds?: string;
  error?: Readonly<{ code?: string; message?: string }> | null;
}>;

/** Both documented error bodies: aisa `{error:{type,code,message,request_id}}`, OpenAI `{error:{message,type,param,code}}`. */
type AisaErrorBody = { type?: string; code?: string; message?: string; param?: string; requestId?: string };

type Op = 'create' | 'retrieve' | 'list';

// ---------------------------------------------------------------------------------------------------
// HTTP

function apiKeyOf(ctx: AdapterContext): string {
  return credential(ctx.credentials, 'apiKey', `No aisa.one API key is set. ${KEY_HINT}`, 'missing_api_key');
}

function authHeaders(ctx: AdapterContext): Record<string, string> {
  return { authorization: `Bearer ${apiKeyOf(ctx)}` };
}

export function readAisaError(body: unknown, text: string): AisaErrorBody {
  if (isObj(body)) {
    const b = body as Record<string, unknown>;
    const e = b.error;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      const out: AisaErrorBody = {};
      const code = str(o.code) ?? (typeof o.code === 'number' ? String(o.code) : undefined);
      if (code) out.code = code;
      if (str(o.type)) out.type = str(o.type);
      if (str(o.message)) out.message = str(o.message);
      if (str(o.param)) out.param = str(o.param);
      const rid = str(o.request_id) ?? str(b.request_id);
      if (rid) out.requestId = rid;
      return out;
    }
    const out: AisaErrorBody = {};
    if (typeof e === 'string') out.message = e;
    else if (str(b.message)) out.message = str(b.message);
    else if (str(b.detail)) out.message = str(b.detail);
    if (str(b.code)) out.code = str(b.code);
    return out;
  }
  const t = text.trim();
  return t && t.length < 500 && !t.startsWith('<') ? { message: t } : {};
}

/**
 * One request with aisa's auth and error reading. The user-facing message is written in `explain`
 * because it depends on which call failed (a 404 on create means "Sora is gone", on retrieve "no such video").
 */
async function call<T>(ctx: AdapterContext, op: Op, req: HttpRequest): Promise<{ data: T; res: HttpResponse }> {
  let errBody: AisaErrorBody | undefined;
  const http = ctx.http.with({
    headers: () => authHeaders(ctx),
    readError: (_status, body, text) => {
      errBody = readAisaError(body, text);
      return { ...(errBody.code ? { code: errBody.code } : {}), ...(errBody.message ? { message: errBody.message } : {}) };
    },
    requestIdHeaders: ['x-request-id', 'request-id'],
  });
  try {
    const out = await http.json<T>(req);
    logRateLimit(ctx, out.res);
    return out;
  } catch (e) {
    if (e instanceof ProviderError) throw explain(e, op, errBody, req);
    throw e;
  }
}

function logRateLimit(ctx: AdapterContext, res: HttpResponse): void {
  const remaining = res.headers['x-ratelimit-remaining-requests'];
  if (remaining === undefined) return;
  ctx.log('debug', 'aisa rate limit', {
    remainingRequests: remaining,
    limitRequests: res.headers['x-ratelimit-limit-requests'],
    resetRequests: res.headers['x-ratelimit-reset-requests'],
  });
}

export function retiredMessage(detail: string): string {
  return `${PROVIDER} no longer serves Sora 2: OpenAI retired the Sora 2 API and its models on ${AISA_RETIRED_ON}, and aisa only passes requests on to it. aisa said: ${detail}`;
}

function explain(e: ProviderError, op: Op, body: AisaErrorBody | undefined, req: HttpRequest): ProviderError {
  if (e.status === undefined) return e; // transport failure or unreadable JSON: the http client's words are right
  const code = body?.code ?? body?.type ?? e.code;
  const providerMsg = body?.message ?? e.message;
  const detail = providerMsg.includes(code) ? providerMsg : `${providerMsg} (${code})`;
  const as = (kind: ProviderError['kind'], message: string, ourCode: string = code): ProviderError =>
    reword(e, message, { kind, code: ourCode, ...(body?.requestId ? { requestId: body.requestId } : {}) });

  // A list 404 may only mean aisa does not proxy the list endpoint; the caller falls back to retrieve.
  if (op === 'list' && (e.status === 404 || e.status === 405 || code === 'unknown_endpoint')) {
    return as('not_found', `${PROVIDER} does not serve the video list (GET /videos): ${detail}`, 'list_unsupported');
  }
  if (RETIRED_CODES.has(code) || (op === 'create' && e.status === 404)) {
    const hint = code === 'model_not_allowed' ? ' (If aisa still offers Sora, check that this key may use the model in the aisa dashboard.)' : '';
    return as('permanent', retiredMessage(detail) + hint, 'sora_retired');
  }
  if (code === 'quota_exceeded') {
    return as(
      'permanent',
      `${PROVIDER} spend cap reached: this key's spending limit or wallet is used up, so aisa takes no new work. Top up or raise the cap in the aisa dashboard, then retry. aisa said: ${detail}`,
    );
  }
  if (code === 'region_blocked') {
    return as('permanent', `${PROVIDER} does not serve requests from this region: ${detail}`);
  }
  switch (e.kind) {
    case 'auth':
      return as('auth', `${PROVIDER} rejected the API key: ${detail}. ${KEY_HINT}`);
    case 'rate_limit':
      return as('rate_limit', `${PROVIDER} rate limit reached: ${detail}`);
    case 'not_found':
      return as('not_found', `${PROVIDER} has no such video (${req.path}): ${detail}`);
    case 'permanent': {
      const field = body?.param ? ` [field: ${body.param}]` : '';
      const what = op === 'create' ? 'rejected the job' : 'refused the request';
      return as('permanent', `${PROVIDER} ${what}: ${detail}${field}`);
    }
    default:
      return as(e.kind, `${PROVIDER} answered HTTP ${e.status}: ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Video objects → poll results

function asVideo(data: unknown): AisaVideo | undefined {
  if (!isObj(data)) return undefined;
  const v = data;
  const id = str(v.id);
  if (!id) return undefined;
  const err = isObj(v.error) ? v.error : null;
  const createdAt = num(v.created_at);
  const progress = num(v.progress);
  return {
    id,
    status: typeof v.status === 'string' ? v.status : '',
    ...(typeof v.model === 'string' ? { model: v.model } : {}),
    ...(progress !== undefined ? { progress } : {}),
    ...(createdAt !== undefined ? { created_at: createdAt } : {}),
    completed_at: num(v.completed_at) ?? null,
    expires_at: num(v.expires_at) ?? null,
    prompt: typeof v.prompt === 'string' ? v.prompt : null,
    ...(typeof v.size === 'string' ? { size: v.size } : {}),
    // `seconds` is a string enum in the spec; some proxies send a number.
    ...(typeof v.seconds === 'string' || typeof v.seconds === 'number' ? { seconds: String(v.seconds) } : {}),
    error: err ? { ...(typeof err.code === 'string' ? { code: err.code } : {}), ...(typeof err.message === 'string' ? { message: err.message } : {}) } : null,
  };
}

/** An OpenAI list page: `{data, has_more, last_id}`, newest first; the next page starts `after` the last id. */
function asPage(data: unknown): Page<AisaVideo> {
  const d = isObj(data) ? data : {};
  const items = Array.isArray(d.data) ? d.data.map(asVideo).filter((v): v is AisaVideo => v !== undefined) : [];
  const lastId = str(d.last_id) ?? items.at(-1)?.id;
  return { items, next: d.has_more === true && items.length > 0 ? lastId : undefined };
}

function costOf(model: string | undefined, seconds: string | undefined): Money | undefined {
  const s = Number(seconds);
  if (!model || !Number.isFinite(s) || s <= 0) return undefined;
  return { amount: Math.round(AISA_USD_PER_SECOND[modelFamily(model)] * s * 100) / 100, unit: 'USD' };
}

function stateOf(v: AisaVideo): Record<string, unknown> {
  return {
    ...(v.model ? { model: v.model } : {}),
    ...(v.size ? { size: v.size } : {}),
    ...(v.seconds ? { seconds: v.seconds } : {}),
    ...(v.created_at !== undefined ? { createdAt: v.created_at * 1000 } : {}),
    ...(v.expires_at ? { expiresAt: v.expires_at * 1000 } : {}),
  };
}

export function toPollResult(v: AisaVideo, ctx: AdapterContext, requestId?: string): PollResult {
  const raw = v.status;
  const progress = v.progress !== undefined ? Math.min(1, Math.max(0, v.progress / 100)) : undefined;
  const base = { rawStatus: raw, providerState: stateOf(v), ...(requestId ? { requestId } : {}) };
  switch (raw.toLowerCase()) {
    case 'queued':
      return { ...base, state: 'queued', progress: progress ?? 0 };
    case 'in_progress': {
      let etaSec: number | undefined;
      if (progress && progress > 0 && progress < 1 && v.created_at !== undefined) {
        const elapsed = Math.max(0, ctx.now() / 1000 - v.created_at);
        etaSec = Math.round((elapsed * (1 - progress)) / progress);
      }
      return { ...base, state: 'running', ...(progress !== undefined ? { progress } : {}), ...(etaSec !== undefined ? { etaSec } : {}) };
    }
    case 'completed': {
      const cost = costOf(v.model, v.seconds);
      return { ...base, state: 'succeeded', progress: 1, ...(cost ? { costUsed: cost } : {}) };
    }
    case 'failed': {
      const code = v.error?.code ?? 'failed';
      const msg = v.error?.message ?? 'aisa.one reported the video failed without giving a reason';
      return { ...base, state: 'failed', error: { code, message: `Sora could not make the video: ${msg} (${code})` } };
    }
    default:
      ctx.log('warn', `aisa: unknown video status "${raw}", treated as still running`, { videoId: v.id, status: raw });
      return { ...base, state: 'running', ...(progress !== undefined ? { progress } : {}) };
  }
}

async function retrieve(ctx: AdapterContext, id: string): Promise<{ video: AisaVideo; requestId: string | undefined }> {
  const { data, res } = await call<unknown>(ctx, 'retrieve', { method: 'GET', path: `/videos/${encodeURIComponent(id)}` });
  const video = asVideo(data);
  if (!video) throw new ProviderError('transient', `${PROVIDER} answered the status of video ${id} without a video object`, { code: 'malformed_response', status: res.status });
  return { video, requestId: res.requestId };
}

async function listPage(ctx: AdapterContext, after: string | undefined, limit = LIST_PAGE): Promise<Page<AisaVideo>> {
  const { data } = await call<unknown>(ctx, 'list', { method: 'GET', path: '/videos', query: { limit, order: 'desc', after } });
  return asPage(data);
}

function listKnownUnsupported(ctx: AdapterContext): boolean {
  const at = Number(ctx.state.get(LIST_UNSUPPORTED_KEY));
  return Number.isFinite(at) && at > 0 && ctx.now() - at < LIST_RETRY_MS;
}

function isListUnsupported(e: unknown): boolean {
  return e instanceof ProviderError && e.code === 'list_unsupported';
}

/** Which local job each recent video belongs to, so reconcile never hands one video to two identical rows. */
const claims = (ctx: AdapterContext) => claimsIn(ctx.state, CLAIMS_KEY);

// ---------------------------------------------------------------------------------------------------
// The reference image: resized and padded to the exact video size

/**
 * OpenAI: input_reference "should match the requested size"; a relay reports a 400 "Inpaint image must
 * match the requested width and height" otherwise (PROVIDERS.md §3.2). So the image is scaled to fit
 * and padded with black to exactly width x height (core/media), as a PNG in the provider's scratch
 * folder (reused by later rows with the same image and size).
 */
export async function fitReference(assetId: string, size: string, ctx: AdapterContext): Promise<{ file: string; name: string }> {
  const info = ctx.assets.info(assetId);
  if (info.kind !== 'image') {
    throw new ProviderError('permanent', `aisa.one takes one reference image; ${info.name} is ${info.kind === 'audio' ? 'an' : 'a'} ${info.kind} file`, { code: 'reference_not_image' });
  }
  const { width, height } = parseSize(size);
  const out = path.join(ctx.workDir, `aisa-ref-${assetId.slice(0, 24)}-${size}.png`);
  try {
    await fitImage({ input: ctx.assets.path(assetId), width, height, out, signal: ctx.signal });
  } catch (e) {
    if (!(e instanceof FitImageError)) throw e;
    if (e.reason === 'missing') throw new ProviderError('permanent', `ffmpeg is not available to resize the reference image: ${e.message}`, { code: 'ffmpeg_missing', cause: e });
    if (e.reason === 'aborted') throw new ProviderError('transient', 'Resizing the reference image was stopped: the engine is stopping', { code: 'aborted', cause: e });
    throw new ProviderError('permanent', `ffmpeg could not read the avatar image ${info.name} to fit it to ${size}: ${e.message}`, { code: 'reference_unreadable', cause: e });
  }
  return { file: out, name: `reference-${size}.png` };
}

// ---------------------------------------------------------------------------------------------------
// The adapter

function paramsOrThrow(job: AdapterJob): AisaParams {
  const params = aisaParamsOf(job.input.params);
  if (!params) {
    const { avatar: _a, audio: _b, video: _c, ...rest } = job.input;
    const issues = aisaSpec.validate(rest).filter((i) => i.field.startsWith('param'));
    throw new ProviderError('permanent', `aisa.one job not sent: ${issues.map(formatIssue).join('; ') || 'invalid parameters'}`, { code: 'invalid_params' });
  }
  return params;
}

function sameModel(sent: string, got: string | undefined): boolean {
  // A proxy may answer with the pinned snapshot it used ("sora-2-2025-12-08" for "sora-2") [UNCONFIRMED].
  return got === sent || (got !== undefined && got.startsWith(`${sent}-20`));
}

/** multipart/form-data sends line breaks as CRLF (WHATWG FormData), so the stored prompt may differ in them only. */
function sameText(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').trim();
  return norm(a) === norm(b);
}

function contentUrl(ctx: AdapterContext, id: string, variant: 'video' | 'thumbnail'): string {
  return joinUrl(ctx.baseUrl, `/videos/${encodeURIComponent(id)}/content`, { variant });
}

/**
 * The key test normally lists one video. If aisa does not serve the list [UNCONFIRMED], a retrieve of an
 * id that cannot exist tells "key fine, video unknown" (resource 404) from "Videos API gone" (unknown_endpoint).
 */
async function probeWithoutList(ctx: AdapterContext, listError: ProviderError): Promise<{ ok: boolean; message: string }> {
  try {
    await retrieve(ctx, 'video_talkbatch_key_check');
    return { ok: true, message: `${PROVIDER} accepted the key.` };
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    if (e.kind === 'not_found') return { ok: true, message: `${PROVIDER} accepted the key (it does not serve the video list, so each video is polled on its own).` };
    if (e.code === 'sora_retired') return { ok: false, message: e.message };
    return { ok: false, message: `${e.message} (${listError.message})` };
  }
}

async function submit(job: AdapterJob, ctx: AdapterContext): Promise<SubmitResult> {
  const params = paramsOrThrow(job);
  checkBeforeSend(aisaSpec, job, ctx.assets, 'aisa.one job not sent');
  apiKeyOf(ctx);
  const form = new FormData();
  form.append('prompt', aisaPrompt(job.input));
  form.append('model', params.model);
  form.append('seconds', params.seconds);
  form.append('size', params.size);
  const avatar = job.input.avatar;
  if (avatar && 'asset' in avatar) {
    const ref = await fitReference(avatar.asset, params.size, ctx);
    form.append('input_reference', await openAsBlob(ref.file, { type: 'image/png' }), ref.name);
  }
  const { data, res } = await call<unknown>(ctx, 'create', { method: 'POST', path: '/videos', form, idempotent: false, timeoutMs: 120_000 });
  const video = asVideo(data);
  if (!video) {
    // The create was accepted (2xx) but we cannot tell which video it made: reconcile decides.
    throw new ProviderError('unknown_outcome', `${PROVIDER} accepted the video but its answer had no video id`, {
      code: 'malformed_response',
      status: res.status,
      ...(res.requestId ? { requestId: res.requestId } : {}),
    });
  }
  claims(ctx).claim(video.id, job.id);
  const initial = toPollResult(video, ctx, res.requestId);
  return {
    providerJobId: video.id,
    providerState: { model: params.model, size: params.size, seconds: params.seconds, ...stateOf(video) },
    ...(res.requestId ? { requestId: res.requestId } : {}),
    initial,
  };
}

async function poll(jobs: readonly AdapterJob[], ctx: AdapterContext): Promise<ReadonlyMap<string, PollResult>> {
  const out = new Map<string, PollResult>();
  const pending = byProviderId(jobs, PROVIDER, out);

  // One list page answers up to 100 jobs; walk back only as far as the oldest job (plus slack).
  if (pending.size > 1 && !listKnownUnsupported(ctx)) {
    const oldest = earliestSend([...pending.values()].flat(), RECONCILE_SLACK_MS);
    const missing = (items: readonly AisaVideo[]) => [...pending.keys()].some((id) => !items.some((v) => v.id === id));
    const reachedBack = (items: readonly AisaVideo[]) => {
      const last = items.at(-1)?.created_at;
      return oldest !== undefined && last !== undefined && last * 1000 < oldest;
    };
    try {
      const listed = await readPages((after) => listPage(ctx, after), { maxPages: MAX_LIST_PAGES, more: (items) => missing(items) && !reachedBack(items) });
      for (const v of listed?.items ?? []) {
        for (const job of pending.get(v.id) ?? []) out.set(job.id, toPollResult(v, ctx));
        pending.delete(v.id);
      }
    } catch (e) {
      if (!isListUnsupported(e)) throw e;
      ctx.state.set(LIST_UNSUPPORTED_KEY, String(ctx.now()));
      ctx.log('info', 'aisa: the video list endpoint is not served; polling each video instead', { error: (e as Error).message });
    }
  }

  for (const [id, group] of pending) {
    let result: PollResult;
    try {
      const { video, requestId } = await retrieve(ctx, id);
      result = toPollResult(video, ctx, requestId);
    } catch (e) {
      if (!(e instanceof ProviderError) || e.kind !== 'not_found') throw e;
      result = {
        state: 'not_found',
        rawStatus: 'not_found',
        error: { code: e.code, message: `${PROVIDER} has no video ${id} any more (deleted, expired or never created): ${e.message}` },
        ...(e.requestId ? { requestId: e.requestId } : {}),
      };
    }
    for (const job of group) out.set(job.id, result);
  }
  return out;
}

async function output(job: AdapterJob, ctx: AdapterContext): Promise<DownloadSpec> {
  const id = providerIdOf(job, PROVIDER);
  let video: AisaVideo;
  try {
    video = (await retrieve(ctx, id)).video;
  } catch (e) {
    if (e instanceof ProviderError && e.kind === 'not_found') {
      throw new ProviderError('expired', `${PROVIDER} no longer has video ${id}: its files expired or it was deleted, so it cannot be downloaded (${e.message})`, {
        code: 'expired',
        ...(e.status !== undefined ? { status: e.status } : {}),
        cause: e,
      });
    }
    throw e;
  }
  const status = video.status.toLowerCase();
  if (status === 'failed') {
    throw new ProviderError('permanent', `Video ${id} failed at ${PROVIDER}, there is nothing to download: ${video.error?.message ?? 'no reason given'}`, { code: video.error?.code ?? 'failed' });
  }
  if (status !== 'completed') {
    throw new ProviderError('transient', `Video ${id} is not finished yet (${video.status || 'no status'})`, { code: 'not_ready' });
  }
  const expiresAt = video.expires_at ? video.expires_at * 1000 : undefined;
  if (expiresAt !== undefined && expiresAt <= ctx.now()) {
    throw new ProviderError(
      'expired',
      `The files of video ${id} expired at ${new Date(expiresAt).toISOString()} (OpenAI keeps Sora downloads for a limited time, about an hour); it can no longer be downloaded and would have to be generated again`,
      { code: 'expired' },
    );
  }
  // The one provider whose download needs the API key: /content is an authenticated stream, not a public URL.
  const headers = authHeaders(ctx);
  return {
    url: contentUrl(ctx, id, 'video'),
    headers,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    // variant=thumbnail is image/webp.
    thumbnail: { url: contentUrl(ctx, id, 'thumbnail'), headers },
    extension: 'mp4',
  };
}

async function reconcile(job: AdapterJob, ctx: AdapterContext): Promise<ReconcileResult> {
  if (job.submittedAt === null) return { outcome: 'unknown', evidence: 'The job has no send time, so aisa.one videos cannot be matched to it' };
  const params = aisaParamsOf(job.input.params);
  if (!params) return { outcome: 'unknown', evidence: 'The job parameters are invalid, so no aisa.one video can be matched to it' };
  const prompt = aisaPrompt(job.input);
  const since = job.submittedAt - RECONCILE_SLACK_MS;
  const older = (v: AisaVideo) => v.created_at !== undefined && v.created_at * 1000 < since;
  let listed: Pages<AisaVideo>;
  try {
    listed = (await readPages((after) => listPage(ctx, after), { maxPages: MAX_LIST_PAGES, more: (items) => !items.some(older) }))!;
  } catch (e) {
    if (isListUnsupported(e)) return { outcome: 'unknown', evidence: `${PROVIDER} does not serve the video list, so a lost video cannot be looked for (${(e as Error).message})` };
    throw e;
  }
  const reachedBack = listed.complete || listed.items.some(older);
  const seen = listed.items.length;
  const free = claims(ctx).freeFor(job.id);
  const matches: AisaVideo[] = [];
  const noPrompt: AisaVideo[] = [];
  const ofOtherJobs: string[] = [];
  for (const v of listed.items) {
    if (v.created_at === undefined || older(v)) continue;
    if (!sameModel(params.model, v.model) || v.size !== params.size || v.seconds !== params.seconds) continue;
    const samePrompt = typeof v.prompt === 'string' && sameText(v.prompt, prompt);
    if (!free(v.id)) {
      if (samePrompt) ofOtherJobs.push(v.id);
    } else if (samePrompt) matches.push(v);
    else if (typeof v.prompt !== 'string') noPrompt.push(v);
  }
  const window = `created since ${new Date(since).toISOString()} with the same prompt, ${params.model}, ${params.size}, ${params.seconds} s`;
  const others = ofOtherJobs.length ? ` (${ofOtherJobs.join(', ')} belong to other jobs)` : '';
  if (matches.length === 1 && noPrompt.length === 0) {
    const v = matches[0]!;
    claims(ctx).claim(v.id, job.id);
    return { outcome: 'found', providerJobId: v.id, providerState: { model: params.model, size: params.size, seconds: params.seconds, ...stateOf(v) }, evidence: `Video ${v.id} (${v.status}) is the only aisa.one video ${window}${others}` };
  }
  if (matches.length > 1 || (matches.length === 1 && noPrompt.length > 0)) {
    return { outcome: 'unknown', evidence: `${matches.length + noPrompt.length} aisa.one videos could be this job (${[...matches, ...noPrompt].map((v) => v.id).join(', ')}), ${window}` };
  }
  if (noPrompt.length > 0) {
    return { outcome: 'unknown', evidence: `aisa.one lists ${noPrompt.length} video(s) without their prompt that could be this job (${noPrompt.map((v) => v.id).join(', ')})` };
  }
  if (reachedBack) return { outcome: 'absent', evidence: `No aisa.one video ${window}${others}; ${seen} recent video(s) checked, back past the send time` };
  return { outcome: 'unknown', evidence: `No match among the ${seen} most recent aisa.one videos, but the list did not reach back to the send time` };
}

async function testCredentials(ctx: AdapterContext): Promise<CredentialTest> {
  if (!ctx.credentials.apiKey?.trim()) return { ok: false, message: `No aisa.one API key is set. ${KEY_HINT}` };
  try {
    await listPage(ctx, undefined, 1);
    return { ok: true, message: `${PROVIDER} accepted the key. Note: OpenAI retired Sora 2 on ${AISA_RETIRED_ON}, so creating videos may still fail.` };
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    if (isListUnsupported(e)) return await probeWithoutList(ctx, e);
    if (e.kind === 'rate_limit') return { ok: true, message: `${PROVIDER} accepted the key but is rate-limiting it right now: ${e.message}` };
    if (e.kind === 'transient' || e.kind === 'unknown_outcome') return { ok: false, message: `Could not check the key: ${e.message}` };
    return { ok: false, message: e.message };
  }
}

export const aisaAdapter = defineAdapter(aisaSpec, { submit, poll, output, reconcile, testCredentials });
