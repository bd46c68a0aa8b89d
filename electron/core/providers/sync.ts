/**
 * Sync.so (sync. labs) lip-sync adapter.
 *
 * Follows PROVIDERS.md §4: sync.so/docs api-reference (generate create/get/create-with-files/download,
 * assets upload, segments, idempotency, rate limits, error handling; 2025–2026 snapshots), npm
 * @sync.so/sdk 0.2.3 (2025-08-21) and synchronicity-labs/docs-v2 (openapi.json, post-cancel-generation).
 * Seed: /work/shared/seeds/003 (Create Generation).
 *
 * Known gaps, each handled tolerantly below:
 * - list path and shape [CONFLICT]: `GET /v2/generations` as a plain array (SDK 0.2.3) or a paged
 *   `{data|items:[…]}`; ids the list misses are fetched one by one.
 * - cancel exists only in older docs-v2 [UNCONFIRMED]: a 404 is reported as "not supported".
 * - react-1 option names `model_mode` / `prompt` come from mirrors [UNCONFIRMED natively].
 * - output URL lifetime is undocumented: output() always asks again, and reads an expiry from the
 *   signature's own query parameters when there is one.
 * - cost is not reported per job; costUsed is computed from `outputDuration` and the published upper rate.
 * - `POST /v2/assets` body: only `{url}` is documented; nothing else is sent.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request } from 'undici';
import { formatIssue } from '../../../shared/result';
import type { ResolvedRef, ValidationInput } from '../../../shared/provider-spec';
import type { InputRef } from '../../../shared/model';
import {
  SYNC_MODELS,
  SYNC_MODEL_OPTIONS,
  syncCostFor,
  syncOutputFileName,
  syncParamsSchema,
  syncSpec,
  syncVisualKind,
  type SyncModel,
} from '../../../shared/providers/sync';
import { FormData, ProviderError, isProviderError, parseRetryAfter, redactUrl, type ErrorBodyReader, type HttpClient, type HttpResponse } from './http';
import type { AdapterContext, AdapterJob, DownloadSpec, PollResult, ProviderAdapter, ReconcileResult, SubmitResult } from './types';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Idempotency guide: 1–128 characters of `[A-Za-z0-9._~-]`, else 400 INVALID_IDEMPOTENCY_KEY. */
const KEY_RE = /^[A-Za-z0-9._~-]{1,128}$/;

