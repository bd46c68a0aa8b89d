import { createHash } from 'node:crypto';
import { FakeServer, sampleMp4, uuidLike, type FakeOptions, type FakeReply, type FakeRequest, type SimJob } from './base';

/**
 * Local fake of the Sync.so API (PROVIDERS.md §4), driven by the same documented contract as the adapter:
 * JSON and multipart `POST /v2/generate` (uploaded files become assets), Idempotency-Key replay,
 * long-poll `GET /v2/generate/{id}?wait=true&timeout=…`, the generations list (every documented shape),
 * the text/plain download endpoint, cancel, the three-step asset upload, `GET /v2/errors`, the plan's
 * concurrency limit, and failed / rejected / timed-out generations.
 */

type Obj = Record<string, unknown>;

export type SyncFakeSettings = {
  /** Generations allowed in PENDING/PROCESSING; creates beyond it get 429 concurrency_limit_reached. */
  concurrencyLimit: number;
  /** [CONFLICT] list shape: SDK 0.2.3 plain array, or a paged object. */
  listShape: 'array' | 'data' | 'items';
  /** false: `GET /v2/generations` answers 404 like a route that does not exist. */
  listEndpoint: boolean;
  /** The list leaves out output URLs (the adapter must GET the generation). */
  listOmitsOutputUrl: boolean;
  /** false: the cancel route is missing (404 "Cannot POST"), as it may be today [UNCONFIRMED]. */
  cancelSupported: boolean;
  /** The SDK / webhooks say error_code; newer bodies say errorCode. */
  errorCodeField: 'error_code' | 'errorCode';
  /** outputUrl is the deprecated alias of outputMediaUrl (MCP docs). */
  outputField: 'outputUrl' | 'outputMediaUrl' | 'both';
  /** Multipart parser limit per file (5 GiB) → 413. */
  maxFileBytes: number;
  /** Plan file-size limit → 422 file_size_exceeds_plan_limit. */
  planFileLimitBytes: number;
};

export type SyncFakeAsset = { id: string; url: string; name: string; contentType: string; size: number; createdAt: string };

type Upload = { token: string; fileName: string; contentType: string; size: number; uploaded: boolean; sig: string };

export type SyncFake = {
  server: FakeServer;
  url: string;
  close(): Promise<void>;
  settings: SyncFakeSettings;
  /** Generations by id (SimJob.data holds the request: model, input, options, segments, outputFileName). */
  jobs: Map<string, SimJob>;
  assets: Map<string, SyncFakeAsset>;
  readonly apiKey: string;
  setApiKey(key: string): void;
  /** The next new generation ends REJECTED with this code and message. */
  rejectNext(code?: string, message?: string): void;
  /** The next new generation ends FAILED. */
  failNext(code?: string, message?: string): void;
  /** The next new generation ends TIMED_OUT. */
  timeoutNext(message?: string): void;
  /** The next new generation ends COMPLETED without any output URL. */
  completeWithoutOutputNext(): void;
  /** The next create is refused with this HTTP status and error body (402 billing, 409, 422 …); nothing is created. */
  errorNext(status: number, errorCode: string | undefined, message: string | string[]): void;
  /** The next create is performed but answered 503 IDEMPOTENCY_OUTCOME_UNKNOWN (with or without generationId). */
  outcomeUnknownNext(withGenerationId?: boolean): void;
  /** Pins a generation's status word (any string, e.g. "weird" or "processing"), with extra fields. */
  forceStatus(id: string, status: string, extra?: Obj): void;
  /** Moves the fake's clock forward (render progress and signed-URL expiry both follow it). */
  advance(ms: number): void;
  /** The generation as the API shows it now. */
  generation(id: string): Obj;
};

export const SYNC_FAKE_KEY = 'sk-sync-test-key';

