import { randomBytes } from 'node:crypto';
import { FakeServer, sampleJpg, sampleMp4, type FakeOptions, type FakeReply, type FakeRequest, type SimJob } from './base';

/**
 * A local aisa.one: the OpenAI Videos API (Sora 2) behind aisa's gateway, as PROVIDERS.md §3 and the
 * OpenAPI subset (/work/shared/specs/openai-videos.openapi.yaml) describe it.
 *
 * Paths live under `prefix` (default `/v1`, like https://api.aisa.one/v1). Prism's proxy appends the
 * request path to the upstream URL's path (`prism proxy spec.yaml http://fake/v1` sends `GET /videos/x`
 * to `http://fake/v1/videos/x`), so pointing Prism at `fake.url` needs no second prefix.
 *
 * `/content` answers 302 to a signed, expiring `/_files/` URL: FakeServer replies carry JSON or text
 * only, and the redirect keeps the bytes real (sample.mp4). Clients must follow same-origin redirects
 * (undici fetch and the OpenAI SDK do); the Authorization header is only checked on `/content` itself.
 */

export type AisaErrorShape = 'aisa' | 'openai';
export type RetireMode = 'model_not_allowed' | 'unknown_model' | 'unknown_endpoint' | '404';

export type AisaFakeOptions = FakeOptions & {
  apiKey?: string;
  /** API base path; default `/v1`. */
  prefix?: string;
  /** Real seconds after completion that the files stay downloadable (OpenAI: about an hour). */
  expiresAfterSec?: number;
  errorShape?: AisaErrorShape;
  /**
   * Check an uploaded input_reference like the service: a JPEG/PNG/WebP (400 invalid_image otherwise) of
   * exactly `size` (400 "Inpaint image must match the requested width and height"). Default true.
   * Turn it off behind Prism: its proxy reads multipart bodies as UTF-8 text, so binary parts arrive mangled.
   */
  checkReference?: boolean;
  /** Default page size of GET /videos (default 20). */
  defaultListLimit?: number;
};

export type AisaHttpError = { status: number; type?: string; code: string; message: string; param?: string };

type VideoData = {
  seq: number;
  model: string;
  prompt: string;
  size: string;
  seconds: string;
  remixedFrom: string | null;
  reference: { kind: 'file'; filename: string; mimeType: string; width?: number; height?: number } | { kind: 'image_url' | 'file_id'; value: string } | null;
  expiresAtOverride?: number;
  statusWord?: string;
  deleted?: boolean;
};
type SimVideo = SimJob & { data: VideoData };

export type AisaFake = {
  server: FakeServer;
  /** Base URL of the API, e.g. http://127.0.0.1:1234/v1. */
  url: string;
  origin: string;
  readonly apiKey: string;
  videos: Map<string, SimVideo>;
  close(): Promise<void>;
  setKey(key: string): void;
  setErrorShape(shape: AisaErrorShape): void;
  /** The next created video renders, then ends `failed` with this error. */
  failNext(code?: string, message?: string): void;
  /** The next create is refused with this HTTP error (nothing is created). */
  rejectNext(error: AisaHttpError): void;
  /** Sora retired: every create answers the gateway's refusal (`false` restores). */
  retireModels(mode?: RetireMode | false): void;
  /** When false, GET /videos (list) answers 404 unknown_endpoint, as if aisa did not proxy it. */
  setListSupported(on: boolean): void;
  /** Report this status word instead of the clock-derived one (unknown words, case tests). */
  setStatusWord(id: string, word: string | undefined): void;
  /** Makes a video's files expire now. */
  expire(id: string): void;
  /** Adds a video directly (someone else's, for reconcile/list tests). Returns its id. */
  seed(v: Partial<Pick<VideoData, 'model' | 'prompt' | 'size' | 'seconds'>> & { createdAt?: number; renderMs?: number; failWith?: SimJob['failWith'] }): string;
  /** The Video object as the API shows it now. */
  view(id: string): Record<string, unknown>;
};

const MODELS = ['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08'];
const SECONDS = ['4', '8', '12'];
const SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'];
const SORA_2_SIZES = ['720x1280', '1280x720'];
const VARIANTS = ['video', 'thumbnail', 'spritesheet'];
/** A 1x1 lossless WebP: what variant=thumbnail serves (image/webp per the spec). */
const THUMB_WEBP = Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64');