/** The engine's key when Sync accepts it; otherwise a deterministic, collision-safe rewrite of it. */
export function syncIdempotencyKey(key: string): string {
  if (KEY_RE.test(key)) return key;
  const readable = key.replace(/[^A-Za-z0-9._~-]+/g, '-').slice(0, 80);
  return `${readable}.${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** Error body (error-handling guide): `{ message: string | string[], statusCode, errorCode?, requestId? (500) }`. */
export const readSyncError: ErrorBodyReader = (status, body, text) => {
  if (!isObj(body)) {
    const t = text.trim();
    return { message: t && t.length < 500 && !t.startsWith('<') ? t : `HTTP ${status}` };
  }
  const code = str(body.errorCode) ?? str(body.error_code) ?? str(body.code);
  const raw = body.message;
  let message = Array.isArray(raw) ? raw.map(String).join('; ') : (str(raw) ?? str(body.error) ?? `HTTP ${status}`);
  const requestId = str(body.requestId);
  if (requestId) message += ` (request id ${requestId})`;
  return { ...(code ? { code } : {}), message };
};

type Action = 'create' | 'poll' | 'output' | 'cancel' | 'upload' | 'credentials';
const ACTION_WORDS: Record<Action, string> = {
  create: 'job',
  poll: 'status check',
  output: 'download request',
  cancel: 'cancel request',
  upload: 'file upload',
  credentials: 'key check',
};

/** Rewrites the HTTP client's error into one a creator can act on, keeping kind, code and Retry-After. */
function syncError(e: unknown, action: Action): unknown {
  if (!isProviderError(e)) return e;
  const hasOwnCode = e.code !== '' && !/^http_\d+$/.test(e.code) && !e.message.includes(e.code);
  const detail = hasOwnCode ? `${e.message} (${e.code})` : e.message;
  const opts = {
    ...(e.status !== undefined ? { status: e.status } : {}),
    code: e.code,
    ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
    cause: e,
  };
  const what = ACTION_WORDS[action];
  switch (e.kind) {
    case 'auth':
      return new ProviderError('auth', `Sync.so did not accept the API key: ${detail}. Check the Sync.so "API key" in the provider settings.`, opts);
    case 'rate_limit':
      // Rate-limits guide: 429 carries errorCode to tell the per-minute limit from the plan's concurrency limit.
      if (e.code === 'concurrency_limit_reached') {
        return new ProviderError('concurrency_limit', `Sync.so: your plan's limit of generations running at once is reached (${detail}); Talkbatch waits and runs fewer at a time.`, opts);
      }
      return new ProviderError('rate_limit', `Sync.so rate limit reached: ${detail}`, opts);
    case 'not_found':
      if (action === 'create' || action === 'upload') return new ProviderError('permanent', `Sync.so has no such endpoint or asset (${detail}); check the Sync.so base URL.`, opts);
      return new ProviderError('not_found', `Sync.so: ${detail}`, opts);
    case 'permanent': {
      if (e.status === 402) return new ProviderError('permanent', `Sync.so billing: ${detail}. Check your Sync.so plan or credits.`, opts);
      if (e.status === 413) {
        return new ProviderError('permanent', `Sync.so rejected the ${what} as too large: ${detail}. Files may be at most 5 GiB; try param upload_mode "assets" or a URL.`, opts);
      }
      if (e.status === 422 && e.code === 'file_size_exceeds_plan_limit') {
        return new ProviderError('permanent', `Sync.so: a file is larger than your plan allows (${detail}).`, opts);
      }
      return new ProviderError('permanent', action === 'create' ? `Sync.so rejected the job: ${detail}` : `Sync.so refused the ${what}: ${detail}`, opts);
    }
    default:
      return new ProviderError(e.kind, `Sync.so ${what}: ${detail}`, opts);
  }
}

function client(ctx: AdapterContext, capture?: { body?: unknown }): HttpClient {
  const apiKey = ctx.credentials.apiKey;
  if (!apiKey) throw new ProviderError('auth', 'No Sync.so API key is set. Add the Sync.so "API key" in the provider settings.', { code: 'missing_credentials' });
  return ctx.http.with({
    headers: () => ({ 'x-api-key': apiKey }),
    readError: (status, body, text) => {
      if (capture) capture.body = body;
      return readSyncError(status, body, text);
    },
    requestIdHeaders: ['x-request-id', 'request-id', 'x-sync-request-id'],
  });
}

// ---------------------------------------------------------------------------------------------------
// Create request

type FilePart = Readonly<{ field: 'video' | 'image' | 'audio'; assetId: string }>;
type CreateRequest = Readonly<{ body: Obj; files: readonly FilePart[] }>;

const FIELD_LIMIT_BYTES = 1024 * 1024;

function resolveRef(ref: InputRef | undefined, ctx: AdapterContext): ResolvedRef | undefined {
  if (!ref) return undefined;
  return 'url' in ref ? { url: ref.url } : { asset: ctx.assets.info(ref.asset) };
}

/**
 * Builds the create body deterministically from the job alone (plus remembered asset ids), so a retry
 * and `reconcile` send exactly the same request under the same Idempotency-Key.
 */