const KEY_RE = /^[A-Za-z0-9._~-]{1,128}$/;
const MODELS = ['sync-3', 'lipsync-2', 'lipsync-2-pro', 'lipsync-1.9.0-beta', 'react-1', 'lipsync-1.8.0', 'lipsync-1.7.1', 'lipsync-1.6.0'];
const SYNC_MODES = ['loop', 'bounce', 'cut_off', 'silence', 'remap'];
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'REJECTED', 'CANCELED', 'TIMED_OUT']);
const TOP_LEVEL = new Set(['model', 'input', 'options', 'segments', 'webhookUrl', 'outputFileName', 'projectId', 'dubParams', 'dialogueEdit']);
const FILE_FIELDS = new Set(['video', 'image', 'audio']);
const FIELD_LIMIT = 1024 * 1024;

const ERROR_CATALOGUE = [
  { code: 'generation_unsupported_model', message: 'The model is not supported for this input.', suggestedFix: 'Use one of the listed models.' },
  { code: 'generation_media_metadata_missing', message: 'The media has no duration or frame rate metadata.', suggestedFix: 'Re-encode the file (MP4 + WAV/MP3).' },
  { code: 'generation_audio_length_exceeded', message: 'The audio is longer than allowed.', suggestedFix: 'Shorten the audio.' },
  { code: 'generation_audio_missing', message: 'No audio input was given.', suggestedFix: 'Add an audio or text input.' },
  { code: 'generation_video_missing', message: 'No video input was given.', suggestedFix: 'Add a video (or an image for sync-3).' },
  { code: 'generation_timeout', message: 'The generation took too long.', suggestedFix: 'Retry, or split the video.' },
  { code: 'generation_pipeline_failed', message: 'The generation pipeline failed.', suggestedFix: 'Retry later.' },
  { code: 'rate_limit_exceeded', message: 'Too many requests.', suggestedFix: 'Wait for Retry-After.' },
  { code: 'concurrency_limit_reached', message: 'Too many generations running for your plan.', suggestedFix: 'Wait for one to finish or upgrade.' },
  { code: 'file_size_exceeds_plan_limit', message: 'A file is larger than your plan allows.', suggestedFix: 'Use a smaller file or upgrade.' },
  { code: 'generation_input_validation_failed', message: 'The request is over the parser limits.', suggestedFix: 'Upload large files as assets.' },
  { code: 'INVALID_IDEMPOTENCY_KEY', message: 'Idempotency-Key must be 1–128 characters of [A-Za-z0-9._~-].', suggestedFix: 'Fix the key.' },
  { code: 'IDEMPOTENCY_KEY_REUSED', message: 'The key was used with a different request body.', suggestedFix: 'Use a new key for a new request.' },
  { code: 'IDEMPOTENCY_OUTCOME_UNKNOWN', message: 'The outcome of the first request with this key is unknown.', suggestedFix: 'Poll the generationId; do not resubmit with a new key.' },
];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const err = (status: number, message: string | string[], errorCode?: string, extra: Obj = {}): FakeReply => ({
  status,
  json: { message, statusCode: status, ...(errorCode ? { errorCode } : {}), ...extra },
});
const isHttp = (s: unknown): boolean => typeof s === 'string' && /^https?:\/\/\S+$/.test(s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startSyncFake(opts: FakeOptions & Partial<SyncFakeSettings> & { apiKey?: string } = {}): Promise<SyncFake> {
  let offset = 0;
  const baseNow = opts.now ?? Date.now;
  const server = new FakeServer('sync', { ...opts, now: () => baseNow() + offset });
  const settings: SyncFakeSettings = {
    concurrencyLimit: opts.concurrencyLimit ?? Number.POSITIVE_INFINITY,
    listShape: opts.listShape ?? 'array',
    listEndpoint: opts.listEndpoint ?? true,
    listOmitsOutputUrl: opts.listOmitsOutputUrl ?? false,
    cancelSupported: opts.cancelSupported ?? true,
    errorCodeField: opts.errorCodeField ?? 'error_code',
    outputField: opts.outputField ?? 'both',
    maxFileBytes: opts.maxFileBytes ?? 5 * 1024 ** 3,
    planFileLimitBytes: opts.planFileLimitBytes ?? 5 * 1024 ** 3,
  };
  let apiKey = opts.apiKey ?? SYNC_FAKE_KEY;
  const jobs = new Map<string, SimJob>();
  const assets = new Map<string, SyncFakeAsset>();
  const uploads = new Map<string, Upload>();
  const idem = new Map<string, { fingerprint: string; id: string }>();
  let nextFailure: SimJob['failWith'] | undefined;
  let nextNoOutput = false;
  let nextOutcomeUnknown: { withId: boolean } | undefined;
  let nextError: FakeReply | undefined;

  const auth = (req: FakeRequest): FakeReply | undefined => {
    const key = req.headers['x-api-key'];
    if (!key) return { status: 401, json: { message: 'Missing API key: send it in the x-api-key header', statusCode: 401, error: 'Unauthorized' } };
    if (key !== apiKey) return { status: 401, json: { message: 'Invalid API key', statusCode: 401, error: 'Unauthorized' } };
    return undefined;
  };

  const statusOf = (job: SimJob): string => {
    const forced = job.data.forced as { status: string } | undefined;
    if (forced) return forced.status;
    if (job.canceled) return 'CANCELED';
    const p = server.progressOf(job);
    if (p < 0.25) return 'PENDING';
    if (p < 1) return 'PROCESSING';
    return job.failWith ? job.failWith.status : 'COMPLETED';
  };

  const view = (job: SimJob, opts2: { omitOutput?: boolean; progress?: boolean } = {}): Obj => {
    const status = statusOf(job);
    const d = job.data;
    const g: Obj = {
      id: job.id,
      createdAt: new Date(job.createdAt).toISOString(),
      status,
      model: d.model,
      input: d.input,
      options: d.options ?? {},
      webhookUrl: d.webhookUrl ?? null,
      ...(d.segments ? { segments: d.segments } : {}),
      ...(d.outputFileName ? { outputFileName: d.outputFileName } : {}),
    };
    if (status.toUpperCase() === 'COMPLETED' && !d.noOutput && !opts2.omitOutput) {
      const url = server.signedUrl(String(d.outputKey));
      if (settings.outputField !== 'outputMediaUrl') g.outputUrl = url;
      if (settings.outputField !== 'outputUrl') g.outputMediaUrl = url;
      g.outputDuration = 2;
    }
    if (job.failWith && status === job.failWith.status) {
      g.error = job.failWith.message;
      g[settings.errorCodeField] = job.failWith.code;
    }
    if (opts2.progress) g.progress = Math.round(Math.min(1, server.progressOf(job)) * 100);
    const forced = d.forced as { extra?: Obj } | undefined;
    return forced?.extra ? { ...g, ...forced.extra } : g;
  };

  const activeCount = (): number => [...jobs.values()].filter((j) => ['PENDING', 'PROCESSING'].includes(statusOf(j))).length;

  /** Validation like the API's: class-validator style messages, or one domain error code. */
  const validateCreate = (b: Obj): { messages: string[]; code?: string } => {
    const m: string[] = [];
    let code: string | undefined;
    for (const k of Object.keys(b)) if (!TOP_LEVEL.has(k)) m.push(`property ${k} should not exist`);
    if (typeof b.model !== 'string') m.push('model must be a string');
    else if (!MODELS.includes(b.model)) {
      m.push(`model must be one of the following values: ${MODELS.join(', ')}`);
      code = 'generation_unsupported_model';
    }
    const input = b.input;
    if (!Array.isArray(input) || input.length === 0) m.push('input must be a non-empty array');
    const items = Array.isArray(input) ? input : [];
    const refIds = new Set<string>();
    let visuals = 0;
    let audios = 0;
    items.forEach((it: unknown, i) => {
      if (!isObj(it)) return void m.push(`input.${i} must be an object`);
      const t = it.type;
      if (t === 'video' || t === 'image' || t === 'audio') {
        if (t === 'audio') audios++;
        else visuals++;
        if (it.url === undefined && it.assetId === undefined) m.push(`input.${i}.url or input.${i}.assetId is required for a ${t} input`);
        if (it.url !== undefined && !isHttp(it.url)) m.push(`input.${i}.url must be a URL address`);
        if (it.assetId !== undefined && !assets.has(String(it.assetId))) m.push(`input.${i}.assetId ${String(it.assetId)} does not exist`);
      } else if (t === 'text') {
        audios++;
        const p = it.provider;
        if (!isObj(p)) m.push(`input.${i}.provider must be an object`);
        else {
          if (p.name !== 'elevenlabs') m.push(`input.${i}.provider.name must be one of the following values: elevenlabs`);
          if (typeof p.voiceId !== 'string' || !p.voiceId) m.push(`input.${i}.provider.voiceId must be a string`);
          if (typeof p.script !== 'string' || !p.script.trim()) m.push(`input.${i}.provider.script should not be empty`);
        }
      } else m.push(`input.${i}.type must be one of the following values: video, image, audio, text`);
      if (it.refId !== undefined) {
        if (refIds.has(String(it.refId))) m.push(`input.${i}.refId must be unique`);
        refIds.add(String(it.refId));
      }
    });
    if (Array.isArray(input) && visuals === 0) {
      m.push('input must include one video (or image) item');
      code ??= 'generation_video_missing';
    }
    if (visuals > 1) m.push('input must include only one video or image item');
    if (Array.isArray(input) && audios === 0) {
      m.push('input must include at least one audio or text item');
      code ??= 'generation_audio_missing';
    }
    if (items.some((it) => isObj(it) && it.type === 'image') && b.model !== 'sync-3') {
      m.push('image inputs are only supported by sync-3');
      code ??= 'generation_unsupported_model';
    }
    if (b.options !== undefined) {
      const o = b.options;
      if (!isObj(o)) m.push('options must be an object');
      else {
        if (o.sync_mode !== undefined && !SYNC_MODES.includes(String(o.sync_mode))) m.push(`options.sync_mode must be one of the following values: ${SYNC_MODES.join(', ')}`);
        if (o.temperature !== undefined && (typeof o.temperature !== 'number' || o.temperature < 0 || o.temperature > 1)) m.push('options.temperature must not be greater than 1 or less than 0');
        if (o.active_speaker_detection !== undefined && !isObj(o.active_speaker_detection)) m.push('options.active_speaker_detection must be an object');
        if (o.occlusion_detection_enabled !== undefined && typeof o.occlusion_detection_enabled !== 'boolean') m.push('options.occlusion_detection_enabled must be a boolean value');
        if (o.model_mode !== undefined && !['lips', 'face', 'head'].includes(String(o.model_mode))) m.push('options.model_mode must be one of the following values: lips, face, head');
        if (o.prompt !== undefined && !['happy', 'sad', 'angry', 'disgusted', 'surprised', 'neutral'].includes(String(o.prompt))) {
          m.push('options.prompt must be one of the following values: happy, sad, angry, disgusted, surprised, neutral');
        }
        if ((o.model_mode !== undefined || o.prompt !== undefined) && b.model !== 'react-1') m.push('options.model_mode and options.prompt are only supported by react-1');
      }
    }
    if (b.segments !== undefined) {
      if (!Array.isArray(b.segments)) m.push('segments must be an array');
      else
        b.segments.forEach((s: unknown, i) => {
          if (!isObj(s)) return void m.push(`segments.${i} must be an object`);
          if (typeof s.startTime !== 'number' || typeof s.endTime !== 'number' || s.endTime <= s.startTime) m.push(`segments.${i}.endTime must be greater than startTime`);
          const a = s.audioInput;
          if (!isObj(a) || typeof a.refId !== 'string') return void m.push(`segments.${i}.audioInput.refId must be a string`);
          if (!refIds.has(a.refId)) m.push(`segments.${i}.audioInput.refId ${a.refId} matches no input refId`);
          if ((a.startTime === undefined) !== (a.endTime === undefined)) m.push(`segments.${i}.audioInput needs both startTime and endTime, or neither`);
        });
    }
    if (b.outputFileName !== undefined && (typeof b.outputFileName !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(b.outputFileName))) {
      m.push('outputFileName may contain only letters, digits, underscores and hyphens (at most 255 characters)');
    }
    if (b.webhookUrl !== undefined && (typeof b.webhookUrl !== 'string' || !/^https:\/\//.test(b.webhookUrl))) m.push('webhookUrl must be an HTTPS URL');
    return { messages: m, ...(code ? { code } : {}) };
  };

  /** Reads a create request (JSON or multipart) into a body plus its files, or an error reply. */
  const readCreate = (req: FakeRequest): { body: Obj; fingerprint: string; files: FakeRequest['files'] } | FakeReply => {
    const ct = String(req.headers['content-type'] ?? '');
    if (ct.startsWith('multipart/form-data')) {
      const fieldNames = Object.keys(req.fields);
      const fileNames = Object.keys(req.files);
      if (fieldNames.length > 32 || fileNames.length > 3 || fieldNames.length + fileNames.length > 35) {
        return err(413, 'Too many multipart parts (at most 32 fields, 3 files, 35 parts)', 'generation_input_validation_failed');
      }
      for (const [k, v] of Object.entries(req.fields)) {
        if (Buffer.byteLength(v) > FIELD_LIMIT) return err(413, `Field ${k} is larger than 1 MiB`, 'generation_input_validation_failed');
      }
      for (const [k, f] of Object.entries(req.files)) {
        if (!FILE_FIELDS.has(k)) return err(400, [`Unexpected file field ${k}: use video, image or audio`]);
        if (f.size > settings.maxFileBytes) return err(413, `File ${k} is larger than ${settings.maxFileBytes} bytes`, 'generation_input_validation_failed');
        if (f.size > settings.planFileLimitBytes) return err(422, `File ${k} exceeds your plan's file size limit`, 'file_size_exceeds_plan_limit');
      }
      const body: Obj = {};
      for (const [k, v] of Object.entries(req.fields)) {
        if (k === 'input' || k === 'options' || k === 'segments' || k === 'dubParams' || k === 'dialogueEdit') {
          try {
            const parsed: unknown = JSON.parse(v);
            // SDK 0.2.3 appends one `input` field per item; the newer docs send the whole array.
            body[k] = k === 'input' && isObj(parsed) ? [parsed] : parsed;
          } catch {
            return err(400, [`${k} must be a valid JSON string`]);
          }
        } else body[k] = v;
      }
      const fingerprint = createHash('sha256')
        .update(JSON.stringify({ fields: Object.entries(req.fields).sort(), files: Object.entries(req.files).map(([k, f]) => [k, f.filename, f.size, createHash('sha256').update(f.bytes).digest('hex')]).sort() }))
        .digest('hex');
      return { body, fingerprint, files: req.files };
    }
    if (!isObj(req.json)) return err(400, ['body must be a JSON object']);
    return { body: req.json, fingerprint: createHash('sha256').update(JSON.stringify(req.json)).digest('hex'), files: {} };
  };

  server.route('POST', '/v2/generate', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const key = req.headers['idempotency-key'];
    const idemKey = typeof key === 'string' ? key : undefined;
    if (idemKey !== undefined && !KEY_RE.test(idemKey)) {
      return err(400, 'Idempotency-Key must be 1-128 characters of letters, digits, ".", "_", "~" or "-"', 'INVALID_IDEMPOTENCY_KEY');
    }
    if (nextError) {
      const reply = nextError;
      nextError = undefined;
      return reply;
    }
    const read = readCreate(req);
    if (!('body' in read)) return read;
    if (idemKey !== undefined) {
      const seen = idem.get(idemKey);
      if (seen) {
        if (seen.fingerprint !== read.fingerprint) return err(400, 'Idempotency-Key was already used with a different request body', 'IDEMPOTENCY_KEY_REUSED');
        return { status: 200, json: view(jobs.get(seen.id)!), headers: { 'idempotent-replayed': 'true' } };
      }
    }
    // Uploaded files become assets that fill the matching input item.
    const body = { ...read.body };
    const items: Obj[] = Array.isArray(body.input) ? (body.input as unknown[]).map((x) => (isObj(x) ? { ...x } : (x as Obj))) : [];
    const newAssets: SyncFakeAsset[] = [];
    for (const [field, f] of Object.entries(read.files)) {
      const asset: SyncFakeAsset = { id: uuidLike(), url: `${server.url}/_assets/${uuidLike()}/${encodeURIComponent(f.filename)}`, name: f.filename, contentType: f.mimeType, size: f.size, createdAt: new Date(server.now()).toISOString() };
      newAssets.push(asset);
      assets.set(asset.id, asset);
      const target = items.find((it) => isObj(it) && it.type === field && it.url === undefined && it.assetId === undefined);
      if (target) target.assetId = asset.id;
      else items.push({ type: field, assetId: asset.id });
    }
    if (Array.isArray(body.input) || newAssets.length) body.input = items;
    const v = validateCreate(body);
    if (v.messages.length) {
      for (const a of newAssets) assets.delete(a.id);
      return { status: 400, json: { message: v.messages, statusCode: 400, error: 'Bad Request', ...(v.code ? { errorCode: v.code } : {}) } };
    }
    if (activeCount() >= settings.concurrencyLimit) {
      return {
        status: 429,
        json: { statusCode: 429, errorCode: 'concurrency_limit_reached', message: `Concurrency limit reached: your plan allows ${settings.concurrencyLimit} generations at once`, error: 'Too Many Requests' },
      };
    }
    const id = uuidLike();
    const job: SimJob = {
      id,
      createdAt: server.now(),
      renderMs: server.renderMsFor(150),
      data: {
        model: body.model,
        input: items,
        options: body.options,
        segments: body.segments,
        outputFileName: body.outputFileName,
        webhookUrl: body.webhookUrl,
        idempotencyKey: idemKey,
        outputKey: `sync/${id}/${String(body.outputFileName ?? id)}.mp4`,
        noOutput: nextNoOutput,
      },
    };
    if (nextFailure) {
      job.failWith = nextFailure;
      // Rejections come early (input checks), failures late.
      if (nextFailure.status === 'REJECTED') job.renderMs = job.renderMs / 10;
    }
    nextFailure = undefined;
    nextNoOutput = false;
    jobs.set(id, job);
    server.addFile(String(job.data.outputKey), { bytes: sampleMp4(), mime: 'video/mp4' });
    if (idemKey !== undefined) idem.set(idemKey, { fingerprint: read.fingerprint, id });
    if (nextOutcomeUnknown) {
      const withId = nextOutcomeUnknown.withId;
      nextOutcomeUnknown = undefined;
      return err(503, 'The outcome of this request is unknown; poll the generation if an id is given and do not resubmit with a new key', 'IDEMPOTENCY_OUTCOME_UNKNOWN', withId ? { generationId: id } : {});
    }
    return { status: 201, json: view(job) };
  });

  server.route('GET', '/v2/generate/:id', async (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const job = jobs.get(req.params.id ?? '');
    if (!job) return err(404, `Generation ${req.params.id} not found`, 'generation_not_found');
    const wait = req.query.get('wait') === 'true';
    const include = req.query.get('include');
    if (!wait) return { json: view(job, { progress: include === 'progress' }) };
    if (include === 'progress') return err(400, ['include=progress cannot be combined with wait=true']);
    const timeoutParam = req.query.get('timeout');
    const timeout = timeoutParam === null ? 5 : Number(timeoutParam);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 10) return err(400, ['timeout must be an integer between 1 and 10']);
    // The wait runs on the fake's clock (a benchmark's provider clock may run faster than real time).
    const deadline = server.now() + timeout * 1000 * server.opts.timeScale;
    while (!TERMINAL.has(statusOf(job).toUpperCase()) && server.now() < deadline) await sleep(Math.max(1, Math.min(10, deadline - server.now())));
    const g = view(job);
    const headers: Record<string, string> = { 'x-sync-wait-mode': 'long_poll', 'x-sync-wait-timeout-seconds': String(timeout) };
    if (!TERMINAL.has(String(g.status).toUpperCase())) headers['retry-after'] = '2';
    return { json: g, headers };
  });

  const list = (req: FakeRequest): FakeReply => {
    const denied = auth(req);
    if (denied) return denied;
    if (!settings.listEndpoint) return err(404, `Cannot GET ${req.path}`);
    const status = req.query.get('status');
    let items = [...jobs.values()]
      .filter((j) => !status || statusOf(j).toUpperCase() === status.toUpperCase())
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((j) => view(j, { omitOutput: settings.listOmitsOutputUrl }));
    const limit = req.query.get('limit');
    if (limit !== null) items = items.slice(0, Math.max(0, Number(limit)));
    if (settings.listShape === 'data') return { json: { data: items, nextCursor: null } };
    if (settings.listShape === 'items') return { json: { items, total: items.length } };
    return { json: items };
  };
  server.route('GET', '/v2/generations', list);
  // [CONFLICT] one overview snapshot lists generations at GET /v2/generate.
  server.route('GET', '/v2/generate', list);

  server.route('GET', '/v2/generations/:id/download', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const job = jobs.get(req.params.id ?? '');
    if (!job) return err(404, `Generation ${req.params.id} not found`, 'generation_not_found');
    if (statusOf(job).toUpperCase() !== 'COMPLETED') return err(400, 'Generation is not completed');
    // The download doc: text/plain with the bare URL, not JSON.
    return { text: server.signedUrl(String(job.data.outputKey)) };
  });

  server.route('POST', '/v2/generate/:id/cancel', (req) => {
    if (!settings.cancelSupported) return { status: 404, json: { message: `Cannot POST ${req.path}`, error: 'Not Found', statusCode: 404 } };
    const denied = auth(req);
    if (denied) return denied;
    const job = jobs.get(req.params.id ?? '');
    if (!job) return err(404, `Generation ${req.params.id} not found`, 'generation_not_found');
    const status = statusOf(job).toUpperCase();
    if (status === 'CANCELED') return { json: view(job) };
    if (status !== 'PENDING') return err(400, `Only pending generations can be canceled; this one is ${status}`, 'generation_not_cancelable');
    job.canceled = true;
    return { json: view(job) };
  });

  server.route('DELETE', '/v2/generations/:id', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const job = jobs.get(req.params.id ?? '');
    if (!job) return err(404, `Generation ${req.params.id} not found`, 'generation_not_found');
    const status = statusOf(job).toUpperCase();
    if (!['COMPLETED', 'FAILED', 'REJECTED'].includes(status)) return err(409, `Only finished generations can be deleted; this one is ${status}`);
    jobs.delete(job.id);
    return { json: { id: job.id, deleted: true } };
  });

  // --- Assets: slot → PUT (no API key) → register.
  server.route('POST', '/v2/assets/upload', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const b = isObj(req.json) ? req.json : {};
    const m: string[] = [];
    if (typeof b.fileName !== 'string' || !b.fileName) m.push('fileName must be a string');
    if (typeof b.contentType !== 'string' || !b.contentType) m.push('contentType must be a string');
    if (typeof b.size !== 'number' || b.size <= 0) m.push('size must be a positive number');
    if (m.length) return { status: 400, json: { message: m, statusCode: 400, error: 'Bad Request' } };
    const token = uuidLike();
    const sig = createHash('sha256').update(`${token}:${String(b.contentType)}`).digest('hex').slice(0, 24);
    uploads.set(token, { token, fileName: String(b.fileName), contentType: String(b.contentType), size: Number(b.size), uploaded: false, sig });
    return {
      status: 201,
      json: { uploadUrl: `${server.url}/_uploads/${token}?X-Amz-Expires=3600&sig=${sig}`, url: `${server.url}/_assets/${token}/${encodeURIComponent(String(b.fileName))}`, expiresIn: 3600 },
    };
  });

  server.route('PUT', '/_uploads/:token', (req) => {
    const up = uploads.get(req.params.token ?? '');
    const xml = (status: number, code: string, message: string): FakeReply => ({ status, text: `<Error><Code>${code}</Code><Message>${message}</Message></Error>`, headers: { 'content-type': 'application/xml' } });
    if (!up || req.query.get('sig') !== up.sig) return xml(403, 'AccessDenied', 'Invalid signature');
    // Signed storage URLs take no other credentials; the API key must never be sent to the storage host.
    if (req.headers['x-api-key'] !== undefined || req.headers.authorization !== undefined) return xml(400, 'InvalidArgument', 'Only one auth mechanism allowed');
    if (req.headers['content-type'] !== up.contentType) return xml(403, 'SignatureDoesNotMatch', `Content-Type ${String(req.headers['content-type'])} does not match the signed ${up.contentType}`);
    if (Number(req.headers['content-length']) !== up.size) return xml(400, 'IncompleteBody', `Expected ${up.size} bytes`);
    up.uploaded = true;
    return { status: 200, text: '' };
  });

  server.route('POST', '/v2/assets', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const b = isObj(req.json) ? req.json : {};
    if (!isHttp(b.url)) return { status: 400, json: { message: ['url must be a URL address'], statusCode: 400, error: 'Bad Request' } };
    const url = String(b.url);
    const ours = new RegExp(`^${server.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/_assets/([^/]+)/`).exec(url);
    const up = ours ? uploads.get(ours[1]!) : undefined;
    if (ours && !up?.uploaded) return err(400, 'The file at this url was never uploaded', 'asset_upload_incomplete');
    const asset: SyncFakeAsset = {
      id: uuidLike(),
      url,
      name: up?.fileName ?? decodeURIComponent(url.split('/').pop() ?? 'asset'),
      contentType: up?.contentType ?? 'application/octet-stream',
      size: up?.size ?? 0,
      createdAt: new Date(server.now()).toISOString(),
    };
    assets.set(asset.id, asset);
    return { status: 201, json: asset };
  });

  server.route('GET', '/v2/assets/:id', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const a = assets.get(req.params.id ?? '');
    return a ? { json: a } : err(404, `Asset ${req.params.id} not found`);
  });

  server.route('GET', '/v2/assets', (req) => auth(req) ?? { json: [...assets.values()] });

  // The error catalogue needs no key (errors-api/list.md).
  server.route('GET', '/v2/errors', () => ({ json: ERROR_CATALOGUE }));

  await server.listen(opts.port ?? 0);
  return {
    server,
    url: server.url,
    close: () => server.close(),
    settings,
    jobs,
    assets,
    get apiKey() {
      return apiKey;
    },
    setApiKey(key) {
      apiKey = key;
    },
    rejectNext(code = 'generation_audio_length_exceeded', message = 'Audio is longer than the 300 s limit') {
      nextFailure = { status: 'REJECTED', code, message };
    },
    failNext(code = 'generation_pipeline_failed', message = 'The generation pipeline failed') {
      nextFailure = { status: 'FAILED', code, message };
    },
    timeoutNext(message = 'The generation took too long') {
      nextFailure = { status: 'TIMED_OUT', code: 'generation_timeout', message };
    },
    completeWithoutOutputNext() {
      nextNoOutput = true;
    },
    errorNext(status, errorCode, message) {
      nextError = err(status, message, errorCode, status >= 500 ? { requestId: uuidLike() } : {});
    },
    outcomeUnknownNext(withGenerationId = true) {
      nextOutcomeUnknown = { withId: withGenerationId };
    },
    forceStatus(id, status, extra) {
      const job = jobs.get(id);
      if (!job) throw new Error(`no generation ${id}`);
      job.data.forced = { status, ...(extra ? { extra } : {}) };
    },
    advance(ms) {
      offset += ms;
    },
    generation(id) {
      const job = jobs.get(id);
      if (!job) throw new Error(`no generation ${id}`);
      return view(job);
    },
  };
}