/** Width and height of a PNG, JPEG or WebP from its first bytes; undefined when unreadable. */
export function imageSize(b: Buffer): { width: number; height: number; format: 'png' | 'jpeg' | 'webp' } | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') {
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), format: 'png' };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2;
        continue;
      }
      const len = b.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7), format: 'jpeg' };
      }
      i += 2 + len;
    }
    return undefined;
  }
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = b.toString('latin1', 12, 16);
    if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff, format: 'webp' };
    if (chunk === 'VP8L') {
      const b1 = b[22]!;
      const b2 = b[23]!;
      const b3 = b[24]!;
      return { width: 1 + (b[21]! | ((b1 & 0x3f) << 8)), height: 1 + ((b1 >> 6) | (b2 << 2) | ((b3 & 0x0f) << 10)), format: 'webp' };
    }
    if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3), format: 'webp' };
  }
  return undefined;
}

export async function startAisaFake(opts: AisaFakeOptions = {}): Promise<AisaFake> {
  const server = new FakeServer('aisa', opts);
  const prefix = (opts.prefix ?? '/v1').replace(/\/+$/, '');
  const expiresAfterMs = (opts.expiresAfterSec ?? 3600) * 1000;
  const checkReference = opts.checkReference ?? true;
  const defaultLimit = opts.defaultListLimit ?? 20;
  const videos = new Map<string, SimVideo>();
  let apiKey = opts.apiKey ?? 'sk-aisa-test-key';
  let errorShape: AisaErrorShape = opts.errorShape ?? 'aisa';
  let failNext: { code: string; message: string } | undefined;
  let rejectNext: AisaHttpError | undefined;
  let retired: RetireMode | false = false;
  let listSupported = true;
  let seq = 0;
  let reqSeq = 0;
  let served = 0;

  const headers = (rid: string): Record<string, string> => ({
    'x-request-id': rid,
    'x-ratelimit-limit-requests': '600',
    'x-ratelimit-remaining-requests': String(Math.max(0, 600 - (++served % 600))),
    'x-ratelimit-reset-requests': '60s',
  });

  const error = (e: AisaHttpError): FakeReply => {
    const rid = `req_${++reqSeq}`;
    if (e.status === 404 && e.code === '') return { status: 404, json: { message: 'Not Found' }, headers: headers(rid) };
    const type = e.type ?? (e.status === 401 ? 'authentication_error' : e.status === 429 ? 'rate_limit_error' : e.status >= 500 ? 'api_error' : 'invalid_request_error');
    const body =
      errorShape === 'aisa'
        ? { error: { type, code: e.code, message: e.message, request_id: rid } }
        : { error: { message: e.message, type, param: e.param ?? null, code: e.code } };
    return { status: e.status, json: body, headers: headers(rid) };
  };
  const ok = (json: unknown): FakeReply => ({ status: 200, json, headers: headers(`req_${++reqSeq}`) });

  const authError = (req: FakeRequest): FakeReply | undefined => {
    const h = req.headers.authorization;
    if (!h) return error({ status: 401, code: 'missing_api_key', message: 'Missing API key. Send Authorization: Bearer <key>.' });
    if (h !== `Bearer ${apiKey}`) return error({ status: 401, code: 'invalid_api_key', message: 'Invalid API key provided.' });
    return undefined;
  };

  const view = (v: SimVideo): Record<string, unknown> => {
    const p = server.progressOf(v);
    const d = v.data;
    let status: string;
    let progress: number;
    let completedAt: number | null = null;
    let expiresAt: number | null = null;
    if (p >= 1) {
      const doneMs = v.createdAt + v.renderMs;
      status = v.failWith ? 'failed' : 'completed';
      progress = 100;
      completedAt = Math.floor(doneMs / 1000);
      if (!v.failWith) expiresAt = d.expiresAtOverride ?? Math.floor((doneMs + expiresAfterMs) / 1000);
    } else if (p < 0.1) {
      status = 'queued';
      progress = 0;
    } else {
      status = 'in_progress';
      progress = Math.min(99, Math.max(1, Math.floor(p * 100)));
    }
    return {
      id: v.id,
      object: 'video',
      model: d.model,
      status: d.statusWord ?? status,
      progress,
      created_at: Math.floor(v.createdAt / 1000),
      completed_at: completedAt,
      expires_at: expiresAt,
      prompt: d.prompt,
      size: d.size,
      seconds: d.seconds,
      remixed_from_video_id: d.remixedFrom,
      error: p >= 1 && v.failWith ? { code: v.failWith.code, message: v.failWith.message } : null,
    };
  };

  const newVideo = (d: Omit<VideoData, 'seq'>, over: { createdAt?: number; renderMs?: number; failWith?: SimJob['failWith'] } = {}): SimVideo => {
    const v: SimVideo = {
      id: `video_${randomBytes(12).toString('hex')}`,
      createdAt: over.createdAt ?? server.now(),
      renderMs: over.renderMs ?? server.renderMsFor(120),
      ...(over.failWith ? { failWith: over.failWith } : {}),
      data: { ...d, seq: ++seq },
    };
    videos.set(v.id, v);
    return v;
  };

  const live = (id: string | undefined): SimVideo | undefined => {
    const v = id === undefined ? undefined : videos.get(id);
    return v && !v.data.deleted ? v : undefined;
  };
  const notFound = (id: string | undefined): FakeReply => error({ status: 404, code: 'resource_not_found', message: `Video with id '${id ?? ''}' not found.`, param: 'video_id' });

  /** The referenced image, checked like the real service (type, and size against the requested one). */
  const referenceOf = (req: FakeRequest, size: string): { ref: VideoData['reference'] } | { fail: FakeReply } => {
    const file = req.files.input_reference;
    let obj: unknown = req.json && typeof req.json === 'object' ? (req.json as Record<string, unknown>).input_reference : undefined;
    if (!file && req.fields.input_reference !== undefined) {
      try {
        obj = JSON.parse(req.fields.input_reference);
      } catch {
        return { fail: error({ status: 400, code: 'invalid_parameter_type', message: 'input_reference must be an image file or an object with image_url or file_id.', param: 'input_reference' }) };
      }
    }
    const { width, height } = { width: Number(size.split('x')[0]), height: Number(size.split('x')[1]) };
    const mismatch = (w: number, h: number): FakeReply | undefined =>
      checkReference && (w !== width || h !== height)
        ? error({ status: 400, code: 'invalid_value', message: 'Inpaint image must match the requested width and height', param: 'input_reference' })
        : undefined;
    if (file) {
      if (!checkReference) return { ref: { kind: 'file', filename: file.filename, mimeType: file.mimeType } };
      const dims = imageSize(file.bytes);
      if (!dims) return { fail: error({ status: 400, code: 'invalid_image', message: `input_reference must be a JPEG, PNG or WebP image (got ${file.mimeType}).`, param: 'input_reference' }) };
      const bad = mismatch(dims.width, dims.height);
      if (bad) return { fail: bad };
      return { ref: { kind: 'file', filename: file.filename, mimeType: file.mimeType, width: dims.width, height: dims.height } };
    }
    if (obj === undefined || obj === null) return { ref: null };
    const o = typeof obj === 'object' ? (obj as Record<string, unknown>) : {};
    const hasUrl = typeof o.image_url === 'string' && o.image_url !== '';
    const hasFile = typeof o.file_id === 'string' && o.file_id !== '';
    if (hasUrl === hasFile) {
      return { fail: error({ status: 400, code: 'invalid_request', message: 'input_reference: provide exactly one of image_url or file_id.', param: 'input_reference' }) };
    }
    if (hasFile) return { ref: { kind: 'file_id', value: String(o.file_id) } };
    const url = String(o.image_url);
    const data = /^data:image\/[a-z]+;base64,(.*)$/i.exec(url);
    if (data) {
      const dims = imageSize(Buffer.from(data[1]!, 'base64'));
      if (!dims) return { fail: error({ status: 400, code: 'invalid_image', message: 'input_reference.image_url is not a readable image.', param: 'input_reference' }) };
      const bad = mismatch(dims.width, dims.height);
      if (bad) return { fail: bad };
    } else if (!/^https?:\/\//i.test(url)) {
      return { fail: error({ status: 400, code: 'invalid_value', message: 'input_reference.image_url must be a URL or a base64 data URL.', param: 'input_reference' }) };
    }
    return { ref: { kind: 'image_url', value: url.slice(0, 64) } };
  };

  const bodyOf = (req: FakeRequest): Record<string, unknown> =>
    req.json && typeof req.json === 'object' ? (req.json as Record<string, unknown>) : { ...req.fields };

  const createVideo = (req: FakeRequest): FakeReply => {
    const denied = authError(req);
    if (denied) return denied;
    const b = bodyOf(req);
    const model = b.model === undefined ? 'sora-2' : String(b.model);
    if (retired) {
      if (retired === '404') return error({ status: 404, code: '', message: '' });
      if (retired === 'unknown_endpoint') return error({ status: 404, code: 'unknown_endpoint', message: 'Unknown endpoint: POST /v1/videos' });
      if (retired === 'unknown_model') return error({ status: 400, code: 'unknown_model', message: `Unknown model: ${model}`, param: 'model' });
      return error({ status: 403, type: 'invalid_request_error', code: 'model_not_allowed', message: `Model ${model} is not available.`, param: 'model' });
    }
    if (rejectNext) {
      const r = rejectNext;
      rejectNext = undefined;
      return error(r);
    }
    if (typeof b.prompt !== 'string' || b.prompt.length === 0) {
      return error({ status: 400, code: 'missing_parameter', message: "Missing required parameter: 'prompt'.", param: 'prompt' });
    }
    if (b.prompt.length > 32000) {
      return error({ status: 400, code: 'invalid_parameter', message: `'prompt' is too long: ${b.prompt.length} characters, at most 32000.`, param: 'prompt' });
    }
    if (!MODELS.includes(model)) return error({ status: 400, code: 'unknown_model', message: `Unknown model: ${model}`, param: 'model' });
    const seconds = b.seconds === undefined ? '4' : String(b.seconds);
    if (!SECONDS.includes(seconds)) return error({ status: 400, code: 'invalid_value', message: `Invalid 'seconds': ${seconds}. Expected one of 4, 8, 12.`, param: 'seconds' });
    const size = b.size === undefined ? '720x1280' : String(b.size);
    if (!SIZES.includes(size)) return error({ status: 400, code: 'invalid_value', message: `Invalid 'size': ${size}.`, param: 'size' });
    if (!model.startsWith('sora-2-pro') && !SORA_2_SIZES.includes(size)) {
      return error({ status: 400, code: 'invalid_value', message: `size ${size} is not supported by ${model}; use 1280x720 or 720x1280, or sora-2-pro.`, param: 'size' });
    }
    const ref = referenceOf(req, size);
    if ('fail' in ref) return ref.fail;
    const fail = failNext;
    failNext = undefined;
    const v = newVideo({ model, prompt: b.prompt, size, seconds, remixedFrom: null, reference: ref.ref }, fail ? { failWith: { status: 'failed', ...fail } } : {});
    return ok(view(v));
  };

  server.route('POST', `${prefix}/videos`, createVideo);

  server.route('GET', `${prefix}/videos`, (req) => {
    const denied = authError(req);
    if (denied) return denied;
    if (!listSupported) return error({ status: 404, code: 'unknown_endpoint', message: 'Unknown endpoint: GET /v1/videos' });
    const limitRaw = req.query.get('limit');
    const limit = limitRaw === null ? defaultLimit : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 0 || limit > 100) return error({ status: 400, code: 'invalid_value', message: `Invalid 'limit': ${limitRaw}. Expected 0 to 100.`, param: 'limit' });
    const order = req.query.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') return error({ status: 400, code: 'invalid_value', message: `Invalid 'order': ${order}.`, param: 'order' });
    const all = [...videos.values()].filter((v) => !v.data.deleted).sort((a, b) => a.createdAt - b.createdAt || a.data.seq - b.data.seq);
    if (order === 'desc') all.reverse();
    const after = req.query.get('after');
    let start = 0;
    if (after) {
      const i = all.findIndex((v) => v.id === after);
      start = i < 0 ? all.length : i + 1;
    }
    const page = all.slice(start, start + limit).map(view);
    return ok({
      object: 'list',
      data: page,
      first_id: (page[0]?.id as string | undefined) ?? null,
      last_id: (page.at(-1)?.id as string | undefined) ?? null,
      has_more: start + limit < all.length,
    });
  });

  server.route('GET', `${prefix}/videos/:id`, (req) => {
    const denied = authError(req);
    if (denied) return denied;
    const v = live(req.params.id);
    return v ? ok(view(v)) : notFound(req.params.id);
  });

  server.route('DELETE', `${prefix}/videos/:id`, (req) => {
    const denied = authError(req);
    if (denied) return denied;
    const v = live(req.params.id);
    if (!v) return notFound(req.params.id);
    const status = view(v).status;
    if (status !== 'completed' && status !== 'failed') {
      return error({ status: 400, code: 'invalid_request', message: `Video ${v.id} is ${String(status)}; only completed or failed videos can be deleted.`, param: 'video_id' });
    }
    v.data.deleted = true;
    return ok({ id: v.id, object: 'video.deleted', deleted: true });
  });

  server.route('GET', `${prefix}/videos/:id/content`, (req) => {
    const denied = authError(req);
    if (denied) return denied;
    const variant = req.query.get('variant') ?? 'video';
    if (!VARIANTS.includes(variant)) return error({ status: 400, code: 'invalid_value', message: `Invalid 'variant': ${variant}.`, param: 'variant' });
    const v = live(req.params.id);
    if (!v) return notFound(req.params.id);
    const now = view(v);
    if (now.status !== 'completed') {
      return error({ status: 404, code: 'resource_not_found', message: `Video ${v.id} is ${String(now.status)}; its content is not available.`, param: 'video_id' });
    }
    const expiresMs = Number(now.expires_at) * 1000;
    if (server.now() >= expiresMs) return error({ status: 404, code: 'resource_not_found', message: `The content of video ${v.id} has expired.`, param: 'video_id' });
    const key = `${v.id}.${variant}`;
    const file =
      variant === 'video' ? { bytes: sampleMp4(), mime: 'video/mp4' } : variant === 'thumbnail' ? { bytes: THUMB_WEBP, mime: 'image/webp' } : { bytes: sampleJpg(), mime: 'image/jpeg' };
    server.addFile(key, file);
    const ttl = Math.max(1, Math.min(server.opts.urlTtlMs, expiresMs - server.now()));
    return { status: 302, text: '', headers: { ...headers(`req_${++reqSeq}`), location: server.signedUrl(key, ttl) } };
  });

  server.route('POST', `${prefix}/videos/:id/remix`, (req) => {
    const denied = authError(req);
    if (denied) return denied;
    const src = live(req.params.id);
    if (!src) return notFound(req.params.id);
    const b = bodyOf(req);
    if (typeof b.prompt !== 'string' || b.prompt.length === 0 || b.prompt.length > 32000) {
      return error({ status: 400, code: 'missing_parameter', message: "Missing or invalid parameter: 'prompt' (1 to 32000 characters).", param: 'prompt' });
    }
    if (view(src).status !== 'completed') return error({ status: 400, code: 'invalid_request', message: `Video ${src.id} is not completed and cannot be remixed.`, param: 'video_id' });
    const v = newVideo({ model: src.data.model, prompt: b.prompt, size: src.data.size, seconds: src.data.seconds, remixedFrom: src.id, reference: null });
    return ok(view(v));
  });

  await server.listen(opts.port ?? 0);
  const url = server.url + prefix;

  return {
    server,
    url,
    origin: server.url,
    get apiKey() {
      return apiKey;
    },
    videos,
    close: () => server.close(),
    setKey: (key) => void (apiKey = key),
    setErrorShape: (shape) => void (errorShape = shape),
    failNext: (code = 'moderation_blocked', message = 'Your request was blocked by our moderation system.') => void (failNext = { code, message }),
    rejectNext: (e) => void (rejectNext = e),
    retireModels: (mode = 'model_not_allowed') => void (retired = mode),
    setListSupported: (on) => void (listSupported = on),
    setStatusWord: (id, word) => {
      const v = videos.get(id);
      if (!v) throw new Error(`no video ${id}`);
      if (word === undefined) delete v.data.statusWord;
      else v.data.statusWord = word;
    },
    expire: (id) => {
      const v = videos.get(id);
      if (!v) throw new Error(`no video ${id}`);
      v.data.expiresAtOverride = Math.floor(server.now() / 1000) - 1;
    },
    seed: (s) =>
      newVideo(
        { model: s.model ?? 'sora-2', prompt: s.prompt ?? 'someone else’s video', size: s.size ?? '720x1280', seconds: s.seconds ?? '4', remixedFrom: null, reference: null },
        { ...(s.createdAt !== undefined ? { createdAt: s.createdAt } : {}), ...(s.renderMs !== undefined ? { renderMs: s.renderMs } : {}), ...(s.failWith ? { failWith: s.failWith } : {}) },
      ).id,
    view: (id) => {
      const v = videos.get(id);
      if (!v) throw new Error(`no video ${id}`);
      return view(v);
    },
  };
}