async function buildCreate(job: AdapterJob, ctx: AdapterContext): Promise<CreateRequest> {
  const input = job.input;
  const parsed = syncParamsSchema.safeParse(input.params);
  const resolved: ValidationInput = { ...input, avatar: resolveRef(input.avatar, ctx), audio: resolveRef(input.audio, ctx), video: resolveRef(input.video, ctx) };
  const issues = syncSpec.validate(resolved);
  if (!parsed.success || issues.length > 0) {
    throw new ProviderError('permanent', `Sync.so cannot take this job: ${issues.map(formatIssue).join('; ') || 'invalid parameters'}`, { code: 'invalid_input' });
  }
  const p = parsed.data;
  const files: FilePart[] = [];
  const item = async (type: FilePart['field'], ref: InputRef): Promise<Obj> => {
    if ('url' in ref) return { type, url: ref.url };
    if (p.upload_mode === 'assets') return { type, assetId: await ensureAsset(ref.asset, ctx) };
    // create-with-files: the file part named after the input's type fills that input.
    files.push({ field: type, assetId: ref.asset });
    return { type };
  };

  const inputs: Obj[] = [];
  const visualRef = input.video ?? input.avatar;
  if (visualRef) inputs.push(await item(syncVisualKind(resolved) === 'image' ? 'image' : 'video', visualRef));
  if (input.audio) inputs.push(await item('audio', input.audio));
  else if (input.script?.trim()) inputs.push({ type: 'text', provider: { name: 'elevenlabs', voiceId: p.voice_id, script: input.script } });

  // Segments guide: each extra audio is an input with a refId that a top-level segment points at.
  const segments = (p.segments ?? []).map((s, i) => {
    const refId = `segment-${i + 1}`;
    inputs.push({ type: 'audio', url: s.audio, refId });
    const cropped = s.audioStartTime !== undefined && s.audioEndTime !== undefined;
    return { startTime: s.startTime, endTime: s.endTime, audioInput: { refId, ...(cropped ? { startTime: s.audioStartTime, endTime: s.audioEndTime } : {}) } };
  });

  const options: Obj = {};
  if (p.sync_mode) options.sync_mode = p.sync_mode;
  options.temperature = p.temperature;
  if (p.active_speaker_detection !== undefined) options.active_speaker_detection = { auto_detect: p.active_speaker_detection };
  if (p.occlusion_detection_enabled !== undefined) options.occlusion_detection_enabled = p.occlusion_detection_enabled;
  // react-1 names from the Replicate/fal/WaveSpeed mirrors [UNCONFIRMED on the native API].
  if (p.model_mode) options.model_mode = p.model_mode;
  if (p.emotion) options.prompt = p.emotion;

  const body: Obj = {
    model: p.model,
    input: inputs,
    options,
    ...(segments.length ? { segments } : {}),
    outputFileName: syncOutputFileName(input.title),
  };
  return { body, files };
}

/** Multipart fields: nested values go as JSON strings (create-with-files); the parser allows 1 MiB per field. */
function multipartFields(body: Obj): [string, string][] {
  const fields: [string, string][] = [];
  for (const [k, v] of Object.entries(body)) {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    if (Buffer.byteLength(s) > FIELD_LIMIT_BYTES) {
      throw new ProviderError('permanent', `Sync.so cannot take this job: the "${k}" part is over 1 MiB (a script that long is not accepted).`, { code: 'field_too_large' });
    }
    fields.push([k, s]);
  }
  return fields;
}

async function toForm(req: CreateRequest, ctx: AdapterContext): Promise<FormData> {
  const form = new FormData();
  for (const f of req.files) form.append(f.field, await ctx.assets.blob(f.assetId), ctx.assets.info(f.assetId).name);
  for (const [k, v] of multipartFields(req.body)) form.append(k, v);
  return form;
}

type CreateOutcome = Readonly<{ generation: Obj; id: string; status: number; requestId?: string; res?: HttpResponse }>;

/**
 * POST /v2/generate with the Idempotency-Key. A 503 IDEMPOTENCY_OUTCOME_UNKNOWN that names a
 * generationId is that generation; without one the outcome stays unknown (never a new key).
 */
