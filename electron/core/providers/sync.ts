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
import { fileBody, FormData, ProviderError, isProviderError, parseRetryAfter, type HttpResponse } from './http';
import { checkBeforeSend, checkedParams, defineAdapter, downloadExpiry, isObj, listIn, providerIdOf, resolvedInput, reword, str, type Json as Obj, type UrlLifetime } from './kit';
import { ACTION_WORDS, client, explain, type Action } from './sync-client';
import type { AdapterContext, AdapterJob, CredentialTest, DownloadSpec, PickerOption, PollResult, ReconcileResult, SubmitResult } from './types';

/** Output URL lifetime is undocumented: output() always asks again; the URL's own signature is read when it has one. */
const URL_LIFETIME: UrlLifetime = { unknown: 'not documented; output() asks for the link again before each download' };

/** Idempotency guide: 1–128 characters of `[A-Za-z0-9._~-]`, else 400 INVALID_IDEMPOTENCY_KEY. */
const KEY_RE = /^[A-Za-z0-9._~-]{1,128}$/;

/** The engine's key when Sync accepts it; otherwise a deterministic, collision-safe rewrite of it. */
export function syncIdempotencyKey(key: string): string {
  if (KEY_RE.test(key)) return key;
  const readable = key.replace(/[^A-Za-z0-9._~-]+/g, '-').slice(0, 80);
  return `${readable}.${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

// ---------------------------------------------------------------------------------------------------
// Create request

type FilePart = Readonly<{ field: 'video' | 'image' | 'audio'; assetId: string }>;
type CreateRequest = Readonly<{ body: Obj; files: readonly FilePart[] }>;

const FIELD_LIMIT_BYTES = 1024 * 1024;

/**
 * Builds the create body deterministically from the job alone (plus remembered asset ids), so a retry
 * and `reconcile` send exactly the same request under the same Idempotency-Key.
 */
async function buildCreate(job: AdapterJob, ctx: AdapterContext): Promise<CreateRequest> {
  const input = job.input;
  checkBeforeSend(syncSpec, job, ctx.assets, 'Sync.so cannot take this job');
  const p = checkedParams(syncParamsSchema, input.params, 'Sync.so cannot take this job');
  const resolved = resolvedInput(input, ctx.assets);
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
    throw explain(e, 'create');
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
    throw explain(e, 'upload');
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
    throw explain(e, 'upload');
  }
  const id = str(registered.id) ?? str(registered.assetId);
  if (!id) throw new ProviderError('transient', `Sync.so registered ${info.name} but answered without an asset id`, { code: 'malformed_response' });
  ctx.assets.remember(memo, id);
  ctx.log('info', `Sync.so: uploaded ${info.name} as asset ${id}`, { assetId: id });
  return id;
}

/**
 * Step 2 of the asset upload: the raw bytes to the signed uploadUrl, with the same Content-Type and
 * no API key (asset-uploads guide), streamed from disk with its Content-Length through the shared client.
 */
async function putFile(uploadUrl: string, filePath: string, mime: string, size: number, name: string, ctx: AdapterContext): Promise<void> {
  try {
    await ctx.http
      .with({ readError: (status, _body, text) => ({ message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? (text.trim().slice(0, 200) || `HTTP ${status}`) }) })
      .send({ method: 'PUT', path: uploadUrl, headers: { 'content-type': mime }, stream: fileBody(filePath, size, name), timeoutMs: 120_000 + Math.ceil(size / 500) });
  } catch (e) {
    if (!isProviderError(e)) throw e;
    if (e.status === undefined) {
      if (e.code === 'body_unreadable') throw e;
      throw reword(e, `Uploading ${name} to Sync.so asset storage failed (${e.message})`, { kind: 'transient', code: 'upload_failed' });
    }
    // A 403 is usually an expired signature: a new slot on the next attempt fixes it.
    const s = e.status;
    const kind = s >= 500 || s === 403 || s === 408 || s === 429 ? 'transient' : 'permanent';
    throw reword(e, `Sync.so asset storage refused the upload of ${name}: ${e.message} (HTTP ${s})`, { kind, code: `upload_http_${s}` });
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
    throw explain(e, action);
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
  return listIn(data, ['data', 'items', 'generations', 'results'])?.filter(isObj);
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
    throw explain(e, 'poll');
  }
}

// ---------------------------------------------------------------------------------------------------
// Output

function downloadSpec(url: string, now: number): DownloadSpec {
  const expiresAt = downloadExpiry(url, now, URL_LIFETIME);
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

async function submit(job: AdapterJob, ctx: AdapterContext): Promise<SubmitResult> {
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
}

async function poll(jobs: readonly AdapterJob[], ctx: AdapterContext): Promise<ReadonlyMap<string, PollResult>> {
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
}

async function output(job: AdapterJob, ctx: AdapterContext): Promise<DownloadSpec> {
  const id = providerIdOf(job, 'Sync.so');
  const { g } = await getGeneration(id, ctx, false, 'output');
  const url = outputUrlOf(g);
  if (url) return downloadSpec(url, ctx.now());
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
    const err = explain(e, 'output');
    if (isProviderError(err) && err.kind === 'not_found') throw new ProviderError('expired', `Sync.so no longer offers the output of generation ${id}: ${err.message}`, { code: err.code, cause: err });
    throw err;
  }
  const dl = urlFromDownloadAnswer(text);
  if (!dl) throw new ProviderError('transient', `Sync.so's download answer for generation ${id} holds no URL`, { code: 'malformed_response' });
  return downloadSpec(dl, ctx.now());
}

async function cancel(job: AdapterJob, ctx: AdapterContext): Promise<void> {
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
    const err = explain(e, 'cancel');
    if (isProviderError(err) && err.kind === 'permanent') {
      throw new ProviderError('permanent', `Sync.so can only cancel a generation that has not started yet: ${err.message}`, { code: err.code, ...(err.status !== undefined ? { status: err.status } : {}), cause: err });
    }
    throw err;
  }
}

/**
 * Re-sends the create with the same Idempotency-Key and body (idempotency guide): Sync answers with the
 * generation that key already created, or creates it now if the first request never arrived. Either
 * way exactly one generation exists.
 */
async function reconcile(job: AdapterJob, ctx: AdapterContext): Promise<ReconcileResult> {
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
}

async function testCredentials(ctx: AdapterContext): Promise<CredentialTest> {
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
    const err = explain(e, 'credentials');
    if (isProviderError(err)) return { ok: false, message: err.message };
    throw err;
  }
}

const listOptions = async (list: string): Promise<readonly PickerOption[]> => (list === 'models' ? SYNC_MODEL_OPTIONS : []);

export const syncAdapter = defineAdapter(syncSpec, { submit, poll, output, cancel, reconcile, testCredentials, listOptions });