async function sendCreate(req: CreateRequest, key: string, ctx: AdapterContext): Promise<CreateOutcome> {
  const capture: { body?: unknown } = {};
  const http = client(ctx, capture);
  const bytes = req.files.reduce((n, f) => n + ctx.assets.info(f.assetId).size, 0);
  try {
    const { data, res } = await http.json<unknown>({
      method: 'POST',
      path: '/v2/generate',
      headers: { 'Idempotency-Key': key },
      ...(req.files.length ? { form: await toForm(req, ctx) } : { json: req.body }),
      idempotent: false,
      // Room for big multipart uploads (~1 MB/s at worst) on top of the usual minute.
      timeoutMs: 60_000 + Math.ceil(bytes / 1000),
    });
    const generation = isObj(data) ? data : {};
    const id = str(generation.id);
    if (!id) {
      throw new ProviderError('unknown_outcome', `Sync.so accepted the job (HTTP ${res.status}) but its answer has no generation id`, {
        code: 'missing_id',
        status: res.status,
        ...(res.requestId ? { requestId: res.requestId } : {}),
      });
    }
    return { generation, id, status: res.status, ...(res.requestId ? { requestId: res.requestId } : {}), res };
  } catch (e) {
    if (isProviderError(e) && e.code === 'IDEMPOTENCY_OUTCOME_UNKNOWN') {
      const b = isObj(capture.body) ? capture.body : {};
      const gid = str(b.generationId) ?? (isObj(b.details) ? str(b.details.generationId) : undefined);
      if (gid) {
        ctx.log('info', 'Sync.so: outcome of the create unknown to Sync, but it named the generation', { generationId: gid });
        return { generation: { id: gid }, id: gid, status: e.status ?? 503, ...(e.requestId ? { requestId: e.requestId } : {}) };
      }
      throw new ProviderError(
        'unknown_outcome',
        `Sync.so does not know yet whether the job was created (${e.message}); it will be checked again with the same Idempotency-Key, never resubmitted with a new one.`,
        { code: e.code, ...(e.status !== undefined ? { status: e.status } : {}), ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}), cause: e },
      );
    }
    throw syncError(e, 'create');
  }
}

// ---------------------------------------------------------------------------------------------------
// Assets (upload_mode "assets"): upload once, register, reuse the id across rows.

async function ensureAsset(assetId: string, ctx: AdapterContext): Promise<string> {
  const memo = `sync:asset:${assetId}`;
  const known = ctx.assets.remembered(memo);
  if (known) return known;
  const info = ctx.assets.info(assetId);
  const http = client(ctx);
  let slot: Obj;
  try {
    const { data } = await http.json<unknown>({
      method: 'POST',
      path: '/v2/assets/upload',
      json: { fileName: info.name, contentType: info.mime, size: info.size },
      // An upload slot costs nothing; asking twice is harmless.
      idempotent: true,
    });
    slot = isObj(data) ? data : {};
  } catch (e) {
    throw syncError(e, 'upload');
  }
  const uploadUrl = str(slot.uploadUrl);
  const url = str(slot.url);
  if (!uploadUrl || !url) throw new ProviderError('transient', `Sync.so answered the upload request for ${info.name} without an uploadUrl and url`, { code: 'malformed_response' });
  await putFile(uploadUrl, ctx.assets.path(assetId), info.mime, info.size, info.name, ctx);
  let registered: Obj;
  try {
    // Registering twice would only make a second asset record (no cost), so a lost answer may be retried.
    const { data } = await http.json<unknown>({ method: 'POST', path: '/v2/assets', json: { url }, idempotent: true });
    registered = isObj(data) ? data : {};
  } catch (e) {
    throw syncError(e, 'upload');
  }
  const id = str(registered.id) ?? str(registered.assetId);
  if (!id) throw new ProviderError('transient', `Sync.so registered ${info.name} but answered without an asset id`, { code: 'malformed_response' });
  ctx.assets.remember(memo, id);
  ctx.log('info', `Sync.so: uploaded ${info.name} as asset ${id}`, { assetId: id });
  return id;
}

/**
 * Step 2 of the asset upload: the raw bytes to the signed uploadUrl, with the same Content-Type and
 * no API key (asset-uploads guide). Streamed from disk: the shared client only sends in-memory bodies.
 */
async function putFile(uploadUrl: string, filePath: string, mime: string, size: number, name: string, ctx: AdapterContext): Promise<void> {
  const started = Date.now();
  const dispatcher = ctx.http.opts.dispatcher;
  let status: number | null = null;
  try {
    const res = await request(uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': mime, 'content-length': String(size) },
      body: createReadStream(filePath),
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(120_000 + Math.ceil(size / 500))]),
      ...(dispatcher ? { dispatcher } : {}),
    });
    status = res.statusCode;
    const text = await res.body.text();
    ctx.http.opts.onRequest?.({ method: 'PUT', url: redactUrl(uploadUrl), status, ms: Date.now() - started });
    if (status >= 200 && status < 300) return;
    const why = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    // A 403 is usually an expired signature: a new slot on the next attempt fixes it.
    const kind = status >= 500 || status === 403 || status === 408 || status === 429 ? 'transient' : 'permanent';
    throw new ProviderError(kind, `Sync.so asset storage refused the upload of ${name}: ${why} (HTTP ${status})`, { status, code: `upload_http_${status}` });
  } catch (e) {
    if (isProviderError(e)) throw e;
    if (status === null) ctx.http.opts.onRequest?.({ method: 'PUT', url: redactUrl(uploadUrl), status: null, ms: Date.now() - started });
    throw new ProviderError('transient', `Uploading ${name} to Sync.so asset storage failed (${(e as Error).message})`, { code: 'upload_failed', cause: e });
  }
}

// ---------------------------------------------------------------------------------------------------
// Status

const outputUrlOf = (g: Obj): string | undefined => str(g.outputUrl) ?? str(g.outputMediaUrl); // MCP docs: outputUrl is a deprecated alias

function modelOfJob(job: AdapterJob, g?: Obj): SyncModel {
  const m = str(g?.model) ?? str(job.input.params.model);
  return m && (SYNC_MODELS as readonly string[]).includes(m) ? (m as SyncModel) : 'sync-3';
}

function failure(g: Obj, status: string): Readonly<{ code: string; message: string }> {
  // The SDK and webhooks use error_code; the newer error bodies use errorCode. Read both.
  const code = str(g.errorCode) ?? str(g.error_code) ?? `sync_${status.toLowerCase()}`;
  const reason = str(g.error) ?? (isObj(g.error) ? str(g.error.message) : undefined) ?? 'no reason given';
  const lead = status === 'REJECTED' ? 'Sync.so rejected the job' : status === 'TIMED_OUT' ? 'Sync.so timed out rendering the job' : 'Sync.so could not render the job';
  return { code, message: `${lead}: ${reason} (${code})` };
}

function progressOf(g: Obj): number | undefined {
  const v = g.progress;
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return Math.min(1, Math.max(0, v > 1 ? v / 100 : v));
}

function toPollResult(job: AdapterJob, g: Obj, ctx: AdapterContext, res?: HttpResponse): PollResult {
  const rawStatus = str(g.status) ?? '';
  const status = rawStatus.toUpperCase();
  const requestId = res?.requestId;
  const base = { rawStatus, ...(requestId ? { requestId } : {}) };
  const waitHint = (): { nextPollMs?: number } => {
    const ms = parseRetryAfter(res?.headers['retry-after'], ctx.now());
    return ms !== undefined ? { nextPollMs: ms } : {};
  };
  const progress = progressOf(g);
  switch (status) {
    case 'PENDING':
      return { ...base, state: 'queued', ...waitHint() };
    case 'PROCESSING':
      return { ...base, state: 'running', ...(progress !== undefined ? { progress } : {}), ...waitHint() };
    case 'COMPLETED': {
      const url = outputUrlOf(g);
      if (!url) {
        // A finished generation with no output is not a success; keep waiting for the URL.
        ctx.log('warn', `Sync.so reports generation ${str(g.id) ?? job.providerJobId} COMPLETED without an output URL; still waiting`, { providerJobId: job.providerJobId });
        return { ...base, state: 'running', ...waitHint() };
      }
      const dur = typeof g.outputDuration === 'number' && Number.isFinite(g.outputDuration) ? g.outputDuration : undefined;
      return {
        ...base,
        state: 'succeeded',
        progress: 1,
        ...(dur !== undefined ? { costUsed: { amount: syncCostFor(modelOfJob(job, g), dur), unit: 'USD' as const } } : {}),
        providerState: { ...(dur !== undefined ? { outputDuration: dur } : {}) },
      };
    }
    case 'FAILED':
    case 'REJECTED':
    case 'TIMED_OUT':
      return { ...base, state: 'failed', error: failure(g, status) };
    case 'CANCELED':
    case 'CANCELLED':
      return { ...base, state: 'canceled' };
    default:
      ctx.log('warn', `Sync.so returned an unknown status "${rawStatus}" for generation ${job.providerJobId}; treating it as running`, { providerJobId: job.providerJobId, status: rawStatus });
      return { ...base, state: 'running', ...waitHint() };
  }
}

async function getGeneration(id: string, ctx: AdapterContext, wait: boolean, action: Action): Promise<{ g: Obj; res: HttpResponse }> {
  try {
    const { data, res } = await client(ctx).json<unknown>({
      method: 'GET',
      path: `/v2/generate/${encodeURIComponent(id)}`,
      // Long-poll (get.md): up to 10 s, answers early when the job finishes; Retry-After: 2 otherwise.
      ...(wait ? { query: { wait: 'true', timeout: 10 }, timeoutMs: 40_000 } : {}),
    });
    if (!isObj(data)) throw new ProviderError('transient', `Sync.so answered the ${ACTION_WORDS[action]} for ${id} with no generation`, { code: 'malformed_response', status: res.status });
    const mode = res.headers['x-sync-wait-mode'];
    if (wait && mode && mode !== 'long_poll') ctx.log('debug', `Sync.so wait mode: ${mode}`);
    return { g: data, res };
  } catch (e) {
    throw syncError(e, action);
  }
}

async function pollOne(job: AdapterJob, id: string, ctx: AdapterContext, wait: boolean): Promise<PollResult> {
  try {
    const { g, res } = await getGeneration(id, ctx, wait, 'poll');
    return toPollResult(job, g, ctx, res);
  } catch (e) {
    if (isProviderError(e) && e.kind === 'not_found') {
      return { state: 'not_found', rawStatus: 'HTTP 404', error: { code: e.code, message: `Sync.so has no generation ${id}: ${e.message}` } };
    }
    throw e;
  }
}

/** `GET /v2/generations`: a plain array in SDK 0.2.3; a paged `{data|items:[…]}` is accepted too [CONFLICT]. */
function listItems(data: unknown): Obj[] | undefined {
  if (Array.isArray(data)) return data.filter(isObj);
  if (isObj(data)) {
    for (const k of ['data', 'items', 'generations', 'results']) {
      const v = data[k];
      if (Array.isArray(v)) return v.filter(isObj);
    }
  }
  return undefined;
}

async function listGenerations(ctx: AdapterContext): Promise<Map<string, Obj> | undefined> {
  try {
    const { data } = await client(ctx).json<unknown>({ method: 'GET', path: '/v2/generations' });
    const items = listItems(data);
    if (!items) {
      ctx.log('warn', 'Sync.so list of generations has an unknown shape; polling each job instead');
      return undefined;
    }
    return new Map(items.flatMap((g) => (str(g.id) ? [[str(g.id)!, g] as const] : [])));
  } catch (e) {
    if (isProviderError(e) && e.kind === 'not_found') {
      ctx.log('warn', 'Sync.so has no GET /v2/generations here; polling each job instead');
      return undefined;
    }
    throw syncError(e, 'poll');
  }
}

// ---------------------------------------------------------------------------------------------------
// Output

/** Expiry encoded in a signed URL (S3 SigV4, GCS V4, or an `Expires` epoch), when there is one. */
export function signedUrlExpiry(url: string): number | undefined {
  let q: URLSearchParams;
  try {
    q = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  for (const prefix of ['X-Amz', 'X-Goog']) {
    const date = q.get(`${prefix}-Date`);
    const ttl = Number(q.get(`${prefix}-Expires`));
    const m = date ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date) : null;
    if (m && Number.isFinite(ttl) && ttl > 0) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + ttl * 1000;
  }
  const exp = Number(q.get('Expires'));
  return Number.isFinite(exp) && exp > 1e9 ? exp * 1000 : undefined;
}

function downloadSpec(url: string): DownloadSpec {
  const expiresAt = signedUrlExpiry(url);
  // No headers: the signed URL is fetched without the API key.
  return { url, extension: 'mp4', ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

/** `GET /v2/generations/{id}/download`: text/plain with an unquoted URL (download doc); JSON tolerated. */
function urlFromDownloadAnswer(text: string): string | undefined {
  const t = text.trim();
  let candidate: unknown = t;
  if (t.startsWith('{') || t.startsWith('"')) {
    try {
      const v: unknown = JSON.parse(t);
      candidate = isObj(v) ? (str(v.url) ?? str(v.downloadUrl) ?? str(v.outputUrl)) : v;
    } catch {
      candidate = t;
    }
  }
  return typeof candidate === 'string' && /^https?:\/\/\S+$/i.test(candidate) ? candidate : undefined;
}

// ---------------------------------------------------------------------------------------------------

function requireId(job: AdapterJob): string {
  if (!job.providerJobId) throw new ProviderError('permanent', `Job ${job.id} has no Sync.so generation id yet`, { code: 'no_provider_id' });
  return job.providerJobId;
}

export const syncAdapter: ProviderAdapter = {
  id: 'sync',
  describe: () => syncSpec,
  validate: (input) => syncSpec.validate(input),
  estimateCost: (input) => syncSpec.estimateCost(input),

  async submit(job, ctx): Promise<SubmitResult> {
    const key = syncIdempotencyKey(job.idempotencyKey);
    const req = await buildCreate(job, ctx);
    const out = await sendCreate(req, key, ctx);
    const uploadMode = req.files.length ? 'multipart' : 'json';
    return {
      providerJobId: out.id,
      providerState: { idempotencyKey: key, requestMode: uploadMode },
      ...(out.requestId ? { requestId: out.requestId } : {}),
      ...(str(out.generation.status) ? { initial: toPollResult({ ...job, providerJobId: out.id }, out.generation, ctx) } : {}),
    };
  },

  async poll(jobs, ctx) {
    const out = new Map<string, PollResult>();
    const active = jobs.filter((j): j is AdapterJob & { providerJobId: string } => Boolean(j.providerJobId));
    if (active.length === 0) return out;
    if (active.length === 1) {
      const j = active[0]!;
      out.set(j.id, await pollOne(j, j.providerJobId, ctx, true));
      return out;
    }
    // Several jobs: one list request, then a plain GET for any job the list does not show (or shows
    // COMPLETED without its URL, which a list may leave out).
    const listed = await listGenerations(ctx);
    for (const j of active) {
      const g = listed?.get(j.providerJobId);
      const complete = g && (str(g.status)?.toUpperCase() !== 'COMPLETED' || outputUrlOf(g));
      out.set(j.id, g && complete ? toPollResult(j, g, ctx) : await pollOne(j, j.providerJobId, ctx, false));
    }
    return out;
  },

  async output(job, ctx): Promise<DownloadSpec> {
    const id = requireId(job);
    const { g } = await getGeneration(id, ctx, false, 'output');
    const url = outputUrlOf(g);
    if (url) return downloadSpec(url);
    const status = (str(g.status) ?? '').toUpperCase();
    if (status === 'FAILED' || status === 'REJECTED' || status === 'TIMED_OUT' || status === 'CANCELED') {
      const f = failure(g, status);
      throw new ProviderError('permanent', f.message, { code: f.code });
    }
    let text: string;
    try {
      const res = await client(ctx).send({ method: 'GET', path: `/v2/generations/${encodeURIComponent(id)}/download`, headers: { accept: 'text/plain, application/json' } });
      text = res.text;
    } catch (e) {
      const err = syncError(e, 'output');
      if (isProviderError(err) && err.kind === 'not_found') throw new ProviderError('expired', `Sync.so no longer offers the output of generation ${id}: ${err.message}`, { code: err.code, cause: err });
      throw err;
    }
    const dl = urlFromDownloadAnswer(text);
    if (!dl) throw new ProviderError('transient', `Sync.so's download answer for generation ${id} holds no URL`, { code: 'malformed_response' });
    return downloadSpec(dl);
  },

  async cancel(job, ctx) {
    if (!job.providerJobId) return;
    const id = job.providerJobId;
    try {
      // Cancel is free and changes nothing twice: safe to retry on a lost answer.
      await client(ctx).send({ method: 'POST', path: `/v2/generate/${encodeURIComponent(id)}/cancel`, idempotent: true });
    } catch (e) {
      if (isProviderError(e) && e.kind === 'not_found') {
        // Only older docs-v2 (post-cancel-generation) describe this endpoint [UNCONFIRMED today].
        throw new ProviderError(
          'permanent',
          `Sync.so does not support canceling here (HTTP 404: ${e.message}). Generation ${id} keeps rendering and is billed if it completes.`,
          { status: 404, code: 'cancel_not_supported', cause: e },
        );
      }
      const err = syncError(e, 'cancel');
      if (isProviderError(err) && err.kind === 'permanent') {
        throw new ProviderError('permanent', `Sync.so can only cancel a generation that has not started yet: ${err.message}`, { code: err.code, ...(err.status !== undefined ? { status: err.status } : {}), cause: err });
      }
      throw err;
    }
  },

  /**
   * Re-sends the create with the same Idempotency-Key and body (idempotency guide): Sync answers with the
   * generation that key already created, or creates it now if the first request never arrived. Either
   * way exactly one generation exists.
   */
  async reconcile(job, ctx): Promise<ReconcileResult> {
    if (job.providerJobId) return { outcome: 'found', providerJobId: job.providerJobId, evidence: 'the generation id was already recorded' };
    const key = str(job.providerState.idempotencyKey) ?? syncIdempotencyKey(job.idempotencyKey);
    let req: CreateRequest;
    try {
      req = await buildCreate(job, ctx);
    } catch (e) {
      if (isProviderError(e) && e.kind === 'permanent') return { outcome: 'unknown', evidence: `The request could not be rebuilt to re-send it: ${e.message}` };
      throw e;
    }
    try {
      const out = await sendCreate(req, key, ctx);
      return {
        outcome: 'found',
        providerJobId: out.id,
        providerState: { idempotencyKey: key, requestMode: req.files.length ? 'multipart' : 'json' },
        evidence: `Sync.so answered the same request under Idempotency-Key ${key} with generation ${out.id} (HTTP ${out.status})`,
      };
    } catch (e) {
      if (!isProviderError(e)) throw e;
      if (e.kind === 'unknown_outcome' || e.kind === 'transient') {
        // Re-sending is safe, so a lost answer is simply tried again later.
        throw new ProviderError('transient', `${e.message} (while checking Idempotency-Key ${key})`, {
          code: e.code,
          ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
          cause: e,
        });
      }
      if (e.kind === 'permanent') {
        const reused = e.code.startsWith('IDEMPOTENCY_');
        return {
          outcome: 'unknown',
          evidence: reused
            ? `Sync.so says Idempotency-Key ${key} was used for a different request (${e.message}); look for the job in the Sync.so dashboard`
            : `Sync.so refused the re-sent request under Idempotency-Key ${key}: ${e.message}`,
        };
      }
      throw e;
    }
  },

  async testCredentials(ctx) {
    try {
      const http = client(ctx);
      try {
        await http.send({ method: 'GET', path: '/v2/generations', query: { limit: 1 } });
      } catch (e) {
        // Unknown query parameters may be refused by a strict validator; the bare list is the SDK's call.
        if (isProviderError(e) && e.status === 400) await http.send({ method: 'GET', path: '/v2/generations' });
        else throw e;
      }
      return { ok: true, message: 'Sync.so accepted the API key' };
    } catch (e) {
      const err = syncError(e, 'credentials');
      if (isProviderError(err)) return { ok: false, message: err.message };
      throw err;
    }
  },

  async listOptions(list) {
    if (list === 'models') return SYNC_MODEL_OPTIONS;
    return [];
  },
};
